"""``nntune predict``: a model file's predictions for new rows, read the way its training data
was (a CSV's text columns one-hot encoded to the same columns; an npz file's ``x``; image
files, one or a folder of them, as an image folder's), written as a table: the prediction,
and each class's probability for a classification."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from nntune.exceptions import ConfigError
from nntune.model_file import TunedModel, class_labels

BATCH = 4096


def csv_inputs(path: Path, feature_names: Sequence[str], data: Any, fills: bool = False,
               text_columns: Sequence[str] | None = None) -> tuple[pd.DataFrame, torch.Tensor]:
    """The CSV's rows and their inputs in the training columns' order (:func:`table_inputs`)."""
    from nntune.train.datasets_csv import read_table

    spec = data if isinstance(data, Mapping) else {}
    try:  # with the training file's separator, decimal mark and encoding
        table = read_table(path, spec, field="input", what="save it as UTF-8 text, or in the training file's "
                                                            "encoding")
    except OSError as err:
        raise ConfigError("input", f"cannot read {path} as CSV: {str(err).strip()}") from None
    if table.empty:
        # Without rows pandas cannot tell numbers from text, so every column would look absent.
        raise ConfigError("input", f"{path.name} has no rows to predict, only its header")
    return table, table_inputs(table, feature_names, data, fills, where=path.name, text_columns=text_columns)


def table_inputs(table: pd.DataFrame, feature_names: Sequence[str], data: Any, fills: bool = False,
                 where: str | None = None, text_columns: Sequence[str] | None = None) -> torch.Tensor:
    """A table's inputs in the training columns' order: numbers as they are, text columns
    one-hot with the training's column names (a value the training never saw, or none, is
    all zeros). A column the model needs and the table lacks is an error, and so is a
    missing number unless the model ``fills`` it (trained with ``missing: mean`` or
    ``median``: the model takes NaN and puts the training split's value in its place).
    ``where``: the file the table was read from, named in errors (else "the table").
    ``text_columns``: the training's columns one-hot encoded; a model file of an earlier
    nntune does not say, and a column is then taken as text when a feature name starts
    with its name and "_"."""
    spec = data if isinstance(data, Mapping) else {}
    name = where or "the table"
    if table.empty:
        raise ConfigError("input", f"{name} has no rows to predict")
    numeric = set(feature_names)  # a column trained on as text is there only as its one-hot columns
    known_text = None if text_columns is None else {str(c) for c in text_columns}

    def used(column: Any) -> bool:  # a column of the training's: a number, or text one-hot encoded
        if known_text is not None:
            return column in numeric or column in known_text
        return column in numeric or any(f.startswith(f"{column}_") for f in feature_names)

    given = spec.get("features")
    # Other columns (the target, an earlier prediction's) are left out: one-hot encoding them
    # could make a column per row.
    features = [given] if isinstance(given, str) else list(given or [c for c in table.columns if used(c)])
    absent = [c for c in features if c not in table.columns]
    if absent:
        raise ConfigError("input", f"{name} lacks the columns {absent} the model was trained on")
    if not any(used(c) for c in table.columns):
        names = ", ".join(map(str, list(feature_names)[:4])) + (", ..." if len(feature_names) > 4 else "")
        header = "its first line, read as the header, is" if where else "its columns are"
        raise ConfigError("input", f"{name} names none of the columns the model was trained on ({names}); "
                                   f"{header} {[str(c) for c in table.columns[:4]]}")
    rows = _blanks_missing(table[features])
    for column in features:
        bad = _first_non_number(rows[column]) if column in numeric else None
        if bad is not None:
            raise ConfigError("input", f"{name}: column {column!r} holds {bad[1]!r} in row {bad[0]}, not a "
                                       "number; the model was trained on numbers there")
    text = [c for c in features if c not in numeric]
    frame = pd.get_dummies(_as_typed(rows, text, set(feature_names)), dtype=np.float32)
    needed = [f for f in feature_names if f not in frame.columns and not any(f.startswith(f"{c}_") for c in text)]
    if needed:
        raise ConfigError("input", f"{name} gives no column {_column_of(needed[0], known_text)!r} the model was "
                                   "trained on")
    # a copy: pandas may hand out a read-only view, which torch warns about
    x = frame.reindex(columns=list(feature_names), fill_value=0.0).to_numpy(dtype=np.float32, copy=True)
    if np.isinf(x).any():  # no model output means anything for them, and no fill replaces them
        row, col = (int(i) for i in np.argwhere(np.isinf(x))[0])
        raise ConfigError("input", f"{name}: column {feature_names[col]!r} holds an infinite value in row {row}")
    if not fills and np.isnan(x).any():
        rows = sorted({int(r) for r in np.nonzero(np.isnan(x))[0]})[:5]
        raise ConfigError("input", f"{name} has missing values (rows {rows}); the model was trained "
                                   "without filling them (task.data.missing: mean or median would)")
    return torch.from_numpy(x)


def _blanks_missing(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with each cell of spaces alone a missing value, as training reads one."""
    out = table.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
            blank = out[column].map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
            out[column] = out[column].mask(blank)
    return out


def _column_of(feature: str, text_columns: set[str] | None) -> str:
    """The column of the file a feature came from: a text column for one of its one-hot
    columns (the longest name that prefixes it), else the feature itself."""
    owners = [c for c in text_columns or () if feature.startswith(f"{c}_")]
    return max(owners, key=len) if owners else feature


def _as_typed(table: pd.DataFrame, text: Sequence[str], features: set[str]) -> pd.DataFrame:
    """``table`` with each column read as the training read it, whatever it holds now: a
    column trained on as text is text without the spaces around it (a number or an empty
    column there is a category, unseen ones one-hot to all zeros, as the training's one-hot
    encoding has it), and every other one numbers (True and False with a gap among them,
    which pandas keeps as objects, are 1, 0 and a missing value, not two one-hot columns).
    ``features``: the model's input columns, whose one-hot names say which values it knows."""
    out = table.copy()
    for column in out.columns:
        if column in text:
            out[column] = out[column].map(lambda v: _category(v, column, features)).astype(object)
        elif not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = pd.to_numeric(out[column])  # numbers, as _first_non_number found them
    return out


def _category(value: Any, column: Any, features: set[str]) -> Any:
    """A text column's value as training reads it: without the spaces around it (none left,
    no value). A value the model knows with its spaces is kept as it is: a model file of an
    earlier nntune, which one-hot encoded " red" apart from "red", was trained on it so."""
    if pd.isna(value):
        return value
    given = str(value)
    if f"{column}_{given}" in features:
        return given
    return given.strip() or np.nan


def _first_non_number(column: pd.Series) -> tuple[int, Any] | None:
    """The first row (counted from 0, as the missing-values message counts) whose value is
    there but is not a number, with that value; None when every value is a number or empty."""
    if pd.api.types.is_numeric_dtype(column):
        return None
    bad = pd.to_numeric(column, errors="coerce").isna() & column.notna()
    if not bad.any():
        return None
    row = int(np.argmax(bad.to_numpy()))
    return row, column.iloc[row]


def npz_inputs(path: Path, data: Any, fills: bool = False, options: Mapping[str, Any] | None = None) -> torch.Tensor:
    """The ``x`` array (or the name the training data used) of an npz file, as the npz
    loader and the image scaling of training read it; ``options``: the training's
    ``grayscale``, ``resize`` and ``flatten`` of images, wherever the config gave them."""
    from nntune.train.data import _images_to_float
    from nntune.train.datasets import size_pair
    from nntune.train.datasets_npz import _inputs, array_names, load_arrays

    spec = {**(options or {}), **(data if isinstance(data, Mapping) else {})}
    name = str(spec.get("x", "x"))
    found = load_arrays(path, "input", keys={name})
    if name not in found:
        raise ConfigError("input", f"{path.name} has no array {name!r}; it has {array_names(path)}")
    if found[name].ndim >= 1 and not len(found[name]):
        raise ConfigError("input", f"{path.name}: array {name!r} has no rows to predict")
    _check_finite(found[name], f"{path.name}: array {name!r}", fills)
    try:
        x, modality = _inputs(found[name], "input", gaps=fills)  # NaN only where the model fills it
    except ConfigError as err:
        raise ConfigError("input", f"{path.name}: array {name!r} {err.problem}") from None
    if modality == "image":
        size = size_pair(spec["resize"]) if spec.get("resize") is not None else None
        images = _images_to_float(x, bool(spec.get("grayscale", False)), size)
        return images.flatten(1) if spec.get("flatten") else images
    return torch.from_numpy(np.ascontiguousarray(x))


def _check_finite(x: np.ndarray, where: str, fills: bool) -> None:
    """Infinite inputs are refused, and missing ones unless the model fills them, naming
    the first rows (counted from 0), in words that fit a prediction, not a training."""
    if x.dtype.kind != "f" or x.ndim < 1 or not x.size:
        return
    rows = x.reshape(len(x), -1)
    for bad, what in ((np.isinf(rows), "infinite"), (np.isnan(rows) if not fills else None, "missing")):
        if bad is not None and bad.any():
            first = np.nonzero(bad.any(axis=1))[0][:5].tolist()
            hint = "; the model was trained without filling them (task.data.missing: mean or median would)" \
                if what == "missing" else ""
            raise ConfigError("input", f"{where} has {what} values (rows {first}){hint}")


def image_inputs(path: Path, options: Mapping[str, Any], shape: Sequence[int],
                 resizes: bool = False) -> tuple[list[str], torch.Tensor]:
    """An image file, or every image file under a folder (its class sub-folders too), as the
    image folder loader reads them (``options``: the training's grayscale, resize, flatten;
    ``shape``: the model's input shape, whose channels say grayscale or RGB, and whose
    height and width every image must have unless the model ``resizes`` its inputs)."""
    from nntune.train.data import _images_to_float
    from nntune.train.datasets import size_pair
    from nntune.train.datasets_images import IMAGE_EXTENSIONS, _image_array, image_files

    files = [path] if path.is_file() else image_files(path)
    if not files:
        raise ConfigError("input", f"{path} holds no image file ({', '.join(IMAGE_EXTENSIONS)})")
    gray = bool(options.get("grayscale")) or (len(shape) == 3 and shape[0] == 1)
    size = size_pair(options["resize"]) if options.get("resize") is not None else None
    try:
        arrays = [_image_array(f, "L" if gray else "RGB", size) for f in files]
    except ConfigError as err:
        raise ConfigError("input", err.problem) from None
    takes = tuple(shape[1:]) if len(shape) == 3 and not resizes else None
    wrong = next((i for i, a in enumerate(arrays) if takes is not None and a.shape[:2] != takes), None)
    if wrong is not None:  # the file, not a batch's shape, and what to do
        (h, w), name = arrays[wrong].shape[:2], files[wrong] if path.is_file() else files[wrong].relative_to(path)
        raise ConfigError("input", f"{name} is {h}x{w} pixels (height x width), the model takes {takes[0]}x"
                                   f"{takes[1]}; resize the images to that size")
    sizes = sorted({a.shape[:2] for a in arrays})
    if len(sizes) > 1:
        raise ConfigError("input", f"the images under {path} differ in size {sizes[:4]}; the model takes one size")
    x = np.stack(arrays)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    images = _images_to_float(x, False, None)
    return [str(f) for f in files], images.flatten(1) if options.get("flatten") else images


def predictions(model: TunedModel, x: torch.Tensor) -> pd.DataFrame:
    """One row per input: ``prediction`` (a class label, an integer where the training's
    labels were, or a value) and, for a classification, ``p_<class>`` for each class."""
    shape, given = tuple(model.meta.get("input_shape") or ()), tuple(x.shape[1:])
    # a model whose evaluation batches were resized (task.augment) resizes images of any size,
    # as load_model's module does: their channels must match, not their height and width
    resized = model.resize is not None and len(shape) == len(given) == 3 and given[0] == shape[0]
    if shape and given != shape and not resized:
        raise ConfigError("input", f"inputs of shape {given}, the model takes {shape}")
    with torch.no_grad():
        out = torch.cat([model(x[i:i + BATCH]) for i in range(0, len(x), BATCH)]) if len(x) else torch.empty(0)
    if model.task_type == "regression":
        values = out.reshape(len(x), -1).numpy()
        if values.shape[1] == 1:
            return pd.DataFrame({"prediction": values[:, 0]})
        return pd.DataFrame({f"prediction_{i}": values[:, i] for i in range(values.shape[1])})
    probs = torch.softmax(out, dim=-1).numpy()
    names = model.classes or [str(i) for i in range(probs.shape[1])]
    labels = class_labels(names)  # 3, not "3", for a model trained on integer labels
    table = pd.DataFrame({"prediction": [labels[i] for i in probs.argmax(axis=1)]})
    for i, name in enumerate(names):
        table[f"p_{name}"] = probs[:, i]
    return table


def _trained_on_a_table(model: TunedModel) -> bool:
    """Whether the model's inputs were rows of features, not images (flattened or not)."""
    data = model.meta.get("data")
    flattened = {**(data if isinstance(data, Mapping) else {}), **(model.meta.get("load_options") or {})}.get("flatten")
    return len(model.meta.get("input_shape") or ()) == 1 and not flattened


def predict_file(model: TunedModel, path: Path) -> pd.DataFrame:
    """The predictions for a CSV (its rows, then the prediction columns), an npz file, or
    image files (one, or a folder of them: the file, then the prediction columns)."""
    from nntune.train.datasets_images import IMAGE_EXTENSIONS

    if not path.exists():
        raise ConfigError("input", f"no such file: {path}")
    if path.is_dir() or path.suffix.lower() in IMAGE_EXTENSIONS:
        if _trained_on_a_table(model):
            raise ConfigError("input", "the model was trained on a table, not images; give a CSV or an .npz file")
        data = model.meta.get("data")
        options = {**(model.meta.get("load_options") or {}), **(data if isinstance(data, Mapping) else {})}
        files, x = image_inputs(path, options, model.meta.get("input_shape") or (), resizes=model.resize is not None)
        return pd.concat([pd.DataFrame({"file": files}), predictions(model, x)], axis=1)
    fills = getattr(model, "fill", None) is not None
    if path.suffix.lower() == ".npz":
        return predictions(model, npz_inputs(path, model.meta.get("data"), fills=fills,
                                             options=model.meta.get("load_options")))
    if not model.meta.get("feature_names"):
        what = "a table without column names (no feature_names in its npz file)" if _trained_on_a_table(model) \
            else "images"
        also = ", an image file or a folder of them" if what == "images" else ""
        raise ConfigError("input", f"the model was trained on {what}; give them as an .npz file of x{also}")
    table, x = csv_inputs(path, model.meta["feature_names"], model.meta.get("data"), fills=fills,
                          text_columns=model.meta.get("text_columns"))
    answers = predictions(model, x)
    # a file that already holds such columns (an earlier prediction's output) gets them anew:
    # a table of two "prediction" columns could not be written as JSON or parquet
    kept = table.drop(columns=[c for c in answers.columns if c in table.columns]).reset_index(drop=True)
    return pd.concat([kept, answers], axis=1)
