"""``nntune.tune``: what ``nntune tune`` does, from Python (a notebook, a script), returning
the summary instead of printing it."""

from __future__ import annotations

import copy
import hashlib
import io
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nntune._default_files import model_path_for, report_path_for
from nntune._files import check_writable_file, safe_name, write_atomic
from nntune.config_overrides import set_value
from nntune.exceptions import ConfigError
from nntune.runner_summary import TuneSummary
from nntune.study import Study
from nntune.trial import FrozenTrial


ARRAY_KEYS = ("x", "y", "x_test", "y_test", "x_val", "y_val", "classes", "feature_names")
DATA_DIR = Path("data")
# a stored study's refusal names the command's flag; from Python the study is named by set=
CLI_STUDY_HINT = "(--study NAME)"
PYTHON_STUDY_HINT = "(set={'study': NAME})"


def tune(config: str | Path | Mapping[str, Any] | None = None, *, set: Mapping[str, Any] | None = None,
         data: Mapping[str, Any] | Sequence[Any] | None = None, report: str | Path | bool = True,
         model_file: str | Path | bool = True,
         on_trial: Callable[[Study, FrozenTrial], None] | None = None) -> TuneSummary:
    """Tune the built-in trainer as ``nntune tune`` does: ``config`` is a YAML file, a dict
    of the same shape (whose ``space`` may be a :class:`~nntune.Space`, or give a name a
    ``Float``, ``Int``, ``Choice`` or ``Beta``), or None for the embedded default; ``set`` changes values by dotted
    name (``{"search.trials": 10, "fixed.epochs": 5}``), as ``--set`` does. The search runs,
    the test split is opened once for the best trial, and the report (``report``: a path,
    True for ``reports/STUDY.html``, False for none) and the model file (``model_file``,
    likewise ``models/STUDY.pt``) are written; the summary's ``report_path`` and
    ``model_path`` say where. ``on_trial(study, trial)`` is called as each trial ends.
    Bad input raises :class:`~nntune.exceptions.ConfigError` before anything is written.

    ``data`` trains on arrays in memory (numpy, torch tensors or lists) instead of
    ``task.data``: ``(x, y)``, ``(x, y, x_test, y_test)`` or a dict with those keys (and
    ``x_val``, ``y_val`` for a validation split of your own, ``classes``, ``feature_names``),
    read as an npz file is. They are written once to
    ``data/STUDY-<digest>.npz`` (a hard link to another study's file of the same arrays,
    so the data is on disk once) and the study's config names that file, so worker processes,
    a resumed run and ``nntune export-model`` read the same data, and a run with other
    arrays is a changed config, not a silent resume."""
    from nntune.config import parse_config, read_raw
    from nntune.runner import check_executor, check_resumable, prepare, run_tune

    if config is not None and not isinstance(config, (str, Path, Mapping)):
        raise ConfigError("config", f"give a YAML file's path or a dict, got {type(config).__name__}")
    if isinstance(data, (str, Path)):  # a name or a file is the config's task.data, not arrays
        kind = Path(data).suffix.lstrip(".").lower()
        column = ", 'target': ..." if kind == "csv" else ""
        spec = f"{{'kind': {kind!r}, 'path': {str(data)!r}{column}}}" if kind else repr(str(data))
        raise ConfigError("data", f"takes arrays; give a data set by name or file as task.data: "
                                  f"set={{'task.data': {spec}}}")
    if set is not None and not isinstance(set, Mapping):
        raise ConfigError("set", f"give a dict of dotted names to values, got {type(set).__name__}")
    raw = copy.deepcopy(dict(config)) if isinstance(config, Mapping) else read_raw(config)
    for path, value in (set or {}).items():
        set_value(raw, str(path), value)
    plain_space(raw)
    source = str(config) if isinstance(config, (str, Path)) else "dict" if config else "default"
    cfg = parse_config(raw, source)
    check_executor(cfg)
    # by default, never over another study's files: "a b" and "a_b" share their safe name
    report_path = _output(report, lambda: report_path_for(cfg.study, "report"), "report")
    model_path = _output(model_file, lambda: model_path_for(cfg.study, "model_file"), "model_file")
    written: Path | None = None
    if data is not None:
        blob = npz_bytes(data)
        target = DATA_DIR / f"{safe_name(cfg.study)}-{hashlib.sha256(blob).hexdigest()[:12]}.npz"
        check_writable_file(target, "data")
        given = cfg.task.data if isinstance(cfg.task.data, Mapping) else {}
        keep = {k: v for k, v in given.items() if k in ("task", "missing")}  # how to read it, not where
        set_value(raw, "task.data", {**keep, "kind": "npz", "path": str(target)})
        cfg = parse_config(raw, source)
        try:  # other arrays for a stored study: refused before their file is written
            check_resumable(cfg)
        except ConfigError as err:
            if err.field != "task.data.path":
                raise python_terms(err) from None
            # in the terms of this call (data=, set=), not of a config file and --study
            raise ConfigError("data", f"other arrays than the ones study {cfg.study!r} was tuned with; give those "
                                      f"to resume it, or tune these as another study {PYTHON_STUDY_HINT}") from None
        if not target.is_file():  # the same arrays again (a resumed study): the file is there
            written = store_arrays(target, blob)
    try:
        prepared = prepare(cfg)
    except BaseException as err:
        if written is not None:  # arrays the trainer refuses leave nothing behind
            written.unlink(missing_ok=True)
        if isinstance(err, ConfigError):
            raise python_terms(arrays_error(err, target) if data is not None else err) from None
        raise
    summary = _keeping_torch_threads(lambda: run_tune(prepared, on_trial=on_trial, model_file=model_path))
    if report_path is not None:
        from nntune.report import write_report

        summary.report_path = write_report(summary.storage, summary.study, report_path, field="report")
    fresh = summary.test is not None and not summary.test.recorded
    summary.model_path = model_path if fresh and model_path is not None and model_path.is_file() else None
    return summary


