"""A CSV file as a data set: ``task.data: {kind: csv, path: data.csv, target: price}``.

Text feature columns become one-hot columns; the target is a class when it is text or has
at most 20 distinct integer values, else a regression target (``task:`` forces it either
way). Missing feature values are refused, dropped or filled as ``missing:`` says
(:data:`~nntune.train.datasets.MISSING`); infinite ones are always refused, and so is a
column of numbers with a stray word in it, which would otherwise be read as text.
``decimal: ","`` reads numbers written with a decimal comma, ``thousands: "."`` those with
a thousands mark ("1.234,5"; the separator may be it, quoted), ``encoding:`` a file not in
UTF-8 (one starting with a UTF-16 byte-order mark is read as UTF-16). A column without a
header that holds nothing (a separator at the end of every line) or numbers the rows
(the index ``DataFrame.to_csv`` writes first) is no feature and is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from nntune.exceptions import ConfigError
from nntune.train._csv_table import read_table
from nntune.train.data_paths import data_path
from nntune.train.datasets import CSV_MAX_CLASSES, MISSING, RawData
from nntune.train.splits import TaskType


# pandas' name for a column whose header cell is empty ("Unnamed: 3", "Unnamed: 3.1" twice)
_UNNAMED = re.compile(r"Unnamed: \d+(\.\d+)?")
def _not_features(table: pd.DataFrame) -> list[str]:
    """Columns without a header that are no feature: one holding nothing (a separator ending
    every line), and a first one whose values are all there and all different (the index
    ``DataFrame.to_csv`` writes unless told ``index=False``: a row number, which a model
    would learn where the rows were sorted by their target)."""
    out = []
    for position, column in enumerate(table.columns):
        if not _UNNAMED.fullmatch(str(column)):
            continue
        values = table[column]
        if values.isna().all() or (position == 0 and values.notna().all() and values.is_unique):
            out.append(column)
    return out


def _numbers_again(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with each text column that holds numbers only read as numbers: a row left
    out for its missing target (a "Total" line under the table) made pandas read its
    columns as text, and the rows kept are read as if it had not been there. True and False
    with a gap among them, which pandas keeps as objects, are 1, 0 and a missing value (as
    without the gap, and as new rows are read), not text one-hot encoded."""
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object and values.notna().any() and values.dropna().map(type).isin([bool, np.bool_]).all():
            out[column] = values.astype(bool) if values.notna().all() else values.astype(float)
        elif pd.api.types.is_string_dtype(values) and values.notna().any():
            numbers = pd.to_numeric(values, errors="coerce")
            if bool((numbers.notna() == values.notna()).all()):
                out[column] = numbers
    return out


def _no_header(table: pd.DataFrame) -> str:
    """A hint when the header pandas read is a row of numbers: the file has no header line."""
    names = pd.Series([str(c) for c in table.columns])
    numbers = pd.to_numeric(names.str.replace(r"\.\d+$", "", regex=True), errors="coerce").notna()
    return "; its first line holds numbers, not column names: add a header line" if numbers.mean() > 0.5 else ""


def _spaced(table: pd.DataFrame, target: str | None) -> str:
    """A hint when the target is there with spaces around its name ("a, b, label": a space
    after each separator), which a list of the columns shows only as a quote's spacing."""
    near = [c for c in table.columns if target and str(c).strip() == target.strip() and c != target]
    return f"; {near[0]!r} has spaces around its name: give target: {near[0]!r}" if near else ""


def _decimal_commas(values: pd.Series) -> bool:
    """Whether every value of a text column is a number written with a decimal comma."""
    text = values.dropna().astype(str).str.strip()
    if text.empty or not text.str.fullmatch(r"[-+]?\d[\d.]*,\d+").all():
        return False
    return bool(pd.to_numeric(text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False),
                              errors="coerce").notna().all())


def _check_decimal_commas(table: pd.DataFrame, columns: list[Any], name: str) -> None:
    """Numbers with a decimal comma ("2,5"), read as text, would be one category per value
    (a class per value for the target): refuse them, naming the ``decimal`` option, and the
    ``thousands`` one where they also have a thousands mark ("1.234,5")."""
    for column in columns:
        values = table[column]
        if not pd.api.types.is_numeric_dtype(values) and _decimal_commas(values):
            given = values.dropna()
            marks = given.astype(str).str.contains(".", regex=False)
            example, also = (given[marks].iloc[0], " and task.data.thousands: '.'") if marks.any() else (given.iloc[0], "")
            raise ConfigError("task.data.decimal", f"{name}: column {column!r} holds numbers written with a decimal "
                                                   f"comma ({example!r}); set task.data.decimal: ','{also}")


