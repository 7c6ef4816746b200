"""Where a model-based sampler puts its start-up trials, before it has a model.

With a dozen trials in the budget, the start-up trials are most of the search, so where
they land matters as much as the model that follows. Three choices, combinable:

- ``random``: independent uniform draws per parameter (what TPE always did);
- ``sobol``: trial ``k`` takes point ``k`` of one scrambled Sobol sequence, which fills
  every axis in evenly spread strata where independent draws clump and leave gaps;
- ``centre_first``: trial 0 sits at the centre of the space (every parameter at the middle
  of its own scale: the geometric middle of a log range), the default configuration
  SMAC and KerasTuner start from; the later start-up trials follow the chosen sequence.

Everything is a pure function of (seed, trial number, dimension), so the same seed gives
the same start-up points in any order of completion.
"""

from __future__ import annotations

import numpy as np

from nntune.exceptions import ConfigError

STARTUPS = ("random", "sobol")


def check_startup(startup: str) -> str:
    """``startup`` itself, or :class:`ConfigError` naming the field."""
    if startup not in STARTUPS:
        raise ConfigError("startup", f"must be one of {', '.join(STARTUPS)}, got {startup!r}")
    return startup


def startup_unit(dim: int, number: int, seed: int, *salt: int, startup: str = "random",
                 centre_first: bool = False) -> np.ndarray | None:
    """The start-up point of trial ``number`` in the unit cube of ``dim`` parameters, or
    ``None`` where the caller's independent random draws apply (``startup="random"`` after
    the centre). ``salt`` separates sequences (a define-by-run parameter's own axis)."""
    if centre_first and number == 0:
        return np.full(dim, 0.5)
    if startup == "sobol":
        from nntune.samplers._qmc import sobol_point

        # With the centre taken by trial 0, trial 1 takes the sequence's first point.
        return sobol_point(dim, number - int(centre_first), seed, *salt)
    return None