def plain_space(raw: dict[str, Any]) -> None:
    """nntune's own space classes in a config's ``space`` (a :class:`~nntune.space.Space`, or a
    ``Float``, ``Int``, ``Choice`` or ``Beta`` for a name) as the entries a YAML file gives:
    the study stores its config as data, and compares a resumed run's with it."""
    from nntune.space import Beta, Choice, Float, Int, Space

    def entry(dist: Any) -> Any:
        if not isinstance(dist, (Float, Int, Choice, Beta)):
            return dist
        return {k: v for k, v in dist.to_json().items() if v is not None}

    space = raw.get("space")
    if isinstance(space, Space):
        raw["space"] = {name: {**entry(dist), **({"when": dict(space.conditions[name])}
                                                 if space.conditions.get(name) else {})}
                        for name, dist in space.params.items()}
    elif isinstance(space, Mapping):
        raw["space"] = {name: entry(dist) for name, dist in space.items()}


def _keeping_torch_threads(run: Callable[[], TuneSummary]) -> TuneSummary:
    """``run()`` with torch's thread count as the caller had it afterwards, however it ends:
    each trial sets the count to what the machine's load leaves free (one core on a busy
    machine, ``NNTUNE_THREADS``), a process-wide setting that the notebook's own torch code
    after the call would otherwise run on."""
    import torch

    before = torch.get_num_threads()
    try:
        return run()
    finally:
        torch.set_num_threads(before)


def store_arrays(target: Path, blob: bytes) -> Path:
    """Write ``blob`` (an npz file's bytes) to ``target``, ``data/STUDY-<digest>.npz``; where
    another study's file holds the same bytes (``data/OTHER-<digest>.npz``), ``target`` is a
    hard link to it: a notebook that tunes one data set as many studies keeps it once on
    disk, and each study still has its own name for it (removing one leaves the others)."""
    digest = target.stem.rsplit("-", 1)[-1]
    for same in sorted(target.parent.glob(f"*-{digest}.npz")):
        try:
            if same.stat().st_size == len(blob) and same.read_bytes() == blob:
                os.link(same, target)
                return target
        except OSError:  # gone meanwhile, or no hard links on this file system: a copy of its own
            continue
    return write_atomic(target, blob, field="data")


def python_terms(err: ConfigError) -> ConfigError:
    """``err`` with the command's ``--study NAME`` hint as this call's ``set={'study': NAME}``."""
    if CLI_STUDY_HINT not in err.problem:
        return err
    return ConfigError(err.field, err.problem.replace(CLI_STUDY_HINT, PYTHON_STUDY_HINT))


