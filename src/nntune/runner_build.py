"""The sampler and scheduler a config names, built with its options: a bad option is one
line naming it, processes sharing a study build the same ones (seeded from the study), and
model-based samplers see equal budgets under successive halving. Also the model the config
would train, built at the space's centre and at each searched depth before any study is written."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from nntune._words import counted
from nntune.builtin import constraints_func, default_priors
from nntune.config import FIXED_DURING_TRAINING, Config, is_hyperparameter
from nntune.config_terminator import terminator_settings
from nntune.exceptions import ConfigError
from nntune.samplers import PriorSampler, Sampler, make_sampler
from nntune.schedulers import ASHA, Hyperband, MedianStopping, Scheduler, equal_budget_sampler, make_scheduler
from nntune.space import Choice, Int, Space
from nntune.unread_settings import READ_BY, unread_setting_warning  # noqa: F401 - their first home's import path


MULTI_FIDELITY = ("asha", "hyperband", "bohb")
EQUAL_BUDGET_MODELS = ("tpe", "gp")  # model-based samplers fitted at a rung under asha / hyperband


def _build(make: Callable[..., Any], name: str, field: str, options: dict[str, Any]) -> Any:
    """``make(name, **options)`` with a bad option reported as one line naming it."""
    try:
        return make(name, **options)
    except ConfigError as err:
        if err.field.startswith("search."):
            raise
        raise ConfigError(f"{field}.{err.field}" if err.field else field, err.problem) from None
    except TypeError as err:
        raise ConfigError(field, _option_problem(make, name, options, err)) from None


def _option_problem(make: Callable[..., Any], name: str, options: Mapping[str, Any], err: TypeError) -> str:
    """``unknown option 'eta' for asha; it takes min_resource, ...`` rather than Python's words."""
    import inspect

    registry = getattr(inspect.getmodule(make), "SAMPLERS", None) or getattr(inspect.getmodule(make), "SCHEDULERS", {})
    cls = registry.get(name)
    if cls is None:
        return f"{name}: {err}"
    accepted = [p for p in inspect.signature(cls).parameters if p not in ("self", "seed")]
    unknown = [k for k in options if k not in accepted and k != "seed"]
    if unknown:
        return f"unknown option {unknown[0]!r} for {name}; it takes {', '.join(accepted) or 'no options'}"
    return f"{name}: {err}"


def build_scheduler(cfg: Config) -> Scheduler:
    options = dict(cfg.search.scheduler_options)
    name = cfg.search.scheduler
    given = set(options)
    if name in MULTI_FIDELITY:
        # The largest budget is the configured number of epochs unless given explicitly.
        options.setdefault("max_resource", int(cfg.fixed.get("epochs", 10)))
    if name == "pbt":
        options.setdefault("space", trainable_subspace(cfg.build_space()))
        options.setdefault("max_resource", int(cfg.fixed.get("epochs", 10)))
    if name == "curve":
        # Predictions aim at the configured number of epochs unless given explicitly.
        options.setdefault("max_resource", int(cfg.fixed.get("epochs", 10)))
    if name in ("hyperband", "bohb", "pbt"):
        # Processes sharing a study must agree on brackets and draws: seed from the study.
        options.setdefault("seed", cfg.search.seed)
    try:
        scheduler = _build(make_scheduler, name, "search.scheduler_options", options)
    except ConfigError as err:
        if err.field != "search.scheduler_options.max_resource" or "max_resource" in given:
            raise
        # The largest budget came from fixed.epochs: name what the user wrote.
        raise ConfigError("fixed.epochs", f"{name} takes it as its max_resource, which {err.problem}") from None
    plan = getattr(scheduler, "plan_budget", None)
    if plan is not None:  # a cost-aware scheduler's unjudged cap is a share of search.timeout
        plan(cfg.search.timeout)
    return scheduler


