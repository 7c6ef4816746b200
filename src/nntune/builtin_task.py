"""A config's task as the built-in trainer takes it: its data, split and checked; the
hyperparameters a trial trains with, the augmentation of its batches, and what a trained model
measured (its costs, its values for ``task.metric``, its constraints).

:mod:`nntune.builtin` builds the objective from these and re-exports them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import torch

from nntune.config import Config
from nntune.config_objectives import constraint_values
from nntune.exceptions import ConfigError
from nntune.study import Study
from nntune.train import Splits, load_splits
from nntune.train.augment import augment_for, make_eval_transform
from nntune.train.basics import LOSSES
from nntune.train.costs import model_costs
from nntune.train.metrics import check_metric
from nntune.trial import FrozenTrial


def load_task_splits(cfg: Config) -> Splits:
    """The config's data, split and normalized with statistics of the training split only."""
    task = cfg.task
    splits = load_splits(task.data, split=task.split, seed=cfg.search.seed, normalize=task.normalize,
                         train_size=task.train_size, **task.options)
    try:
        check_metric(task.trained_metric, splits.task_type)
    except ConfigError as err:
        raise ConfigError("task.metric", err.problem) from None
    check_losses(cfg, splits.task_type)
    if task.trained_metric == "r2" and len(splits.y_val) < 2:
        # R^2 of one sample is undefined (NaN): every trial would end as diverged
        raise ConfigError("task.split", f"r2 needs 2 or more validation samples; the split leaves {len(splits.y_val)}")
    if isinstance(task.positive_class, str):
        raise ConfigError("task.positive_class", class_index_hint(task.positive_class, splits))
    if task.positive_class is not None:
        if splits.task_type != "classification" or not 0 <= task.positive_class < splits.n_classes:
            raise ConfigError("task.positive_class", f"{task.positive_class} is not a class of {splits.name or 'the data'} "
                                                     f"(classes 0 to {max(0, splits.n_classes - 1)})")
        splits.info["positive_class"] = task.positive_class
    splits.info["beta"] = task.beta
    return splits


def class_index_hint(given: str, splits: Splits) -> str:
    """What to give instead of a class's name: the positive class is its index, as in the
    notes' advice and the stored configs (``malignant`` is 1 of breast_cancer)."""
    classes = [str(c) for c in splits.info.get("classes") or []] if splits.task_type == "classification" else []
    listed = ", ".join(f"{i} {name}" for i, name in enumerate(classes)) or "none named"
    if given in classes:
        return f"give the class's index, not its name: {given!r} is {classes.index(given)} (classes: {listed})"
    return f"give a class's index, not a name; {given!r} is not a class of {splits.name or 'the data'} (classes: {listed})"


def check_losses(cfg: Config, task_type: str) -> None:
    """A loss, fixed or searched, that the data's task cannot take (cross_entropy for a
    regression) is refused before the study opens, not in every trial that trains with it."""
    allowed = LOSSES[task_type]
    spec = cfg.space.get("loss")
    entries = [("fixed.loss", [cfg.fixed["loss"]])] if cfg.fixed.get("loss") is not None else []
    entries += [("space.loss", list(spec.values or []))] if spec is not None else []
    for field, values in entries:
        other = next((v for v in values if v not in allowed), None)
        if other is not None:
            raise ConfigError(field, f"{other!r} is not a {task_type} loss; choose from {', '.join(allowed)}")


def trial_hyperparameters(cfg: Config, params: Mapping[str, Any], epochs: int | None = None) -> dict[str, Any]:
    """What the trainer gets: the fixed values, overridden by the trial's sampled ones, and
    the scheduler's largest budget as the number of epochs where one is set."""
    merged = {**cfg.hyperparameters(), **params}
    if epochs is not None:
        merged["epochs"] = int(epochs)
    return merged


