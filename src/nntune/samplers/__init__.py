"""Samplers: how the next trial's parameters are chosen."""

from __future__ import annotations

from nntune.samplers._base import Sampler, independent_draw, resolve_seed, trial_rng
from nntune.samplers._grid import GridSampler
from nntune.samplers._random import RandomSampler

__all__ = ["GridSampler", "RandomSampler", "Sampler", "independent_draw", "make_sampler",
           "resolve_seed", "trial_rng", "SAMPLERS"]

SAMPLERS = {"random": RandomSampler, "grid": GridSampler}


def make_sampler(name: str, seed: int | None = None, **options: object) -> Sampler:
    """A sampler by its config name (``random``, ``grid``, ...)."""
    from nntune.exceptions import ConfigError

    try:
        cls = SAMPLERS[name]
    except KeyError:
        raise ConfigError("search.sampler", f"unknown sampler {name!r}; choose from "
                                            f"{', '.join(sorted(SAMPLERS))}") from None
    return cls(seed=seed, **options)  # type: ignore[arg-type]
