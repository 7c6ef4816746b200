"""A CSV file as a data set: ``task.data: {kind: csv, path: data.csv, target: price}``.

Text feature columns become one-hot columns; the target is a class when it is text or has
at most 20 distinct integer values, else a regression target (``task:`` forces it either
way). Missing feature values are refused, dropped or filled as ``missing:`` says
(:data:`~nntune.train.datasets.MISSING`); infinite ones are always refused, and so is a
column of numbers with a stray word in it, which would otherwise be read as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from nntune.exceptions import ConfigError
from nntune.train.datasets import CSV_MAX_CLASSES, MISSING, RawData, _require_path
from nntune.train.splits import TaskType


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
    path = _require_path(spec, want_dir=False)
    target = spec.get("target")
    if target is not None and not isinstance(target, str):
        raise ConfigError("task.data.target", f"give one column name, got {target!r}")
    sep = spec.get("sep", ",")
    if not isinstance(sep, str) or not sep:
        raise ConfigError("task.data.sep", f"give the character between columns (',', ';', '\\t'), got {sep!r}")
    try:
        table = pd.read_csv(path, sep=sep)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise ConfigError("task.data.path", f"cannot read {path.name} as CSV: {str(err).strip()}") from None
    header = str(table.columns[0])
    if len(table.columns) == 1 and target not in (None, header) and any(c in header for c in ",;\t|"):
        # "a;b;y" read as one column: the file's columns are split by another character
        raise ConfigError("task.data.sep", f"{path.name} reads as the one column {header!r} split "
                                           f"by {sep!r}; give the character between its columns")
    if target is None or target not in table.columns:
        raise ConfigError("task.data.target",
                          f"name the target column; {path.name} has {list(table.columns)}")
    features = _csv_features(spec, list(table.columns), target, path.name)
    unlabelled = int(table[target].isna().sum())
    table = table.dropna(subset=[target])
    if table.empty:
        raise ConfigError("task.data.path", f"{path.name} has no rows with a {target!r} value")
    missing = spec.get("missing", "error")
    if missing not in MISSING:
        raise ConfigError("task.data.missing", f"must be one of {', '.join(MISSING)}, got {missing!r}")
    _check_number_columns(table, [*features, target], target, path.name)
    # the columns pandas one-hot encodes (its own choice of dtypes), kept by name so that new
    # rows lacking one are told the column they lack, not one of its one-hot columns
    text = [str(c) for c in table[features].select_dtypes(include=["object", "string", "category"]).columns]
    _check_text_columns(table, text, path.name)
    frame = pd.get_dummies(table[features], dtype=np.float32)  # a missing text value: all its columns 0
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
