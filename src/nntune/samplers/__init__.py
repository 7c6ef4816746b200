"""Samplers: how the next trial's parameters are chosen."""

from __future__ import annotations

from nntune.samplers._base import Sampler, independent_draw, resolve_seed, trial_rng
from nntune.samplers._constraints import (
    ConstrainedView,
    ConstraintsFunc,
    constrained_view,
    is_feasible,
    violation,
)
from nntune.samplers._cmaes import CmaEsSampler
from nntune.samplers._coarse_to_fine import CoarseToFineSampler, narrow
from nntune.samplers._gp import GPSampler
from nntune.samplers._grid import GridSampler
from nntune.samplers._nsga import ParetoView, pareto_view
from nntune.samplers._nsga2 import NSGAIISampler
from nntune.samplers._nsga3 import NSGAIIISampler
from nntune.samplers._brute_force import BruteForceSampler
from nntune.samplers._optuna import BaseSampler, PartialFixedSampler
from nntune.samplers._prior import PriorSampler, check_priors
from nntune.samplers._qmc import QMCSampler
from nntune.samplers._random import RandomSampler
from nntune.samplers._tpe import TPESampler
from nntune.samplers import nsgaii  # Optuna's crossovers and mutation: nsgaii.SBXCrossover() ...

__all__ = ["CmaEsSampler", "ConstrainedView", "ConstraintsFunc", "constrained_view", "is_feasible", "violation", "NSGAIISampler", "NSGAIIISampler", "ParetoView", "pareto_view", "BaseSampler", "BruteForceSampler", "PartialFixedSampler", "CoarseToFineSampler", "GPSampler", "GridSampler", "PriorSampler", "QMCSampler", "RandomSampler",
           "Sampler", "TPESampler", "check_priors", "independent_draw", "make_sampler", "narrow", "resolve_seed",
           "trial_rng", "nsgaii", "SAMPLERS"]

SAMPLERS = {"random": RandomSampler, "grid": GridSampler, "qmc": QMCSampler,
            "coarse_to_fine": CoarseToFineSampler, "tpe": TPESampler, "gp": GPSampler,
            "nsga2": NSGAIISampler, "nsga3": NSGAIIISampler, "cmaes": CmaEsSampler}
# NSGA-II and NSGA-III: for several objectives (task.metric a list); NSGA-III spreads over three or more.


def make_sampler(name: str, seed: int | None = None, **options: object) -> Sampler:
    """A sampler by its config name (``random``, ``grid``, ``qmc``, ``coarse_to_fine``,
    ``tpe``, ``gp``, ``nsga2``, ``nsga3``, ``cmaes``)."""
    from nntune.exceptions import ConfigError

    try:
        cls = SAMPLERS[name]
    except KeyError:
        raise ConfigError("search.sampler", f"unknown sampler {name!r}; choose from "
                                            f"{', '.join(sorted(SAMPLERS))}") from None
    if name == "qmc":  # a config's qmc scrambles by its seed; QMCSampler() keeps Optuna's default
        options = {"scramble": True, **options}
    return cls(seed=seed, **options)  # type: ignore[arg-type]
