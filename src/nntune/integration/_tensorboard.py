"""The TensorBoard callback: each finished trial written as a session of TensorBoard's HParams
dashboard, so the study's trials can be compared there side by side.

As Optuna's ``TensorBoardCallback`` does, each completed trial gets its own run directory,
``DIRNAME/trial-N``, holding its hyperparameters (an hparams session named ``trial-N``) and
its value as the scalar ``metric_name`` at step N, the trial's number. Pruned, failed and
diverged trials are not written (``include_pruned=True`` writes pruned ones too).

What this one adds:

- the experiment's hyperparameter domains, written to ``DIRNAME`` itself and read from the
  trials' distributions: an interval for a float, log-scaled, beta or int parameter, the
  set of choices for a categorical one. TensorBoard would otherwise guess them from the
  values it happens to see. The domains span every trial in the study, so a run resumed
  later, or another process writing to the same directory (at the same time too), leaves
  one experiment that covers them all;
- the learning curve: a trial that reported intermediate values gets them as the scalar
  ``"<metric_name>/intermediate"`` over its reported steps, in its own run directory, so
  TensorBoard's Scalars tab overlays the trials' curves. They cannot share the tag
  ``metric_name``: that series is stepped by trial number, and TensorBoard drops the later
  points of a tag whose steps go back;
- each session's start and end times and its status: success for a completed trial,
  unknown for a pruned one (TensorBoard has no status for a trial stopped early), so the
  dashboard's status filter shows or hides the pruned trials.

The ``tensorboard`` package is imported when the callback is made, so the name can be
imported without it.
"""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nntune.integration._optional import optional_module
from nntune.space import Beta, Choice, Float, Int
from nntune.trial import FrozenTrial, TrialState

_EXPERIMENT_SUFFIX = ".nntune-hparams"  # the experiment's event files end so, and only they
_INSTALL = "TensorBoardCallback needs the tensorboard package: pip install tensorboard"


def _import_tensorboard() -> tuple[Any, Any]:
    """The hparams summaries and torch's SummaryWriter, or one ImportError that says what to
    install. (``tensorboard.plugins.hparams.api`` would import TensorFlow for its Keras
    callback; ``summary_v2`` holds the same names without it.)"""
    optional_module("tensorboard", _INSTALL)
    from tensorboard.plugins.hparams import summary_v2
    from torch.utils.tensorboard import SummaryWriter

    return summary_v2, SummaryWriter


def _choices_of_one_type(values: Iterable[Any]) -> tuple[type, list[Any]]:
    """Choices as TensorBoard keeps a discrete domain: all of one type among bool, int, float
    and str. Ints mixed with floats become floats; any other mix (or ``None``) becomes text."""
    values = list(values)
    kinds = {type(v) for v in values}
    if len(kinds) == 1 and next(iter(kinds)) in (bool, int, float, str):
        kind = next(iter(kinds))
    elif kinds == {int, float}:
        kind = float
    else:
        kind = str
    out: list[Any] = []
    for v in values:
        v = kind(v)
        if v not in out:
            out.append(v)
    return kind, out


def _domain(hp_api: Any, dists: Iterable[Any]) -> Any:
    """One hyperparameter's domain over every distribution it was drawn from: the span of
    the intervals, or the union of the choices; ``None`` when a name is both (TensorBoard
    then infers it from the values)."""
    dists = list(dists)
    if all(isinstance(d, Choice) for d in dists):
        kind, values = _choices_of_one_type(v for d in dists for v in d.values)
        return hp_api.Discrete(values, dtype=kind)
    if all(isinstance(d, Int) for d in dists):
        return hp_api.IntInterval(min(int(d.low) for d in dists), max(int(d.high) for d in dists))
    if all(isinstance(d, (Float, Int, Beta)) for d in dists):
        return hp_api.RealInterval(min(float(d.low) for d in dists), max(float(d.high) for d in dists))
    return None


def _hparam_value(domain: Any, value: Any) -> bool | int | float | str:
    """A parameter's value in the type its domain holds (TensorBoard stores numbers, text and
    booleans only)."""
    if domain is not None:
        return domain.dtype(value)
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _experiment_stamp(name: str) -> tuple[int, str]:
    """An experiment file's (time stamp, random part), from its name ending
    ``.<stamp>.<hex><_EXPERIMENT_SUFFIX>``; one named otherwise is older than any stamped."""
    parts = name[:-len(_EXPERIMENT_SUFFIX)].split(".")
    if len(parts) >= 2 and parts[-2].isdigit():
        return int(parts[-2]), parts[-1]
    return -1, ""


def _seconds(when: datetime | None) -> float | None:
    """Seconds since the epoch of a stored time, which storage keeps in UTC without a zone."""
    if when is None:
        return None
    return (when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)).timestamp()