def idle_scheduler_warning(cfg: Config) -> str | None:
    """A warning when the scheduler can stop no trial in the configured epochs: median
    stopping judges a trial only after its first ``n_warmup_steps`` epochs (5 by default,
    where Optuna's MedianPruner has 0), successive halving first at ``min_resource`` and
    never at the last epoch, so with no more epochs than that every trial runs to the end."""
    if not isinstance(cfg.fixed.get("epochs"), int):
        return None
    if cfg.search.scheduler in MULTI_FIDELITY:
        first = cfg.search.scheduler_options.get("min_resource", 1)
        epochs = cfg.fixed["epochs"]
        if not isinstance(first, int) or first < epochs:
            return None
        return (f"{cfg.search.scheduler} judges a trial first after epoch {first} (its min_resource) and never at "
                f"the last, and fixed.epochs is {epochs}: it will stop no trial; train more epochs")
    if cfg.search.scheduler != "median":
        return None
    default = inspect.signature(MedianStopping).parameters["n_warmup_steps"].default
    warmup = cfg.search.scheduler_options.get("n_warmup_steps", default)
    epochs = cfg.fixed["epochs"]
    if not isinstance(warmup, int) or warmup < epochs:
        return None
    return (f"median stopping judges a trial only after its first {counted(warmup, 'epoch')} "
            f"(search.scheduler_options.n_warmup_steps), and fixed.epochs is {epochs}: it will stop no trial; "
            f"give n_warmup_steps below {epochs}")


def trainable_subspace(space: Space) -> Space:
    """The part of ``space`` a model can change while it trains (for PBT's explore step);
    a conditional parameter stays only if its parents do. The hyperparameters of a model of
    the user's own shape it (``hidden``, ``depth``): like ``units``, they stay fixed."""
    keep = {n: d for n, d in space.params.items() if n not in FIXED_DURING_TRAINING and is_hyperparameter(n)}
    keep = {n: d for n, d in keep.items() if all(p in keep for p in space.conditions.get(n, {}))}
    return Space(keep, {n: c for n, c in space.conditions.items() if n in keep})


def build_sampler(cfg: Config, scheduler: Scheduler | None = None) -> Sampler:
    """The configured sampler, seen at equal budgets under successive halving, and drawing
    a share of its trials near the priors where the config gives any."""
    sampler = _model_sampler(cfg, scheduler)
    priors = {**(default_priors(cfg, cfg.build_space()) if cfg.search.default_priors else {}), **cfg.priors()}
    if priors:
        sampler = PriorSampler(sampler, priors, weight=cfg.search.prior_weight, spread=cfg.search.prior_spread)
    constraints = constraints_func(cfg)
    if constraints is not None:
        # The study stores each finished trial's constraint values and shows the sampler
        # infeasible trials ranked last (task.constraints).
        sampler.constraints_func = constraints  # type: ignore[attr-defined]
    return sampler


def _model_sampler(cfg: Config, scheduler: Scheduler | None) -> Sampler:
    # BOHB chooses configurations itself (TPE per budget, with a random share); another
    # model-based sampler named in the config wins over it.
    if scheduler is not None and getattr(scheduler, "sampler", None) is not None \
            and cfg.search.sampler == "random":
        return scheduler.sampler  # type: ignore[no-any-return,attr-defined]
    options = dict(cfg.search.sampler_options)
    if cfg.search.sampler == "grid":
        options.setdefault("points", cfg.search.grid_points)
    options.setdefault("seed", cfg.search.seed)
    sampler = _build(make_sampler, cfg.search.sampler, "search.sampler_options", options)
    if cfg.search.sampler in EQUAL_BUDGET_MODELS and isinstance(scheduler, (ASHA, Hyperband)) \
            and scheduler.max_resource is not None:
        # Successive halving: compare trials at equal budgets, not first arrivals' final values.
        return equal_budget_sampler(scheduler, sampler)
    return sampler


def budget_epochs(cfg: Config, scheduler: Scheduler) -> int | None:
    """Epochs every trial may train: a multi-fidelity scheduler's largest budget."""
    if cfg.search.scheduler in MULTI_FIDELITY:
        return getattr(scheduler, "max_resource", None)
    return None


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
