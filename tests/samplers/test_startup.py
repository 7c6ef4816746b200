"""Where TPE's start-up trials land: the centre first, then Sobol points or random draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nntune
from nntune import Choice, Float, Int, Space
from nntune.exceptions import ConfigError
from nntune.samplers import TPESampler
from nntune.samplers._qmc import sobol_point
from nntune.samplers._startup import startup_unit


def test_the_centre_comes_first_then_the_chosen_sequence():
    assert startup_unit(3, 0, 7, centre_first=True).tolist() == [0.5, 0.5, 0.5]
    assert startup_unit(3, 1, 7, centre_first=True) is None  # random: the caller's own draws
    assert startup_unit(3, 0, 7) is None
    # After the centre, trial k takes Sobol point k - 1, so the sequence starts at its first point.
    np.testing.assert_array_equal(startup_unit(3, 1, 7, startup="sobol", centre_first=True), sobol_point(3, 0, 7))
    np.testing.assert_array_equal(startup_unit(3, 4, 7, startup="sobol"), sobol_point(3, 4, 7))
    assert not np.array_equal(startup_unit(1, 2, 7, 11, startup="sobol"), startup_unit(1, 2, 7, 12, startup="sobol"))


def test_an_unknown_startup_is_refused_naming_the_field():
    with pytest.raises(ConfigError, match="startup"):
        TPESampler(startup="halton-ish")


def test_centre_first_starts_at_the_middle_of_each_scale():
    space = Space({"lr": Float(1e-4, 1e-2, log=True), "units": Int(1, 9), "act": Choice(("relu", "tanh", "gelu"))})
    params = TPESampler(seed=0, centre_first=True).suggest(space, [], number=0)
    assert params["lr"] == pytest.approx(1e-3)  # the geometric middle of a log range
    assert params == {"lr": params["lr"], "units": 5, "act": "tanh"}

    study = nntune.create_study(sampler=TPESampler(seed=0, centre_first=True))
    trial = study.ask()  # define-by-run: each parameter on its own axis
    assert trial.suggest_float("lr", 1e-4, 1e-2, log=True) == pytest.approx(1e-3)


def test_sobol_startup_fills_every_stratum_where_random_draws_clump():
    """The first 8 start-up points of a 2-D space put one point in each eighth of both
    axes; of 20 seeds of independent draws, none does that on both axes."""
    space = Space({"a": Float(0.0, 1.0), "b": Float(0.0, 1.0)})

    def strata(sampler: TPESampler) -> tuple[int, int]:
        pts = [sampler.suggest(space, [], number=k) for k in range(8)]
        return (len({math.floor(p["a"] * 8) for p in pts}), len({math.floor(p["b"] * 8) for p in pts}))

    for seed in range(5):
        assert strata(TPESampler(seed=seed, startup="sobol")) == (8, 8)
    assert all(strata(TPESampler(seed=seed)) != (8, 8) for seed in range(20))


def test_startup_points_are_reproducible_and_independent_of_history_order():
    space = Space({"a": Float(0.0, 1.0), "n": Int(1, 64, log=True)})
    one = [TPESampler(seed=3, startup="sobol", centre_first=True).suggest(space, [], number=k) for k in range(5)]
    two = [TPESampler(seed=3, startup="sobol", centre_first=True).suggest(space, [], number=k) for k in (4, 2, 0, 3, 1)]
    assert one == [two[2], two[4], two[1], two[3], two[0]]
    assert one != [TPESampler(seed=4, startup="sobol", centre_first=True).suggest(space, [], number=k)
                   for k in range(5)]
