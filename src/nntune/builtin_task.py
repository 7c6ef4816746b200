"""A config's task as the built-in trainer takes it: its data, split and checked; the
hyperparameters a trial trains with, the augmentation of its batches, and what a trained model
measured (its costs, its values for ``task.metric``, its constraints).

:mod:`nntune.builtin` builds the objective from these and re-exports them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

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
    positive = positive_class_index(task.positive_class, splits)
    if positive is not None:
        splits.info["positive_class"] = positive
    splits.info["beta"] = task.beta
    return splits


def positive_class_index(given: int | str | None, splits: Splits) -> int | None:
    """``task.positive_class`` as the index of a class of ``splits``: an index as given, a
    class's name (``malignant``, where the data names its classes) as its index; anything
    else is refused naming the data's classes."""
    if given is None:
        return None
    classes = [str(c) for c in splits.info.get("classes") or []] if splits.task_type == "classification" else []
    n_classes = splits.n_classes if splits.task_type == "classification" else 0
    if isinstance(given, int) and 0 <= given < n_classes:
        return given
    if isinstance(given, str) and given in classes:
        return classes.index(given)
    data = splits.name or "the data"
    if not n_classes:
        return _refuse(f"{given!r} is not a class of {data}, which is no classification")
    span = f"classes 0 to {n_classes - 1}"
    if classes and classes != [str(i) for i in range(len(classes))]:  # digits' "0" to "9" say no more
        listed = ", ".join(f"{i} {name}" for i, name in enumerate(classes))
        span = f"{span}: {listed}" if isinstance(given, int) else f"classes: {listed}"
    elif isinstance(given, str) and not classes:
        span = f"{span}, unnamed: give an index"
    quoted = f"; the class named {given} is given as '{given}', in quotes" if str(given) in classes else ""
    return _refuse(f"{given!r} is not a class of {data} ({span}){quoted}")


def _refuse(problem: str) -> NoReturn:
    raise ConfigError("task.positive_class", problem)


def resolved_config(cfg: Config, splits: Splits) -> Config:
    """``cfg`` with ``task.positive_class`` given as a class's name replaced by the index
    ``splits`` read it as (:func:`load_task_splits`): the stored config, a resume's and
    ``nntune test``'s comparisons with it, and every line naming the class read the index,
    as for a config that gave it so."""
    index = splits.info.get("positive_class")
    if not isinstance(cfg.task.positive_class, str) or not isinstance(index, int):
        return cfg
    return cfg.model_copy(update={"task": cfg.task.model_copy(update={"positive_class": index})})


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
