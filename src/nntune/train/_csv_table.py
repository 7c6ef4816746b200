"""Reading a CSV file into a table: its separator, decimal and thousands marks and encoding
as ``task.data`` gives them (``sep:``, else the one a first line ``sep=;`` names, as Excel
reads and some exports write), a file that is no text told by its first bytes."""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from nntune.exceptions import ConfigError

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Files taken for text that are not: told by their first bytes, not by a decoding error
_NOT_TEXT = {b"PK\x03\x04": "is a zip archive (an Excel .xlsx workbook, an .npz file), not text; save the table as CSV",
             b"\xd0\xcf\x11\xe0": "is an Excel .xls workbook, not text; save the table as CSV",
             b"\x1f\x8b": "is compressed with gzip; name it with .gz at its end, or unpack it",
             b"\x93NUMPY": "is a numpy .npy array, not text; save arrays with np.savez and read them as kind npz",
             b"PAR1": "is a Parquet file, not text; save the table as CSV (DataFrame.to_csv)"}


def _text_option(spec: Mapping[str, Any], key: str, default: str, example: str) -> str:
    value = spec.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"task.data.{key}", f"give {example}, got {value!r}")
    return value


def _encoding(spec: Mapping[str, Any], path: Path) -> str:
    """``encoding:`` as given (checked), else UTF-8, or UTF-16 for a file starting with its
    byte-order mark (Excel's "Unicode text")."""
    given = spec.get("encoding")
    if given is None:
        with path.open("rb") as fh:
            return "utf-16" if fh.read(2) in _UTF16_BOMS else "utf-8"
    if not isinstance(given, str):
        raise ConfigError("task.data.encoding", f"give an encoding's name (utf-8, cp1252, utf-16), got {given!r}")
    try:
        codecs.lookup(given)
    except LookupError:
        raise ConfigError("task.data.encoding", f"unknown encoding {given!r}; try utf-8, cp1252 or utf-16") from None
    return given


def _sep_line(path: Path, encoding: str) -> str | None:
    """The separator a first line such as ``sep=;`` names (a hint to Excel, no row of the
    table), or None when the file has no such line."""
    try:
        with path.open(encoding=encoding, newline="") as fh:
            first = fh.readline(16)
    except (UnicodeError, OSError):  # no text: pandas' own reading tells why
        return None
    match = re.fullmatch(r"sep=(.)\r?\n?", first.lstrip("\ufeff"))
    return match.group(1) if match else None


def read_table(path: Path, spec: Mapping[str, Any], field: str = "task.data.path",
               what: str = "give its encoding in task.data.encoding (cp1252, latin-1, utf-16)") -> pd.DataFrame:
    """The CSV at ``path`` read with the spec's ``sep``, ``decimal``, ``thousands`` and ``encoding``; a file
    pandas cannot read is one ConfigError naming ``field``, a file not in the encoding
    ending with ``what`` to do about it."""
    encoding = _encoding(spec, path)
    line = _sep_line(path, encoding)
    sep = _text_option(spec, "sep", line or ",", "the character between columns (',', ';', '\\t')")
    decimal = _text_option(spec, "decimal", ".", "the character before a number's decimals ('.' or ',')")
    if len(decimal) != 1 or decimal == sep:  # pandas ignores a decimal mark equal to the separator
        raise ConfigError("task.data.decimal", f"give one character other than the separator {sep!r}, "
                                               f"got {decimal!r}")
    thousands = spec.get("thousands")
    # the separator may be it: "1,234.5" quoted in a comma-separated file, as Excel writes it
    if thousands is not None and (not isinstance(thousands, str) or len(thousands) != 1 or thousands == decimal):
        raise ConfigError("task.data.thousands", f"give the one character between a number's thousands ('.' in "
                                                 f"1.234,5) other than the decimal mark {decimal!r}, got "
                                                 f"{thousands!r}")
    try:
        return pd.read_csv(path, sep=sep, decimal=decimal, thousands=thousands, encoding=encoding,
                           skiprows=1 if line else None)
    except UnicodeError as err:
        with path.open("rb") as fh:
            start = fh.read(8)
        binary = next((tail for magic, tail in _NOT_TEXT.items() if start.startswith(magic)), None)
        if binary is not None:
            raise ConfigError(field, f"cannot read {path.name} as CSV: it {binary}") from None
        raise ConfigError(field, f"cannot read {path.name} as CSV: {str(err).strip()}; {what}") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, ValueError, EOFError, OSError,
            zipfile.BadZipFile) as err:  # also a .gz or .zip file pandas cannot unpack
        raise ConfigError(field, f"cannot read {path.name} as CSV: {str(err).strip()}") from None
