"""Where the report's page goes: a file, replaced whole (see
:func:`nntune._files.write_atomic`); or a device or a stream (``-o /dev/stdout``,
``-o /dev/null``, a named pipe), written into, never replaced by a file beside it; or
``-``, standard output."""

from __future__ import annotations

import sys
from pathlib import Path

from nntune._files import is_stream, same_as_stdout, write_atomic
from nntune.exceptions import ConfigError


# Suffixes every reader opens as something other than a web page: a report written there
# would be HTML that the file's viewer calls broken.
OTHER_FORMATS = frozenset({"pdf", "png", "jpg", "jpeg", "gif", "svg", "webp", "json", "csv", "parquet", "pq",
                           "yaml", "yml", "md", "db", "sqlite", "pt", "npz", "xlsx"})


def check_page_name(path: str | Path, field: str) -> Path:
    """``path``, unless its suffix names another format (``report.pdf``): the report is one
    HTML page, and nothing converts it."""
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".")
    if suffix in OTHER_FORMATS and not is_stream(target):
        hint = " (a browser prints the page to PDF)" if suffix == "pdf" else ""
        raise ConfigError(field, f"the report is one HTML page, and {target.name!r} is named as {suffix}: "
                                 f"give a .html file{hint}")
    return target


def to_stdout(path: str | Path | None) -> bool:
    """Whether the page written to ``path`` goes to standard output (``-``, ``/dev/stdout``):
    then what is said about it belongs on stderr, not after the page."""
    if path is None:
        return False
    return str(path) == "-" or (is_stream(Path(path)) and same_as_stdout(Path(path)))


def say_written(path: Path) -> None:
    """Say where the page went: on stderr when the page itself went to stdout, so that
    ``nntune report -o - > page.html`` leaves the page whole."""
    shown = "stdout" if str(path) == "-" else path
    print(f"report written to {shown}", file=sys.stderr if to_stdout(path) else sys.stdout)


def write_page(path: str | Path, page: str, *, field: str | None = None) -> Path:
    """Write ``page`` to ``path`` and return the path: a stream is written into, anything
    else replaced atomically. With ``field``, an OS error is a one-line
    :class:`~nntune.exceptions.ConfigError` naming it."""
    target = Path(path)
    if str(target) != "-" and not is_stream(target):
        return write_atomic(target, page, field=field)
    try:
        # Through sys.stdout, so that what is printed after follows the page.
        if str(target) == "-" or same_as_stdout(target):
            sys.stdout.write(page)
            sys.stdout.flush()
        else:
            with open(target, "w", encoding="utf-8") as out:
                out.write(page)
    except OSError as err:
        if field is None:
            raise
        raise ConfigError(field, f"cannot write {target}: {err.strerror or err}") from err
    return target
