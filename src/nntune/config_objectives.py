"""Several objectives and constraints in the config: ``task.metric: [accuracy, params]``
(one trained metric and the model's costs, each with its own direction) and
``task.constraints: {params: {max: 100000}}``, checked with one line naming the field, and
the constraint values a sampler's ``constraints_func`` hands the study."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Union

from pydantic import field_validator

from nntune.config_errors import StrictModel, did_you_mean

from nntune.exceptions import ConfigError
from nntune.train.costs import COSTS
from nntune.train.metrics import LOSS, METRIC_NAMES, check_metric, metric_direction

TRAINED: frozenset[str] = frozenset(METRIC_NAMES)
# Keras's names of nntune's metrics (its history's keys, less the val_ of the validation split),
# for the hint a config written the KerasTuner way gets: no spelling is close to these.
KERAS_NAMES = {"acc": "accuracy", "binary_accuracy": "accuracy", "categorical_accuracy": "accuracy",
               "sparse_categorical_accuracy": "accuracy", "f1_score": "f1", "mean_absolute_error": "mae",
               "mean_squared_error": "mse", "root_mean_squared_error": "rmse", "r2_score": "r2"}


# The kinds of the bundled data sets (nntune.train.datasets.BUNDLED), known before any is read.
BUNDLED_KINDS: dict[str, str] = {"digits": "classification", "breast_cancer": "classification",
                                 "wine": "classification", "iris": "classification", "diabetes": "regression",
                                 "mnist_5k": "classification", "fashion_mnist": "classification"}


def known_task_type(data: Any) -> str | None:
    """The kind of ``data`` where the config alone says it (a bundled set's name, a file's
    ``task:``), else None: then only reading the data tells."""
    if isinstance(data, str):
        return BUNDLED_KINDS.get(data)
    given = data.get("task") if isinstance(data, Mapping) else None
    return given if given in ("classification", "regression") else None


def metric_hint(name: str, known: Any) -> str:
    """``; did you mean 'accuracy'?`` for a metric named the Keras way (``val_acc``,
    ``val_mean_absolute_error``) or a name close to one of ``known``, else nothing."""
    bare = name.removeprefix("val_")
    return f"; did you mean {KERAS_NAMES[bare]!r}?" if bare in KERAS_NAMES else did_you_mean(bare, known)


class Bound(StrictModel):
    """``{min: a, max: b}``: a constraint's bounds (at least one), finite: a NaN bound
    would make every trial infeasible and leave the front empty."""

    min: Union[float, None] = None
    max: Union[float, None] = None

    @field_validator("min", "max")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {value}")
        return value


def check_objectives(names: list[str]) -> None:
    """A list of objectives: two or more, no repeats, exactly one trained metric, the rest
    costs (params, latency_ms)."""
    if len(names) < 2:
        raise ValueError("a list of metrics names two or more objectives; give one metric as a plain name")
    for name in names:
        if name not in TRAINED and name not in COSTS:
            known = [*METRIC_NAMES, *COSTS]
            raise ValueError(f"unknown metric {name!r}; choose from {', '.join(known)}{metric_hint(name, known)}")
    if len(set(names)) != len(names):
        raise ValueError("names a metric twice")
    trained = [n for n in names if n in TRAINED]
    if len(trained) != 1:
        raise ValueError(f"a list holds one trained metric and the model's costs ({', '.join(COSTS)}), "
                         f"got {len(trained)} trained metrics")


def check_objectives_config(cfg: Any) -> None:
    """Cross-field checks of several objectives and of constraints, one line naming the field."""
    task = cfg.task
    # The metric decides the direction: a regression's rmse asked of iris is the mistake,
    # not the "maximize" written for it, which the direction's checks below would name.
    # (Without a direction, reading the data names the metric as it would here.)
    kind = known_task_type(task.data)
    if kind is not None and task.direction is not None:
        try:
            check_metric(task.trained_metric, kind)
        except ConfigError as err:
            raise ConfigError("task.metric", err.problem) from None
    n = len(task.objectives)
    if isinstance(task.direction, list) and len(task.direction) != n:
        raise ConfigError("task.direction", f"gives {len(task.direction)} directions for {n} metrics")
    if isinstance(task.direction, str) and n > 1:
        raise ConfigError("task.direction", f"task.metric lists {n} objectives: give a list of {n} "
                                            "directions, or leave it out (each metric's own)")
    given = task.direction if isinstance(task.direction, list) else [task.direction] * n
    for name, direction in zip(task.objectives, given):
        if direction is not None and name in TRAINED and direction != metric_direction(name):
            # Optimizing an error upwards (or accuracy downwards) searches for the worst model.
            # (The embedded default's "maximize" is accuracy's own and is read as left out.)
            better = "higher" if metric_direction(name) == "maximize" else "lower"
            raise ConfigError("task.direction", f"{direction} {name}, where {better} is better: the search would "
                                                f"look for the worst model; leave direction out (each metric's own) "
                                                f"or set it to {metric_direction(name)}")
    if task.beta != 1.0 and "fbeta" not in (*task.objectives, *task.constraints):  # (a stored config holds 1.0)
        raise ConfigError("task.beta", "weighs recall in fbeta only, and task.metric is not fbeta; leave it out")
    for name, bound in task.constraints.items():
        where = f"task.constraints.{name}"
        if name not in COSTS and name != task.trained_metric:
            raise ConfigError(where, f"can bound the trained metric ({task.trained_metric}) or the model's "
                                     f"costs ({', '.join(COSTS)}), not {name!r}")
        if bound.min is None and bound.max is None:
            raise ConfigError(where, "give min, max or both")
        if bound.min is not None and bound.max is not None and bound.min > bound.max:
            raise ConfigError(where, f"min {bound.min:g} is above max {bound.max:g}")
    if task.trained_metric == LOSS:
        check_loss_objective(cfg)
    if n > 1:
        if cfg.search.scheduler != "none":
            raise ConfigError("search.scheduler", f"{cfg.search.scheduler} compares one value per step, which is "
                                                  f"undefined for {n} objectives (task.metric); use none")
        for field in ("patience", "ensemble"):
            if getattr(cfg.search, field) is not None:
                raise ConfigError(f"search.{field}", f"needs one best value, undefined for {n} objectives "
                                                     "(task.metric); leave it out")


def check_loss_objective(cfg: Any) -> None:
    """``task.metric: loss`` ranks trials by their validation loss, which is a value of one
    loss function: searching the loss (or huber's delta, its scale) would rank cross-entropy
    against mse, and an ensemble is scored from averaged predictions, not a loss."""
    fixed_loss = cfg.fixed.get("loss")
    for name in ("loss", "huber_delta"):
        if name in cfg.space and (name == "loss" or fixed_loss == "huber"):
            raise ConfigError(f"space.{name}", f"task.metric loss compares the trials' validation losses, which "
                                               f"are not comparable when {name} is searched; fix {name} or "
                                               "choose another task.metric")
    if cfg.search.ensemble is not None:
        raise ConfigError("search.ensemble", "an ensemble is scored from its members' averaged predictions, and "
                                             "task.metric loss is the trainer's loss of one model; leave it out "
                                             "or choose another task.metric")


def constraint_values(bounds: Mapping[str, Bound], measured: Mapping[str, float]) -> list[float]:
    """Optuna's constraint values, one per bound, each satisfied when <= 0: ``value - max``
    and ``min - value``, in the order the config names them (a missing measure counts as
    far outside: 1e300, as does one that could not be measured, NaN)."""
    out: list[float] = []
    for name, bound in bounds.items():
        value = measured.get(name)
        value = None if value is None or math.isnan(float(value)) else value
        for limit, sign in ((bound.min, -1.0), (bound.max, 1.0)):
            if limit is not None:
                out.append(1e300 if value is None else sign * (float(value) - float(limit)))
    return out
