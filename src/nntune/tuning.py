"""``nntune.tune``: what ``nntune tune`` does, from Python (a notebook, a script), returning
the summary instead of printing it."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nntune._files import check_writable_file, default_model_path, default_report_path
from nntune.config_overrides import set_value
from nntune.runner_summary import TuneSummary
from nntune.study import Study
from nntune.trial import FrozenTrial


def tune(config: str | Path | Mapping[str, Any] | None = None, *, set: Mapping[str, Any] | None = None,
         report: str | Path | bool = True, model_file: str | Path | bool = True,
         on_trial: Callable[[Study, FrozenTrial], None] | None = None) -> TuneSummary:
    """Tune the built-in trainer as ``nntune tune`` does: ``config`` is a YAML file, a dict
    of the same shape, or None for the embedded default; ``set`` changes values by dotted
    name (``{"search.trials": 10, "fixed.epochs": 5}``), as ``--set`` does. The search runs,
    the test split is opened once for the best trial, and the report (``report``: a path,
    True for ``reports/STUDY.html``, False for none) and the model file (``model_file``,
    likewise ``models/STUDY.pt``) are written; the summary's ``report_path`` and
    ``model_path`` say where. ``on_trial(study, trial)`` is called as each trial ends.
    Bad input raises :class:`~nntune.exceptions.ConfigError` before anything is written."""
    from nntune.config import parse_config, read_raw
    from nntune.runner import prepare, run_tune

    raw = copy.deepcopy(dict(config)) if isinstance(config, Mapping) else read_raw(config)
    for path, value in (set or {}).items():
        set_value(raw, str(path), value)
    cfg = parse_config(raw, str(config) if isinstance(config, (str, Path)) else "dict" if config else "default")
    report_path = _output(report, default_report_path(cfg.study), "report")
    model_path = _output(model_file, default_model_path(cfg.study), "model_file")
    summary = run_tune(prepare(cfg), on_trial=on_trial, model_file=model_path)
    if report_path is not None:
        from nntune.report import write_report

        summary.report_path = write_report(summary.storage, summary.study, report_path, field="report")
    fresh = summary.test is not None and not summary.test.recorded
    summary.model_path = model_path if fresh and model_path is not None and model_path.is_file() else None
    return summary


def _output(given: str | Path | bool, default: Path, field: str) -> Path | None:
    if given is False:
        return None
    return check_writable_file(default if given is True else Path(given), field)
