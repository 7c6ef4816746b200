"""The search's sampler and scheduler as a config names them: built here, light on imports
(neither torch nor the data), so that the command line can check their options before the
trainer's imports take seconds (:func:`check_search_options`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from nntune._words import counted
from nntune.config import FIXED_DURING_TRAINING, Config, is_hyperparameter
from nntune.exceptions import ConfigError
from nntune.samplers import Sampler, make_sampler
from nntune.schedulers import ASHA, Hyperband, MedianStopping, Scheduler, equal_budget_sampler, make_scheduler
from nntune.space import Space


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
    registry = getattr(inspect.getmodule(make), "SAMPLERS", None) or getattr(inspect.getmodule(make), "SCHEDULERS", {})
    cls = registry.get(name)
    if cls is None:
        return f"{name}: {err}"
    accepted = [p for p in inspect.signature(cls).parameters if p not in ("self", "seed")]
    unknown = [k for k in options if k not in accepted and k != "seed"]
    if unknown:
        return f"unknown option {unknown[0]!r} for {name}; it takes {', '.join(accepted) or 'no options'}"
    return f"{name}: {err}"


def searched_epochs(cfg: Config) -> int | None:
    """The most epochs a trial can draw where ``epochs`` is searched (None where it is not,
    or its choices are not whole numbers, which the trainer refuses itself)."""
    dist = cfg.build_space().params.get("epochs")
    if dist is None:
        return None
    high = getattr(dist, "high", None)
    if high is None:
        whole = [c for c in getattr(dist, "choices", ()) if isinstance(c, int) and not isinstance(c, bool)]
        high = max(whole) if whole else None
    return None if high is None else int(high)


def largest_epochs(cfg: Config) -> int:
    """A trial's most epochs: the searched epochs' upper bound, else fixed.epochs (10)."""
    high = searched_epochs(cfg)
    return high if high is not None else int(cfg.fixed.get("epochs", 10))


def build_scheduler(cfg: Config) -> Scheduler:
    options = dict(cfg.search.scheduler_options)
    name = cfg.search.scheduler
    given = set(options)
    if name in MULTI_FIDELITY or name in ("pbt", "curve"):
        # The largest budget (and the epochs predictions aim at) is the most epochs a trial
        # can train, unless given explicitly: a searched epochs' upper bound, else fixed.epochs.
        options.setdefault("max_resource", largest_epochs(cfg))
    if name == "pbt":
        options.setdefault("space", trainable_subspace(cfg.build_space()))
    if name in ("hyperband", "bohb", "pbt"):
        # Processes sharing a study must agree on brackets and draws: seed from the study.
        options.setdefault("seed", cfg.search.seed)
    try:
        scheduler = _build(make_scheduler, name, "search.scheduler_options", options)
    except ConfigError as err:
        if err.field != "search.scheduler_options.max_resource" or "max_resource" in given:
            raise
        # The largest budget came from the epochs: name what the user wrote.
        field = "space.epochs" if searched_epochs(cfg) is not None else "fixed.epochs"
        raise ConfigError(field, f"{name} takes it as its max_resource, which {err.problem}") from None
    high, budget = searched_epochs(cfg), getattr(scheduler, "max_resource", None)
    if name in MULTI_FIDELITY and high is not None and isinstance(budget, int) and high > budget:
        raise ConfigError("space.epochs", f"its trials may draw up to {high} epochs, more than {name}'s max_resource "
                                          f"({budget}, search.scheduler_options), the most a trial may train")
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


def model_sampler(cfg: Config, scheduler: Scheduler | None) -> Sampler:
    """The configured sampler with its options (before priors and constraints)."""
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
    """Epochs every trial may train: a multi-fidelity scheduler's largest budget. None where
    ``epochs`` is searched: each trial trains the epochs it drew (at most that budget)."""
    if cfg.search.scheduler in MULTI_FIDELITY and searched_epochs(cfg) is None:
        return getattr(scheduler, "max_resource", None)
    return None


def check_search_options(cfg: Config) -> None:
    """Build the configured scheduler and sampler once, so that a bad option (``search.
    sampler_options.n_startup_trials: -3``) is one line before anything heavy is imported."""
    model_sampler(cfg, build_scheduler(cfg))


def check_pbt_resumable(cfg: Config, stored: Any, trials: int) -> None:
    """Refuse (ConfigError on ``search.scheduler``) to resume under PBT a study whose
    ``trials`` were tuned with another scheduler (``stored``: the config it was last tuned
    with). PBT would take them for its founding members, so no population of its own
    starts (with ``population`` of them or more, nothing runs at all), and a member it stopped
    would be replaced from their epochs, whose weights were never saved."""
    search = stored.get("search") if isinstance(stored, Mapping) else None
    before = search.get("scheduler") if isinstance(search, Mapping) else None
    if cfg.search.scheduler != "pbt" or not trials or before in (None, "pbt"):
        return
    raise ConfigError("search.scheduler", f"pbt cannot resume study {cfg.study}: it holds {counted(trials, 'trial')} "
                                          f"tuned with scheduler {before}, which PBT would take for its population; "
                                          f"tune PBT in a new study (--study NAME), or resume this one with "
                                          f"--scheduler {before}")
