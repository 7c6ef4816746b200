"""PriorSampler as a wrapper: the base's settings reach the study through it, and a grid,
which takes no priors, is refused where the wrapper is built."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers import GridSampler, PriorSampler, TPESampler


def test_the_base_samplers_constraints_are_stored_through_the_wrapper():
    sampler = PriorSampler(TPESampler(seed=0, constraints_func=lambda t: [t.params["x"] - 0.5]), {"x": 0.2})
    study = nntune.create_study(sampler=sampler, pruner=nntune.pruners.NopPruner())
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    stored = [t.system_attrs.get("constraints") for t in study.trials]
    assert stored[0] == pytest.approx([-0.3])  # trial 0 at the prior
    assert all(c == pytest.approx([t.params["x"] - 0.5]) for c, t in zip(stored, study.trials))


def test_a_grid_is_refused_in_one_line():
    # It crashed at trial 0 with "x: not in the grid (its parameters: x)".
    with pytest.raises(ConfigError, match="^priors: a grid runs every point in order"):
        PriorSampler(GridSampler({"x": [0.0, 1.0]}), {"x": 0.5})