def arrays_error(err: ConfigError, file: Path) -> ConfigError:
    """A refusal of the npz file written from ``data=``, in the terms of the arrays given:
    ``data.y``, not ``task.data.y`` of a file the caller never named."""
    if err.field == "task.data" and err.problem.startswith(f"{file.stem} "):  # the arrays as a whole
        return ConfigError("data", err.problem.removeprefix(f"{file.stem} "))
    key = err.field.removeprefix("task.data.")
    if key not in (*ARRAY_KEYS, "path"):  # task.data.missing and the like are the config's own
        return err
    problem = err.problem.replace(f" in {file.name}", "").replace(f"{file.name}: ", "")
    return ConfigError("data" if key == "path" else f"data.{key}", problem)


def _output(given: str | Path | bool, default: Callable[[], Path], field: str) -> Path | None:
    if given is False:
        return None
    path = default() if given is True else Path(given)
    if field == "report":
        from nntune.report.output import check_page_name

        check_page_name(path, field)
    return check_writable_file(path, field)


def npz_bytes(data: Mapping[str, Any] | Sequence[Any]) -> bytes:
    """``data`` (``(x, y[, x_test, y_test])`` or a dict of :data:`ARRAY_KEYS`) as the bytes of
    an npz file (no pickled objects: text labels become a string array)."""
    if isinstance(data, Mapping):
        unknown = sorted(str(k) for k in data if k not in ARRAY_KEYS)
        if unknown:
            raise ConfigError("data", f"unknown keys {unknown}; give {', '.join(ARRAY_KEYS)}")
        arrays = dict(data)
    elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)) and len(data) in (2, 4):
        arrays = dict(zip(ARRAY_KEYS, data))
    else:
        raise ConfigError("data", "give (x, y), (x, y, x_test, y_test) or a dict of arrays")
    for key in ("x", "y"):
        if arrays.get(key) is None:
            raise ConfigError(f"data.{key}", "is missing")
    columns = getattr(arrays["x"], "columns", None)
    if columns is not None and arrays.get("feature_names") is None:
        # A DataFrame's column names are its features' names: the model file keeps them, so
        # its predict takes a DataFrame of new rows by name, as after a CSV.
        arrays["feature_names"] = [str(c) for c in columns]
    out = {}
    for key, value in arrays.items():
        if value is None:
            continue
        if hasattr(value, "detach"):  # a torch tensor, wherever it lives
            value = value.detach().cpu().numpy()
        array = np.asarray(value)
        if array.dtype == object:
            inputs = key in ("x", "x_test", "x_val")
            array = _numbers(array, key, arrays.get("feature_names")) if inputs else _labels(array, key)
        out[key] = array
    buffer = io.BytesIO()
    np.savez(buffer, **out)
    return buffer.getvalue()


def _labels(array: np.ndarray, key: str) -> np.ndarray:
    """Labels of dtype object (text, a pandas Series of strings or categories) as a string
    array; a missing one (None, NaN, pandas.NA) is refused as missing numbers are, not
    turned into a class named 'None' or 'nan'."""
    import pandas as pd

    if key in ("y", "y_test", "y_val") and bool(np.any(pd.isna(array))):
        raise ConfigError(f"data.{key}", "has missing or infinite targets")
    return array.astype(str)


def _numbers(array: np.ndarray, key: str, names: Sequence[str] | None) -> np.ndarray:
    """Inputs of dtype object as numbers: a DataFrame with a bool or an integer column beside
    float ones (or Python numbers in a list of rows) holds numbers as objects, which are
    features, not text. Text among them is refused by name: the trainer takes numeric inputs
    from arrays (a table with text columns is one-hot encoded from a CSV file)."""
    try:
        return array.astype(np.float64)
    except (TypeError, ValueError):
        pass
    where, texts = "", []
    for j, column in enumerate(array.T if array.ndim == 2 else [array.ravel()]):
        texts = [v for v in column if isinstance(v, (str, bytes))]
        if texts and array.ndim == 2:
            where = f" in column {names[j]!r}" if names is not None and j < len(names) else f" in column {j}"
        if texts:
            break
    shown = repr(texts[0]) if texts else "a value that is not a number"
    raise ConfigError(f"data.{key}", f"must hold numbers, got {shown}{where}; encode text columns first "
                                     "(pandas.get_dummies), or give the table as a CSV file: "
                                     "set={'task.data': {'kind': 'csv', 'path': ..., 'target': ...}}")
