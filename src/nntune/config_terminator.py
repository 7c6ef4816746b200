"""``search.terminator``: stop the search once the room left for improvement is below the
noise of the best value (:mod:`nntune.terminator`). ``true`` takes the defaults:

- ``improvement``: ``regret_bound`` (a Gaussian process's bound on how far the optimum
  may lie beyond the best trial), ``emmr``, or ``stagnation`` (trials left before the
  best value has not moved for ``max_stagnation_trials``);
- ``error``: ``auto`` (the validation split's sampling error for an accuracy, else the
  best trials' epoch-to-epoch noise), ``split``, ``curve``, or a number (a fixed
  threshold, in the metric's units); for ``stagnation`` the default is 0 and for
  ``emmr`` its own early median, as in Optuna;
- ``min_trials``: complete trials before the first check (20).
"""

from __future__ import annotations

import math
from typing import Any, Literal, Union

from pydantic import Field

from nntune.config_errors import StrictModel
from nntune.exceptions import ConfigError
from nntune.noise import PROPORTION_METRICS

MIN_CURVE_EPOCHS = 3  # a second difference needs three consecutive epochs


class TerminatorConfig(StrictModel):  # a YAML true is no threshold of 1, nor one stagnant trial
    improvement: Literal["regret_bound", "emmr", "stagnation"] = "regret_bound"
    error: Union[Literal["auto", "split", "curve"], float] = "auto"
    min_trials: int = Field(default=20, ge=2)
    max_stagnation_trials: int = Field(default=30, ge=0)


def terminator_settings(value: Union[bool, TerminatorConfig]) -> TerminatorConfig | None:
    """The settings ``search.terminator`` asks for (None: no terminator)."""
    if isinstance(value, TerminatorConfig):
        return value
    return TerminatorConfig() if value else None


def check_terminator(value: Union[bool, TerminatorConfig], metric: str, n_objectives: int, max_epochs: int) -> None:
    """Refuse a terminator a study cannot use, before anything is written (``max_epochs``:
    the most epochs a trial trains, so the most steps a curve has)."""
    settings = terminator_settings(value)
    if settings is None:
        return
    if n_objectives > 1:
        raise ConfigError("search.terminator", f"needs one best value, undefined for {n_objectives} objectives "
                                               "(task.metric); leave it out")
    if settings.error == "split" and metric not in PROPORTION_METRICS:
        raise ConfigError("search.terminator.error", f"split is the sampling error of an accuracy; the metric "
                                                     f"is {metric}: use auto, curve or a number")
    if not isinstance(settings.error, str) and not (math.isfinite(settings.error) and settings.error >= 0):
        # NaN would never stop the search and infinity would stop it at its first check.
        raise ConfigError("search.terminator.error", f"must be a finite number >= 0, got {settings.error:g}")
    by_curve = settings.error == "curve" or (settings.error == "auto" and settings.improvement == "regret_bound"
                                             and metric not in PROPORTION_METRICS)
    if by_curve and max_epochs < MIN_CURVE_EPOCHS:
        raise ConfigError("search.terminator.error", f"the curves' noise needs trials of at least {MIN_CURVE_EPOCHS} "
                                                     f"epochs, and these train at most {max_epochs}: give a number")


def random_terminator(cfg: Any) -> bool:
    """Whether a config asks for the regret bound over random draws, where the model stays
    unsure of the space's best corner and the bound does not fall (benchmarks/terminator.py)."""
    settings = terminator_settings(cfg.search.terminator)
    return (settings is not None and settings.improvement != "stagnation"
            and cfg.search.sampler in ("random", "qmc", "grid"))
