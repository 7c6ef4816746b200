"""The search's parts that need the trainer's side: the sampler with priors and
constraints, the terminator, and the model the config would train, built at the space's
centre and at each searched depth before any study is written. The sampler and scheduler
themselves are built in :mod:`nntune.runner_search` (re-exported here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nntune.builtin import constraints_func, default_priors
from nntune.config import Config
from nntune.config_terminator import terminator_settings
from nntune.exceptions import ConfigError
from nntune.runner_search import (  # noqa: F401 - their first home's import path
    EQUAL_BUDGET_MODELS,
    MULTI_FIDELITY,
    budget_epochs,
    build_scheduler,
    check_search_options,
    idle_scheduler_warning,
    model_sampler,
    trainable_subspace,
)
from nntune.samplers import PriorSampler, Sampler
from nntune.schedulers import Scheduler
from nntune.space import Choice, Int, Space
from nntune.unread_settings import READ_BY, unread_setting_warning  # noqa: F401 - their first home's import path


def build_sampler(cfg: Config, scheduler: Scheduler | None = None) -> Sampler:
    """The configured sampler, seen at equal budgets under successive halving, and drawing
    a share of its trials near the priors where the config gives any."""
    sampler = model_sampler(cfg, scheduler)
    priors = {**(default_priors(cfg, cfg.build_space()) if cfg.search.default_priors else {}), **cfg.priors()}
    if priors:
        sampler = PriorSampler(sampler, priors, weight=cfg.search.prior_weight, spread=cfg.search.prior_spread)
    constraints = constraints_func(cfg)
    if constraints is not None:
        # The study stores each finished trial's constraint values and shows the sampler
        # infeasible trials ranked last (task.constraints).
        sampler.constraints_func = constraints  # type: ignore[attr-defined]
    return sampler


def build_terminator(cfg: Config, n_val: int) -> Any:
    """The ``TerminatorCallback`` that ``search.terminator`` asks for, or None; ``n_val``:
    the validation split's size, for the sampling error of an accuracy."""
    settings = terminator_settings(cfg.search.terminator)
    if settings is None:
        return None
    from nntune import terminator as t  # scipy and scikit-learn, only for a study that asks

    seed = cfg.search.seed
    improvement: t.BaseImprovementEvaluator = {
        "regret_bound": lambda: t.RegretBoundEvaluator(min_n_trials=settings.min_trials, seed=seed),
        "emmr": lambda: t.EMMREvaluator(seed=seed),
        "stagnation": lambda: t.BestValueStagnationEvaluator(settings.max_stagnation_trials),
    }[settings.improvement]()
    error: t.BaseErrorEvaluator | None = None  # stagnation and EMMR: their own default
    if not isinstance(settings.error, str):
        error = t.StaticErrorEvaluator(settings.error)
    elif settings.error == "curve":
        error = t.CurveNoiseErrorEvaluator()
    elif settings.error == "split":
        error = t.SplitNoiseErrorEvaluator(n_val)
    elif settings.improvement == "regret_bound":
        error = t.AutoErrorEvaluator(n_val, cfg.task.trained_metric)
    return t.TerminatorCallback(t.Terminator(improvement, error, min_n_trials=settings.min_trials), keep_going=True)


def config_field(cfg: Config, name: str) -> str:
    """Where the config sets hyperparameter ``name``: ``space.X``, ``fixed.X``, or for the
    model ``task.model``; a name it does not set (a trainer default) stays as it is."""
    if name in cfg.space:
        return f"space.{name}"
    if name in cfg.fixed:
        return f"fixed.{name}"
    return "task.model" if name == "model" else name


def check_model_builds(cfg: Config, space: Space, splits: Any) -> None:
    """Build the model at the centre of the space for the data's input, as ``--dry-run``
    shows it, and its optimizer: a model that cannot take this data (a CNN on iris's 4
    columns, five kernel sizes for four blocks) or an optimizer the trainer refuses would
    fail every trial, so it stops here, before any study is written, as one line naming the
    config's field."""
    from nntune.builtin import evaluation_transform
    from nntune.train import build_model
    from nntune.train.basics import count_outputs, model_input_shape
    from nntune.train.custom_model import check_forward, is_custom
    from nntune.train.optim import build_optimizer

    example = {**cfg.hyperparameters(), **space.from_unit([0.5] * len(space))}
    shape = model_input_shape(splits, evaluation_transform(cfg, example))
    n_out = count_outputs(splits)
    try:
        model = build_model(example, shape, n_out)
        if is_custom(example.get("model")):  # the built-in ones always answer (batch, n_out)
            check_forward(model, example["model"], shape, n_out)
        # Values the trainer refuses together (adamw with coupled decay, nesterov without
        # momentum) would fail every trial just the same.
        build_optimizer(model, example)
    except ConfigError as err:
        raise ConfigError(config_field(cfg, err.field), err.problem) from None
    check_depths(cfg, space, example, shape, n_out)


# The searched depths whose every value is built before the study: fixed per-layer lists
# beside them (units: [64, 32], kernel_size: [5, 3]) fit only some of them.
DEPTHS = {"layers": ("mlp",), "conv_layers": ("cnn",)}
MAX_DEPTHS = 16  # a longer range is built at its two ends only


def depth_values(dist: Any) -> list[Any]:
    """Every depth a searched ``dist`` can draw (its ends only for a long range)."""
    if isinstance(dist, Choice):
        return list(dist.values)
    if isinstance(dist, Int):
        values = list(range(dist.low, dist.high + 1, dist.step))
        return values if len(values) <= MAX_DEPTHS else [dist.low, dist.high]
    return []


def check_depths(cfg: Config, space: Space, centre: Mapping[str, Any], shape: Any, n_out: int) -> None:
    """Build the model at every searched depth (the rest at the centre): a fixed list of
    one value per layer or block that fits the centre's depth only would otherwise fail
    the trials at every other depth, one by one; refused here in one line naming it."""
    from nntune.train import build_model
    from nntune.train.custom_model import builder_decides, check_forward, is_custom

    model = centre.get("model")
    for depth, readers in DEPTHS.items():
        reads = model in readers or (is_custom(model) and depth in centre and builder_decides(model, depth))
        if depth not in space.params or depth not in centre or not reads:
            continue
        for value in depth_values(space.params[depth]):
            if value == centre[depth]:
                continue
            example = {**centre, depth: value}
            try:
                built = build_model(example, shape, n_out)
                if is_custom(model):
                    check_forward(built, str(model), shape, n_out)
            except ConfigError as err:
                field = config_field(cfg, err.field)
                where = f"at {depth}={value}" + ("" if field == f"space.{depth}" else f" (space.{depth})")
                raise ConfigError(field, f"{where}: {err.problem}") from None
