"""A stepped float is drawn uniformly over its grid, as an integer is (and as Optuna draws it)."""

from __future__ import annotations

import collections

import numpy as np

import nntune
from nntune.space import Float


def test_every_value_of_a_stepped_float_is_drawn_equally_often() -> None:
    # Rounding a linear draw gave the two ends half the share of the inner values:
    # Float(0, 1, step=0.5) drew 0.0 and 1.0 a quarter of the time each, 0.5 half of it.
    dist = Float(0.0, 1.0, step=0.5)
    counts = collections.Counter(dist.from_unit(u) for u in np.random.default_rng(0).random(30000))
    assert all(abs(n / 30000 - 1 / 3) < 0.01 for n in counts.values()), counts
    values = [0.0, 0.5, 1.0]
    assert [dist.from_unit(dist.to_unit(v)) for v in values] == values


def test_random_sampling_of_a_stepped_float_is_uniform_over_its_grid() -> None:
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("drop", 0.0, 0.5, step=0.1), n_trials=600)
    counts = collections.Counter(round(t.params["drop"], 6) for t in study.trials)
    assert sorted(counts) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert min(counts.values()) > 70  # 100 expected each; the ends drew about 60 before

