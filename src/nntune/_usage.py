"""What the command line needs from typer and the click beneath it, across their releases.

Older typer releases run on the ``click`` package; recent ones bundle their own copy, whose
exceptions are other classes. Usage errors of either end as one line with exit code 2.
"""

from __future__ import annotations

from typing import Any

import typer


def flags_take_no_value_in_help() -> None:
    """Recent typer releases print a flag's type in ``--help`` (``--json <bool>``) as if it
    took a value, so ``--json true`` looks right and reads ``true`` as the config file.
    A flag takes no value: show none. Releases without that display are left as they are."""
    option = getattr(getattr(typer, "core", None), "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if option is None or shown is None or getattr(shown, "flags_untyped", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        return shown(self, ctx)  # type: ignore[no-any-return]

    display_type_rich.flags_untyped = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


def click_exception_types() -> tuple[type[BaseException], ...]:
    """The exception classes of the click that typer runs on: its bundled copy in recent
    releases, the ``click`` package in older ones (both, where both are present)."""
    types = {c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"}
    try:
        import click

        types.add(click.ClickException)
    except ImportError:
        pass
    return tuple(types)


def usage_error_line(err: BaseException) -> str:
    """A click usage error as one line: the option it names and what is wrong with it."""
    message = err.format_message() if hasattr(err, "format_message") else str(err)
    return " ".join(message.split())