class TensorBoardCallback:
    """``study.optimize(objective, callbacks=[TensorBoardCallback("runs/", "accuracy")])``:
    after each trial, write it for TensorBoard's HParams dashboard (``tensorboard --logdir
    runs/``). ``dirname`` is the directory of the study's runs (one ``trial-N`` directory per
    trial); ``metric_name`` names the objective's value, e.g. ``"accuracy"``.

    A completed trial's run holds its hyperparameters, its value as the scalar
    ``metric_name`` at step N (the trial's number) and, when the trial reported intermediate
    values, its learning curve as ``"<metric_name>/intermediate"`` over the reported steps.
    The hyperparameters' domains are the trials' distributions, written to ``dirname``
    itself. Pruned trials are written only with ``include_pruned=True``, without a value
    and with the status unknown (completed ones: success); failed and diverged trials are
    never written.

    A study of several objectives is refused: the dashboard's metric is one number.
    """

    def __init__(self, dirname: str | os.PathLike[str], metric_name: str, *, include_pruned: bool = False) -> None:
        self._hp, self._writer_class = _import_tensorboard()
        if not isinstance(metric_name, str) or not metric_name:
            raise ValueError(f"metric_name must name the objective's value, got {metric_name!r}")
        self._dirname = str(dirname)
        self._metric_name = metric_name
        self.include_pruned = bool(include_pruned)
        self._seen: set[tuple[str, Any]] = set()  # (name, distribution) pairs in the written experiment
        self._domains: dict[str, Any] = {}

    @property
    def dirname(self) -> str:
        return self._dirname

    @property
    def metric_name(self) -> str:
        return self._metric_name

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        directions = getattr(study, "directions", None) or [None]
        if len(directions) > 1:
            raise ValueError(f"TensorBoardCallback writes one metric, {self._metric_name!r}; this study "
                             f"has {len(directions)} objectives")
        written = (TrialState.COMPLETE, TrialState.PRUNED) if self.include_pruned else (TrialState.COMPLETE,)
        if trial.state not in written:
            return
        if any((name, dist) not in self._seen for name, dist in trial.distributions.items()):
            self._write_experiment(study, trial)
        self._write_trial(trial)

    # the experiment: domains and the metric, at the top of dirname ------------------------
    def _write_experiment(self, study: Any, trial: FrozenTrial) -> None:
        """Write the hyperparameters' domains over every trial of the study (the study's
        trials, not only this process's, so that the experiment left covers them all), then
        remove the experiments written before it: TensorBoard reads the first one it finds.

        Several writers at once (two processes, or two ``optimize`` threads, each with its
        callback) must not remove each other's experiment, nor let one read before a newer
        trial replace one read after it: each file is stamped with the time taken before
        the study was read, and a writer removes the files stamped before its own, and its
        own when one stamped after it is there, so the newest reading is the one left."""
        stamp = time.time_ns()  # before reading: a later stamp reads at least these trials
        trials = [*study.get_trials(deepcopy=False), trial]
        seen = {(name, dist) for t in trials for name, dist in t.distributions.items()}
        self._seen = seen
        by_name: dict[str, list[Any]] = {}
        for name, dist in sorted(seen, key=lambda pair: (pair[0], repr(pair[1]))):
            by_name.setdefault(name, []).append(dist)
        self._domains = {name: _domain(self._hp, dists) for name, dists in by_name.items()}
        hparams = [self._hp.HParam(name, domain) for name, domain in sorted(self._domains.items())]
        config = self._hp.hparams_config_pb(hparams=hparams, metrics=[self._hp.Metric(self._metric_name)],
                                            time_created_secs=time.time())
        mine = (stamp, uuid.uuid4().hex)
        writer = self._writer_class(self._dirname, filename_suffix=f".{mine[0]:020d}.{mine[1]}{_EXPERIMENT_SUFFIX}")
        try:
            writer.file_writer.add_summary(config, global_step=0)
        finally:
            writer.close()
        ours, newer = None, False
        for path in Path(self._dirname).glob(f"*{_EXPERIMENT_SUFFIX}"):
            stamp_of = _experiment_stamp(path.name)
            if stamp_of < mine:
                path.unlink(missing_ok=True)  # another writer may have removed it first
            elif stamp_of == mine:
                ours = path
            else:
                newer = True
        if newer and ours is not None:  # a newer reading was written meanwhile: it is the one to keep
            ours.unlink(missing_ok=True)

    # one trial: its session, its value and its curve, in dirname/trial-N ----------------
    def _write_trial(self, trial: FrozenTrial) -> None:
        run_name = f"trial-{trial.number}"
        hparams = {name: _hparam_value(self._domains.get(name), value) for name, value in trial.params.items()}
        session = self._hp.hparams_pb(hparams, trial_id=run_name, start_time_secs=_seconds(trial.datetime_start))
        completed = trial.state == TrialState.COMPLETE
        writer = self._writer_class(os.path.join(self._dirname, run_name))
        try:
            writer.file_writer.add_summary(session, global_step=0)
            for step, value in sorted(trial.intermediate_values.items()):
                writer.add_scalar(f"{self._metric_name}/intermediate", float(value), int(step))
            if completed:
                value = trial.value if trial.value is not None else math.nan
                writer.add_scalar(self._metric_name, float(value), trial.number)
            writer.file_writer.add_summary(self._session_end(completed, _seconds(trial.datetime_complete)),
                                           global_step=0)
        finally:
            writer.close()

    def _session_end(self, completed: bool, end_time_secs: float | None) -> Any:
        """The session's end, as TensorBoard's HParams plugin reads it: its status column
        shows success for a completed trial and unknown for a pruned one."""
        from tensorboard.compat.proto import summary_pb2
        from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

        info = plugin_data_pb2.SessionEndInfo(
            status=api_pb2.STATUS_SUCCESS if completed else api_pb2.STATUS_UNKNOWN,
            end_time_secs=end_time_secs if end_time_secs is not None else time.time(),
        )
        summary = summary_pb2.Summary()
        summary.value.add(tag=metadata.SESSION_END_INFO_TAG, tensor=metadata.NULL_TENSOR,
                          metadata=metadata.create_summary_metadata(
                              plugin_data_pb2.HParamsPluginData(session_end_info=info)))
        return summary