def stored_hyperparameters(cfg: Config, trial: FrozenTrial, epochs: int | None = None) -> dict[str, Any]:
    """:func:`trial_hyperparameters` of a stored trial, to rebuild its model. A babysat
    trial's parameters are its whole configuration (the fixed and ``--set`` values of the
    babysit run that queued it, or of the trial it forks), and the study keeps the config of
    its latest babysit run: that run's fixed values (``units=999``) were never an earlier
    trial's, so they are not laid under its parameters."""
    if "babysit" not in trial.system_attrs:
        return trial_hyperparameters(cfg, trial.params, epochs)
    own = dict(trial.params)
    if epochs is not None:
        own["epochs"] = int(epochs)
    return own


def training_augment(cfg: Config, splits: Splits, params: Mapping[str, Any], seed: int) -> Any:
    """The task's augmentation of training batches (None without one). Parameters such as
    ``rotation.degrees`` may be searched like any hyperparameter."""
    if not cfg.task.augment:
        return None
    try:
        return augment_for(splits, cfg.task.augment, params, seed=seed)
    except ConfigError as err:
        raise ConfigError(f"task.{err.field}", err.problem) from None


def evaluation_transform(cfg: Config, params: Mapping[str, Any]) -> Any:
    """What validation and test batches need to match the augmented training batches (the
    resize to 224x224 beside a random 224x224 crop), or None when sizes already match."""
    if not cfg.task.augment:
        return None
    try:
        return make_eval_transform(cfg.task.augment, params)
    except ConfigError as err:
        raise ConfigError(f"task.{err.field}", err.problem) from None


def warn_direction(cfg: Config, study: Study) -> None:
    """Warn when the study runs the other way than the task: ``create_study()`` minimizes,
    and an accuracy minimized makes the worst model the study's best."""
    have = [str(getattr(d, "value", d)) for d in study.directions]
    if have != list(cfg.task.directions):
        word = "directions" if len(have) > 1 else "direction"
        wanted = cfg.task.directions if len(have) > 1 else repr(cfg.task.directions[0])
        warnings.warn(f"the study is to {' and '.join(have)} but the task's {', '.join(cfg.task.objectives)} "
                      f"is to {' and '.join(cfg.task.directions)}: create the study with {word}={wanted}",
                      UserWarning, stacklevel=3)


def trial_costs(cfg: Config, model: torch.nn.Module, splits: Splits, transform: Any = None) -> dict[str, float]:
    """The model's costs the config asks for (objectives or constraints): ``params``, and
    ``latency_ms`` on one validation input on the device the model trained on."""
    if not cfg.task.costs:
        return {}
    return model_costs(model, splits.x_val[:1], cfg.task.costs, transform=transform)


def objective_values(cfg: Config, value: float, costs: Mapping[str, float]) -> tuple[float, ...]:
    """One value per ``task.metric`` entry, in its order: the trained metric's validation
    value, the costs as measured."""
    return tuple(value if name == cfg.task.trained_metric else float(costs[name]) for name in cfg.task.objectives)


def measured(cfg: Config, trial: FrozenTrial) -> dict[str, float]:
    """What a finished trial measured, by name: the trained metric's value and its costs."""
    out = {k: float(v) for k, v in trial.user_attrs.items() if k in cfg.task.costs and v is not None}
    values = trial.values
    if values is not None:
        out[cfg.task.trained_metric] = float(values[cfg.task.objectives.index(cfg.task.trained_metric)])
    return out


def meets_constraints(cfg: Config, value: float, costs: Mapping[str, Any]) -> bool:
    """Whether a trial worth ``value`` whose model measured ``costs`` met ``task.constraints``:
    only such a model may be kept as the best for the test look (a trial that broke them is
    never the best one looked at)."""
    if not cfg.task.constraints:
        return True
    measures = {k: float(v) for k, v in costs.items() if k in cfg.task.costs and v is not None}
    return all(c <= 0 for c in constraint_values(cfg.task.constraints, {**measures, cfg.task.trained_metric: value}))


def constraints_func(cfg: Config) -> Callable[[FrozenTrial], list[float]] | None:
    """The sampler's ``constraints_func`` for ``task.constraints`` (None without any): each
    value <= 0 when met, so infeasible trials are stored with how far off they were."""
    if not cfg.task.constraints:
        return None
    bounds = cfg.task.constraints

    def func(trial: FrozenTrial) -> list[float]:
        return constraint_values(bounds, measured(cfg, trial))
    return func