def _thousands_mark(values: pd.Series, decimal: str) -> str | None:
    """The mark between thousands ("," where the decimal mark is ".", "." where it is ",")
    when every value of a text column is a number written with it ("12,345.6") or without,
    and some with it; else None."""
    mark = {".": ",", ",": "."}.get(decimal)
    text = values.dropna().astype(str).str.strip()
    if mark is None or text.empty or not text.str.contains(mark, regex=False).any():
        return None
    d, m = re.escape(decimal), re.escape(mark)
    number = rf"[-+]?(\d{{1,3}}({m}\d{{3}})+|\d+)({d}\d+)?"
    return mark if bool(text.str.fullmatch(number).all()) else None


def _check_thousands(table: pd.DataFrame, columns: list[Any], decimal: str, name: str) -> None:
    """Numbers with a thousands mark ("12,345.6"), read as text, would be one category (a
    class) per value, refused as an identifier: name the ``thousands`` option instead."""
    for column in columns:
        values = table[column]
        mark = None if pd.api.types.is_numeric_dtype(values) else _thousands_mark(values, decimal)
        if mark is not None:
            example = values.dropna()[values.dropna().astype(str).str.contains(mark, regex=False)].iloc[0]
            raise ConfigError("task.data.thousands", f"{name}: column {column!r} holds numbers written with a "
                                                     f"thousands mark ({example!r}); set task.data.thousands: "
                                                     f"'{mark}'")


def _check_empty_columns(table: pd.DataFrame, features: list[Any], missing: str, name: str) -> None:
    """A feature column without a value in any row: every row misses it, so ``missing:
    drop`` would drop them all; say so rather than suggest it."""
    empty = [str(c) for c in features if table[c].isna().all()]
    if empty and missing in ("error", "drop"):
        raise ConfigError("task.data.features", f"{name}: column {empty[0]!r} holds no value in any row; list the "
                                                "other columns in task.data.features")


def _check_target_classes(column: pd.Series, forced: str | None, name: str) -> None:
    """A text target with a different value in most rows (a name, an id, a price with its
    currency sign) is no class label: a class per row, each of one sample."""
    if forced is not None or pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return
    distinct = int(column.nunique())
    if distinct > CSV_MAX_CLASSES and distinct > len(column) / 2:
        raise ConfigError("task.data.target", f"{name}: target {column.name!r} holds {distinct} different text "
                                              f"values in {len(column)} rows ({column.iloc[0]!r}), a class for "
                                              "each; give a column of classes, or of plain numbers for a regression")


