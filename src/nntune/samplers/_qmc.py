"""Quasi-random search: Sobol points, spread more evenly than independent draws.

Trial ``k`` takes point ``k`` of one Sobol sequence (in as many dimensions as the space has
parameters; unscrambled by default, as in Optuna, or scrambled by the seed with
``scramble=True``), mapped through each parameter's own scale, so the first 2^m
trials cover every axis in 2^m evenly filled strata; a random search leaves gaps and
clumps. Like random search it ignores the results, so it parallelizes perfectly and the
same seed gives the same points in any order of completion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nntune.samplers._base import name_salt, resolve_seed
from nntune.samplers._checks import check_flag
from nntune.samplers._independent import checked_independent, draw_independent, sampler_logger
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial

_MAX_POINTS = 2**30


QMC_TYPES = ("sobol", "halton")


def sobol_point(dim: int, index: int, seed: int, *salt: int, scramble: bool = True,
                qmc_type: str = "sobol") -> np.ndarray:
    """Point ``index`` (0-based) of the Sobol (or Halton) sequence in ``dim`` dimensions
    scrambled by ``(seed, *salt)``; the same arguments always give the same point."""
    from scipy.stats import qmc  # imported on first use: scipy.stats is slow to import

    make = qmc.Sobol if qmc_type == "sobol" else qmc.Halton
    engine = make(dim, scramble=scramble, rng=np.random.default_rng([seed, dim, *salt]))
    index %= _MAX_POINTS
    if index:  # scipy rejects a fast-forward by zero
        engine.fast_forward(index)
    # One point at a time, trial k's the sequence's point k: a draw of one point is a power
    # of 2, so scipy's balance warning has nothing to say (no catch_warnings here either:
    # entering it made Python show every "once" warning again, once per trial).
    return engine.random(1)[0]


class QMCSampler(OptunaMethods):
    """``QMCSampler(seed=0)``: trial ``number`` gets Sobol point ``number`` of the joint
    space; a parameter outside it (define-by-run) gets point ``number`` of its own
    one-dimensional sequence, scrambled by the parameter's name (or ``independent_sampler``'s
    draw), with a warning unless ``warn_independent_sampling=False``."""

    # scramble=False by default, as Optuna's: every process then walks the same sequence
    # whatever its seed, so workers sharing a study need not agree on one.
    def __init__(self, seed: int | None = None, scramble: bool = False, *, qmc_type: str = "sobol",
                 independent_sampler: Any = None, warn_independent_sampling: bool = True,
                 warn_asynchronous_seeding: bool = True) -> None:
        if qmc_type not in QMC_TYPES:
            from nntune.exceptions import ConfigError

            raise ConfigError("qmc_type", f"must be one of {', '.join(QMC_TYPES)}, got {qmc_type!r}")
        self.seed = resolve_seed(seed)
        self.scramble = check_flag("scramble", scramble)
        self.qmc_type = qmc_type
        self.independent_sampler = checked_independent(independent_sampler)
        self.warn_independent_sampling = check_flag("warn_independent_sampling", warn_independent_sampling)
        self.warn_asynchronous_seeding = check_flag("warn_asynchronous_seeding", warn_asynchronous_seeding)
        if seed is None and self.scramble and self.warn_asynchronous_seeding:
            # As Optuna warns: each QMCSampler() scrambles its own sequence, so a second
            # process (load_study, another `nntune ask`) would not continue the first one's
            # points but draw from another sequence, and the trials would lose their spread.
            # Logged, as Optuna's, so that nntune.logging.set_verbosity silences it.
            sampler_logger(self).warning(f"QMCSampler got no seed and drew {self.seed}: processes sharing a study "
                                         "must give every QMCSampler the same seed to draw from one sequence; "
                                         "warn_asynchronous_seeding=False silences this")

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        if not len(space):
            return {}
        return space.from_unit(sobol_point(len(space), number, self.seed, scramble=self.scramble,
                                          qmc_type=self.qmc_type))

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        def own() -> Any:
            # Scrambled by the name even when the joint sequence is not: unscrambled, every
            # such parameter would walk the same one-dimensional sequence, all at their low
            # bound together in trial 0 (Optuna draws them at random instead).
            u = sobol_point(1, number, self.seed, name_salt(name), scramble=True, qmc_type=self.qmc_type)
            return dist.from_unit(float(u[0]))
        return draw_independent(self, name, dist, history, number, direction, own)

    def __repr__(self) -> str:
        return f"QMCSampler(seed={self.seed}, scramble={self.scramble})"
