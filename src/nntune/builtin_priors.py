"""Priors at the built-in trainer's defaults (``search.default_priors``)."""

from __future__ import annotations

from typing import Any

from nntune.config import Config
from nntune.exceptions import ConfigError
from nntune.space import Space
from nntune.train.basics import resolve_params
from nntune.train.metrics import LOSS, REGRESSION


def default_priors(cfg: Config, space: Space) -> dict[str, Any]:
    """Priors at the built-in trainer's defaults, the values a trial trains with when a name
    is neither searched nor fixed (Adam, beta1 0.9, beta2 0.999, momentum 0.9, 2 layers of
    128 units, batch 64, ...), for each searched name whose default lies in its range. The
    learning rate's is the default of the optimizer the priors pick (1e-3 for Adam, 0.01 for
    SGD-like ones), and none where the optimizer is searched without a prior."""
    fixed = {k: v for k, v in cfg.hyperparameters().items() if k not in space.params}
    try:
        defaults = resolve_params({**fixed, **cfg.priors()}, prior_task_type(cfg))
    except ConfigError as err:  # a loss the task cannot take (cross_entropy for rmse): name the config's entry
        where = f"space.{err.field}.prior" if err.field in cfg.priors() else f"fixed.{err.field}"
        raise ConfigError(where, err.problem) from None
    optimizer = space.params.get("optimizer")
    if optimizer is not None and "optimizer" not in cfg.priors() and not optimizer.contains(defaults["optimizer"]):
        defaults.pop("lr")  # which optimizer's default would it be?
    priors = {}
    for name, dist in space.params.items():
        value = defaults.get(name)
        if value is not None and not isinstance(value, (list, dict)) and dist.contains(value):
            priors[name] = value
    return priors


def prior_task_type(cfg: Config) -> str:
    """The task a config's priors are resolved for, before its data are read: a regression
    metric's, or for ``loss`` (a metric of both) a regression where the fixed loss is one
    only a regression takes (the loss itself cannot be searched then)."""
    if cfg.task.trained_metric in REGRESSION:
        return "regression"
    fixed = cfg.fixed.get("loss")
    return "regression" if cfg.task.trained_metric == LOSS and fixed in ("mae", "huber") else "classification"
