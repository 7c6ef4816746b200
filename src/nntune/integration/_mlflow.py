"""The MLflow callback: each finished trial logged as an MLflow run, so the study's trials can
be searched, compared and charted in MLflow's UI with the rest of a team's experiments.

As Optuna's ``MLflowCallback`` does, every finished trial (complete, pruned, failed) becomes
a run named after the trial's number, in an experiment named after the study (or the
experiment the caller chose with ``create_experiment=False``). The run holds the trial's
parameters, its value(s) as the metric ``metric_name`` (one name per objective, or
``"<metric_name>_<i>"`` when one name is broadcast over several), and as tags its number,
start and end times, state, the study's direction(s), each parameter's distribution (in
Optuna's words, so a search written for Optuna's tags finds nntune's) and the user
attributes. ``track_in_mlflow()`` opens the trial's run around the objective, so that what
the objective logs lands in the run the callback then completes.

What this one adds: a trial that reported intermediate values gets them as the metric
``"<metric_name>_intermediate"`` with the reported steps, a history MLflow charts as the
trial's learning curve. They cannot share the key ``metric_name``: MLflow shows a metric's
value at its largest step, which would then be the curve's last point, not the trial's value.
Nor can the key be ``"<metric_name>/intermediate"``, as in TensorBoard and W&B: MLflow's file
store keeps the metric ``"loss"`` as a file, so ``"loss/..."`` cannot be written beside it.

The ``mlflow`` package (``mlflow-skinny`` suffices) is imported when the callback is made,
so the name can be imported without it.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from nntune.integration._optional import optional_module
from nntune.space import Choice, Float, Int
from nntune.trial import FrozenTrial

RUN_ID_ATTRIBUTE_KEY = "mlflow_run_id"  # Optuna's key: the system attribute holding the trial's run
_INSTALL = "MLflowCallback needs the mlflow package: pip install mlflow-skinny (or mlflow)"


def check_metric_name(metric_name: Any) -> str | Sequence[str]:
    """``metric_name`` as Optuna takes it, one name or a sequence of names; anything else
    raises TypeError when the callback is made rather than after the first trial."""
    if not isinstance(metric_name, Sequence):
        raise TypeError(f"Expected metric_name to be string or sequence of strings, got {type(metric_name)}.")
    return metric_name


def metric_names(metric_name: str | Sequence[str], n_values: int) -> list[str]:
    """The name of each of a trial's ``n_values`` values, by Optuna's rule: a sequence names
    them in the objective's order and must match their number; one name stands for a single
    value and is numbered (``value_0``, ``value_1``) over several."""
    if isinstance(metric_name, str):
        return [metric_name] if n_values == 1 else [f"{metric_name}_{i}" for i in range(n_values)]
    if len(metric_name) != n_values:
        raise ValueError(f"Running multi-objective optimization with {n_values} objective values, but "
                         f"{len(metric_name)} names specified. Match objective values and names, or use "
                         "default broadcasting.")
    return list(metric_name)


def curve_key(metric_name: str | Sequence[str], separator: str = "/") -> str:
    """The learning curve's metric: ``"<metric_name>/intermediate"`` (``separator`` between
    the two), after the first name when several are given (a trial reports one intermediate
    value per step)."""
    name = metric_name if isinstance(metric_name, str) else (list(metric_name) or ["value"])[0]
    return f"{name}{separator}intermediate"


def learning_curve(trial: FrozenTrial) -> list[tuple[int, float]]:
    """The trial's intermediate values by step, in step order. A non-finite report is not
    kept (the pruners judge it when it is made), so its step has no point here; a step
    whose value is None is NaN, a point trackers show as a gap."""
    return [(int(step), math.nan if value is None else float(value))
            for step, value in sorted(trial.intermediate_values.items())]


def optuna_text(dist: Any) -> str:
    """A distribution as Optuna's ``str`` writes it (``FloatDistribution(high=1.0, log=False,
    low=0.0, step=None)``): the text Optuna's callback tags each parameter with. A kind
    Optuna lacks (nntune's ``Beta``) keeps nntune's own text."""
    if isinstance(dist, Float):
        step = None if dist.step is None else float(dist.step)
        return f"FloatDistribution(high={float(dist.high)}, log={dist.log}, low={float(dist.low)}, step={step})"
    if isinstance(dist, Int):
        return f"IntDistribution(high={int(dist.high)}, log={dist.log}, low={int(dist.low)}, step={int(dist.step)})"
    if isinstance(dist, Choice):
        return f"CategoricalDistribution(choices={tuple(dist.values)!r})"
    return str(dist)


class MLflowCallback:
    """``study.optimize(objective, callbacks=[MLflowCallback(tracking_uri, "accuracy")])``:
    after each trial, log it as a run of the MLflow experiment named after the study.

    ``tracking_uri`` is MLflow's (``"sqlite:///mlflow.db"``, a server's address; ``None``
    keeps MLflow's own setting). ``metric_name`` names the objective's value, or each value
    of a study of several objectives. ``create_experiment=False`` logs into the experiment
    already set (``mlflow.set_experiment``) or ``mlflow_kwargs["experiment_id"]``.
    ``mlflow_kwargs`` go to the run's start: ``experiment_id``, ``run_name`` (default: the
    trial's number), ``nested`` (a run under the run active around ``study.optimize``) and
    ``tags``. ``tag_study_user_attrs`` and ``tag_trial_user_attrs`` add those attributes as
    tags (the study's win on a clash).

    Each run holds the trial's parameters, value(s), state and times as Optuna's callback
    logs them and, when the trial reported intermediate values, its learning curve as
    ``"<metric_name>_intermediate"`` by step.
    """

    def __init__(self, tracking_uri: str | None = None, metric_name: str | Sequence[str] = "value",
                 create_experiment: bool = True, mlflow_kwargs: dict[str, Any] | None = None,
                 tag_study_user_attrs: bool = False, tag_trial_user_attrs: bool = True) -> None:
        self._mlflow = optional_module("mlflow", _INSTALL)
        self._tracking_uri = tracking_uri
        self._metric_name = check_metric_name(metric_name)
        self._create_experiment = create_experiment
        self._mlflow_kwargs = mlflow_kwargs or {}
        self._tag_study_user_attrs = tag_study_user_attrs
        self._tag_trial_user_attrs = tag_trial_user_attrs
        # MLflow's tracking URI and current experiment are process-wide: set them and start a
        # run in one step, so threads of one study (n_jobs) cannot interleave the two.
        self._lock = threading.Lock()

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        values = trial.values
        names = None if values is None else metric_names(self._metric_name, len(values))  # before any run
        with self._lock:
            self._initialize_experiment(study)
            run = self._start_run(trial.number, trial.system_attrs.get(RUN_ID_ATTRIBUTE_KEY))
        with run:
            if names is not None:
                self._mlflow.log_metrics(dict(zip(names, values)))
            self._log_curve(run.info.run_id, trial)
            self._mlflow.log_params(trial.params)
            self._mlflow.set_tags(self._tags(study, trial))

    def track_in_mlflow(self) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        """A decorator for the objective: its trial's run is open while it runs, so what it
        logs (``mlflow.log_metric``, artifacts) lands in the run the callback completes after
        the trial. The run's id is kept in the trial's system attribute ``"mlflow_run_id"``.

        Unlike Optuna's, the lock is held only while the run starts, not while the objective
        runs, so trials of ``n_jobs > 1`` still train side by side (MLflow keeps each
        thread's active run apart)."""

        def decorator(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
            @functools.wraps(func)
            def wrapper(trial: Any) -> Any:
                with self._lock:
                    self._initialize_experiment(trial.study)
                    run = self._start_run(trial.number)
                with run:
                    trial.set_system_attr(RUN_ID_ATTRIBUTE_KEY, run.info.run_id)
                    return func(trial)

            return wrapper

        return decorator

    def _start_run(self, number: int, run_id: str | None = None) -> Any:
        """Start trial ``number``'s run, or resume ``run_id``, with ``mlflow_kwargs``: the
        objective's run (``track_in_mlflow``) starts in the experiment the callback then
        completes it in, ``experiment_id`` included (Optuna's starts it in the current one)."""
        return self._mlflow.start_run(run_id=run_id, experiment_id=self._mlflow_kwargs.get("experiment_id"),
                                      run_name=self._mlflow_kwargs.get("run_name", str(number)),
                                      nested=bool(self._mlflow_kwargs.get("nested")),
                                      tags=self._mlflow_kwargs.get("tags"))

    def _initialize_experiment(self, study: Any) -> None:
        """Point MLflow at the tracking URI, if one was given, and at the study's experiment
        (made on first use) unless the caller chose the experiment."""
        if self._tracking_uri is not None:
            self._mlflow.set_tracking_uri(self._tracking_uri)
        if self._create_experiment:
            self._mlflow.set_experiment(study.study_name)

    def _log_curve(self, run_id: str, trial: FrozenTrial) -> None:
        """The intermediate values as one metric's history, in batches (one request per
        thousand points, not one per point). Storage keeps no time per report, so every
        point carries the time it was logged: chart the curve by step."""
        curve = learning_curve(trial)
        if not curve:
            return
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient

        key, now = curve_key(self._metric_name, "_"), int(time.time() * 1000)
        MlflowClient().log_batch(run_id, metrics=[Metric(key, value, now, step) for step, value in curve])

    def _tags(self, study: Any, trial: FrozenTrial) -> dict[str, str]:
        """The run's tags as Optuna's callback sets them, each cut to MLflow's longest tag
        value (a long user attribute would otherwise fail the whole run's logging)."""
        tags: dict[str, Any] = {"number": str(trial.number), "datetime_start": str(trial.datetime_start),
                                "datetime_complete": str(trial.datetime_complete)}
        if trial.state.is_finished():
            tags["state"] = trial.state.name
        directions = [d.name for d in study.directions]
        tags["direction"] = directions if len(directions) != 1 else directions[0]
        tags.update({f"{name}_distribution": optuna_text(dist) for name, dist in trial.distributions.items()})
        if self._tag_trial_user_attrs:
            tags.update(trial.user_attrs)
        if self._tag_study_user_attrs:
            tags.update(study.user_attrs)
        from mlflow.utils.validation import MAX_TAG_VAL_LENGTH as longest

        return {key: text if len(text := str(value)) <= longest else f"{text[: longest - 3]}..."
                for key, value in tags.items()}