def _stripped_text(column: pd.Series) -> pd.Series:
    """Text values without the spaces around them: "yes" and "yes " (a space before the line
    end, or after the separator in "1.5, 2, yes") are one class, and "red", " red" one
    category (one one-hot column), not two; a value of spaces alone is no value. New rows
    are read the same way (:func:`nntune.predict.table_inputs`)."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return column
    stripped = column.map(lambda value: value.strip() if isinstance(value, str) else value)
    return stripped.mask(stripped == "")


def _csv_task(target: pd.Series, forced: str | None) -> TaskType:
    if forced is not None:
        if forced not in ("classification", "regression"):
            raise ConfigError("task.data.task", f"must be classification or regression, got {forced!r}")
        return forced  # type: ignore[return-value]
    if not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target):
        return "classification"
    values = target.to_numpy(dtype=np.float64)
    integral = bool(np.all(np.mod(values, 1) == 0))
    return "classification" if integral and target.nunique() <= CSV_MAX_CLASSES else "regression"


def _csv_features(spec: Mapping[str, Any], columns: list[Any], target: str, name: str) -> list[Any]:
    """The feature columns: ``features:`` (one name or a list) or every column but the target."""
    given = spec.get("features")
    if given is not None and not isinstance(given, (str, list, tuple)):
        raise ConfigError("task.data.features", f"give a column name or a list of them, got {given!r}")
    if given is not None and not len(given):
        raise ConfigError("task.data.features", "lists no column; leave it out for every column but the target")
    features = [given] if isinstance(given, str) else list(given or [c for c in columns if c != target])
    unknown = [c for c in features if c not in columns]
    if unknown:
        raise ConfigError("task.data.features", f"unknown columns {unknown}")
    twice = sorted({str(c) for c in features if features.count(c) > 1})
    if twice:  # one column twice is two identical inputs, and a table no new row can be read into
        raise ConfigError("task.data.features", f"lists {twice} more than once")
    if target in features:  # the answer among the inputs: every model would score perfectly
        raise ConfigError("task.data.features", f"lists the target column {target!r}")
    if not features:
        raise ConfigError("task.data.features", f"{name} has no column besides the target {target!r}")
    return features


def _check_number_columns(table: pd.DataFrame, columns: list[Any], target: str, name: str) -> None:
    """A column of many numbers with a stray word ("?", "n/a") would be read as text: one
    one-hot column per number for a feature, one class per number for the target. Refuse
    it, naming the word, rather than train on that."""
    for column in columns:
        values = table[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        words = numbers.isna() & values.notna()
        if words.any() and numbers.nunique() > CSV_MAX_CLASSES:
            row = int(np.argmax(words.to_numpy()))
            read_as = "one class per value" if column == target else "one one-hot column per value"
            raise ConfigError("task.data.path", f"{name}: column {column!r} holds numbers but {values.iloc[row]!r} in "
                                                f"row {row}; leave a missing number empty, or the column is read as "
                                                f"text, {read_as}")


def _check_text_columns(table: pd.DataFrame, text: list[str], name: str) -> None:
    """A text column with a value for most rows (a name, an id, free text) is no category:
    one-hot encoded it makes a column per row, which the model learns by heart and which
    no new row matches, and on a large file more columns than memory holds. Refuse it,
    naming it, rather than train on that."""
    for column in text:
        distinct = int(table[column].nunique())
        if distinct > CSV_MAX_CLASSES and distinct > len(table) / 2:
            raise ConfigError("task.data.features", f"{name}: text column {column!r} holds {distinct} different "
                                                    f"values in {len(table)} rows, a one-hot column for each: an "
                                                    "identifier or free text, not a category; list the other "
                                                    "columns in task.data.features")


def _check_one_hot_names(table: pd.DataFrame, frame: pd.DataFrame, text: list[str], name: str) -> None:
    """A column named as a text column's one-hot column (colour_red beside colour holding
    "red") makes two inputs of one name: new rows are matched to the model's inputs by
    name, so one would take the other's values, and a file lacking the number would not
    be told it lacks it. Refuse it, naming both."""
    twice = frame.columns[frame.columns.duplicated()]
    if not len(twice):
        return
    clash = str(twice[0])
    makers = [f"text column {c!r} (its value {v!r})" for c in text for v in table[c].dropna().unique()
              if f"{c}_{v}" == clash]
    if clash in table.columns:
        makers.insert(0, f"column {clash!r}")
    raise ConfigError("task.data.features", f"{name}: {' and '.join(makers[:2])} both make the input {clash!r}; "
                                            "rename one, or list the columns to use in task.data.features")


def _infinite_columns(frame: pd.DataFrame) -> list[str]:
    values = frame.to_numpy(dtype=np.float64)
    return [str(c) for c, bad in zip(frame.columns, np.isinf(values).any(axis=0)) if bad]


def _csv_target(column: pd.Series, task: TaskType, name: str) -> tuple[np.ndarray, list[str]]:
    """Class codes and names, or regression values (finite numbers only)."""
    if task == "classification":
        labels = column.to_numpy()
        if pd.api.types.is_float_dtype(column) and bool(np.all((np.mod(labels, 1) == 0) & (np.abs(labels) < 2**53))):
            # whole numbers read as floats because a row lacked its label: the classes are 0 and 1, not 0.0 and 1.0
            column = column.astype(np.int64)
        codes, uniques = pd.factorize(column, sort=True)
        return codes.astype(np.int64), [str(u) for u in uniques]
    values = pd.to_numeric(column, errors="coerce")
    if values.isna().any():
        bad = column[values.isna()].iloc[0]
        raise ConfigError("task.data.task", f"a regression needs numbers, but target {column.name!r} of {name} "
                                            f"holds {bad!r}")
    y = values.to_numpy(dtype=np.float32)
    if not np.isfinite(y).all():
        raise ConfigError("task.data.target", f"target {column.name!r} of {name} has infinite values")
    return y, []


def read_csv(spec: Mapping[str, Any], opts: Mapping[str, Any]) -> RawData:
    """A table with one target column; text feature columns become one-hot columns."""
    path = data_path(spec, want_dir=False)
    target = spec.get("target")
    if target is not None and not isinstance(target, str):
        raise ConfigError("task.data.target", f"give one column name, got {target!r}")
    table = read_table(path, spec)
    sep = spec.get("sep", ",")
    if spec.get("features") is None:
        table = table.drop(columns=[c for c in _not_features(table) if c != target])
    header = str(table.columns[0]) if len(table.columns) else ""
    if len(table.columns) == 1 and target not in (None, header) and any(c in header for c in ",;\t|"):
        # "a;b;y" read as one column: the file's columns are split by another character
        raise ConfigError("task.data.sep", f"{path.name} reads as the one column {header!r} split "
                                           f"by {sep!r}; give the character between its columns")
    if target is None or target not in table.columns:
        raise ConfigError("task.data.target", f"name the target column; {path.name} has {list(table.columns)}"
                                              f"{_spaced(table, target) or _no_header(table)}")
    features = _csv_features(spec, list(table.columns), target, path.name)
    missing = spec.get("missing", "error")
    if missing not in MISSING:
        raise ConfigError("task.data.missing", f"must be one of {', '.join(MISSING)}, got {missing!r}")
    for column in dict.fromkeys([*features, target]):
        table[column] = _stripped_text(table[column])
    unlabelled = int(table[target].isna().sum())
    table = _numbers_again(table.dropna(subset=[target]))
    if table.empty:
        raise ConfigError("task.data.path", f"{path.name} has no rows with a {target!r} value")
    _check_empty_columns(table, features, missing, path.name)
    if spec.get("decimal") is None:
        _check_decimal_commas(table, [*features, target], path.name)
    if spec.get("thousands") is None:
        _check_thousands(table, [*features, target], spec.get("decimal", "."), path.name)
    _check_number_columns(table, [*features, target], target, path.name)
    _check_target_classes(table[target], spec.get("task"), path.name)
    if pd.api.types.is_float_dtype(table[target]) and bool(np.isinf(table[target]).any()):
        # refused before the task is told from the values: an infinite value is no class either
        raise ConfigError("task.data.target", f"target {target!r} of {path.name} has infinite values")
    # the columns pandas one-hot encodes (its own choice of dtypes), kept by name so that new
    # rows lacking one are told the column they lack, not one of its one-hot columns
    text = [str(c) for c in table[features].select_dtypes(include=["object", "string", "category"]).columns]
    _check_text_columns(table, text, path.name)
    frame = pd.get_dummies(table[features], dtype=np.float32)  # a missing text value: all its columns 0
    _check_one_hot_names(table, frame, text, path.name)
    infinite = _infinite_columns(frame)
    if infinite:  # no fill makes sense of them, and one spoils the normalization of every row
        raise ConfigError("task.data.path", f"{path.name} has infinite values in {infinite}")
    gaps = frame.isna().any(axis=1).to_numpy()
    dropped = 0
    if gaps.any() and missing == "error":
        bad = [c for c in frame.columns if frame[c].isna().any()]
        raise ConfigError("task.data.path", f"{path.name} has missing values in {bad} ({int(gaps.sum())} of "
                                            f"{len(gaps)} rows); set task.data.missing to drop, mean or median")
    if gaps.any() and missing == "drop":
        dropped = int(gaps.sum())
        table, frame = table[~gaps], frame[~gaps]
        if table.empty:
            raise ConfigError("task.data.missing", f"drop leaves no row of {path.name}: every row misses a value")
    task = _csv_task(table[target], spec.get("task"))
    y, classes = _csv_target(table[target], task, path.name)
    return RawData(frame.to_numpy(dtype=np.float32), y, task, "tabular", path.stem,
                   f"csv file {path}", classes=classes, feature_names=list(frame.columns),
                   missing=str(missing), dropped_rows=dropped, text_columns=text, unlabelled_rows=unlabelled)
