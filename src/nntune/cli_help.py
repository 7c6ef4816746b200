"""Help texts as the terminal should wrap them, not as the source file does.

A command's docstring is wrapped at the source's line length; rich keeps those newlines in a
group's list of commands (``nntune --help``), so a sentence broke wherever the source line
ended, whatever the terminal's width. The command tree is unwrapped once, when it is built:
each paragraph becomes one line that rich wraps to the terminal.

On a narrow terminal rich's option tables cut option names, defaults and URLs short with an
ellipsis (``--study-nam…``); there the help is click's plain layout, which wraps instead.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Callable, Optional

from typer.core import TyperGroup

_BLANK_LINE = re.compile(r"\n[ \t]*\n")

# Below this many columns rich's tables of options begin to cut words short (measured over
# every command's help: none is cut at 70, ``--study-name`` is at 60).
NARROW_COLUMNS = 70


def unwrapped(text: Optional[str]) -> Optional[str]:
    """``text`` with each paragraph on one line. Paragraphs stay apart (a blank line); one
    that starts with click's ``\\b`` (keep my lines) and whatever follows a ``\\f`` (not for
    the help) are left as written."""
    if not text:
        return text
    shown, cut, hidden = inspect.cleandoc(text).partition("\f")
    body = shown.rstrip()
    paragraphs = [p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
                  for p in _BLANK_LINE.split(body)]
    return "\n\n".join(paragraphs) + shown[len(body):] + cut + hidden


def unwrap_help(command: Any) -> None:
    """Unwrap the help of ``command``, its parameters and every sub-command below it, in place."""
    for attr in ("help", "short_help", "epilog"):
        if getattr(command, attr, None):
            setattr(command, attr, unwrapped(getattr(command, attr)))
    if command.help and not getattr(command, "short_help", None):
        # A group's list shows the whole first paragraph, as rich does: click's own short
        # help cuts it at the width (``Search...``) on a narrow terminal.
        command.short_help = command.help.partition("\f")[0].split("\n\n")[0]
    for param in getattr(command, "params", ()):
        if getattr(param, "help", None):
            param.help = unwrapped(param.help)
        if getattr(param, "multiple", False) and param.metavar is None:
            param.metavar = one_value_shown(param)
        elif getattr(param, "param_type_name", None) == "argument" and param.nargs == -1:
            # An argument's metavar would rename it (changes... shown as <str>): its type alone changes.
            one = one_value_shown(param)
            if one is not None:
                param.display_type = lambda ctx, one=one: one
    if hasattr(command, "rich_markup_mode") and not hasattr(command.format_help, "plain_when_narrow"):
        command.format_help = _plain_when_narrow(command, command.format_help)
    for sub in (getattr(command, "commands", None) or {}).values():
        unwrap_help(sub)


def one_value_shown(option: Any) -> Optional[str]:
    """The value a repeatable option takes at each use (``--set <str>``): typer shows its type
    as the whole list (``--set <list[str]>``), which reads as one value written as a list."""
    shown = getattr(option, "display_type", None)
    label = shown(None) if shown is not None else None
    one = re.fullmatch(r"<list\[(.+)\]>", label) if isinstance(label, str) else None
    return f"<{one.group(1)}>" if one else None


def terminal_columns() -> int:
    """The width rich renders the help at: the terminal's, $COLUMNS, or 80 off a terminal."""
    from rich.console import Console

    return Console().width


def _plain_when_narrow(command: Any, rich_help: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """``command.format_help`` that lays the help out as click does (no tables) on a
    terminal narrower than NARROW_COLUMNS, at the terminal's width."""
    def format_help(ctx: Any, formatter: Any) -> None:
        columns = terminal_columns()
        if columns >= NARROW_COLUMNS:
            return rich_help(ctx, formatter)
        formatter.width = max(columns - 2, 20)  # click's own floor (50) overflows a 40-column terminal
        formatter.write_dl = lambda rows, *_: _write_stacked(formatter, rows)
        mode, command.rich_markup_mode = command.rich_markup_mode, None  # typer's switch to click's layout
        try:
            return rich_help(ctx, formatter)
        finally:
            command.rich_markup_mode = mode

    format_help.plain_when_narrow = True  # type: ignore[attr-defined]
    return format_help


def _write_stacked(formatter: Any, rows: Any) -> None:
    """click's list of options or commands with each description under its name, indented:
    side by side, a 40-column terminal leaves a description one word a line."""
    from typer._click.formatting import wrap_text

    indent = " " * formatter.current_indent
    for term, text in rows:
        formatter.write(f"{indent}{term}\n")
        if text:
            formatter.write(wrap_text(text, formatter.width, initial_indent=indent + "    ",
                                      subsequent_indent=indent + "    ", preserve_paragraphs=True) + "\n")


class UnwrappedHelpGroup(TyperGroup):
    """The ``nntune`` group: built with its sub-commands (typer passes them in), it unwraps
    their help, whoever builds it (the command's main, or a test's ``CliRunner``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unwrap_help(self)
