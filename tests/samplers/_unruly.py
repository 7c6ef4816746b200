"""A study of three objectives whose trials finish out of order, fail, are pruned or give
NaN: what the NSGA samplers' per-generation caches must survive (test_nsga2_parents.py,
test_nsga3_elite_cache.py)."""

from __future__ import annotations

import math

import numpy as np

import nntune
from nntune.trial import FrozenTrial, TrialState


def values(x: float, y: float, z: float) -> list[float]:
    return [(x - 0.2) ** 2 + z, 1.0 - (x - 0.8) ** 2 - y, (y - 0.5) ** 2 + (1 - z)]


def constraints_of(trial: FrozenTrial) -> list[float]:
    return [trial.params["x"] + trial.params["y"] - 1.4]


def finish_one(study: nntune.Study, running: list[nntune.Trial], rng: np.random.Generator, m: int) -> None:
    """Tell one of the ``running`` trials, drawn at random: by its number's last digit it
    fails (3), is pruned (7), gives NaN (5) or its first ``m`` values."""
    trial = running.pop(int(rng.integers(len(running))))
    kind = trial.number % 10
    if kind == 3:
        study.tell(trial, state=TrialState.FAIL)
    elif kind == 7:
        study.tell(trial, state=TrialState.PRUNED)
    else:
        study.tell(trial, [math.nan] * m if kind == 5 else values(*(trial.params[k] for k in "xyz"))[:m])
