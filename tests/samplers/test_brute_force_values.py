"""Brute force's values of one parameter: the ones the other samplers draw, and a range too
large to walk refused in one line."""

from __future__ import annotations

import warnings

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers import BruteForceSampler


def test_a_stepped_float_ends_at_high_as_the_other_samplers_draw_it():
    study = nntune.create_study(sampler=BruteForceSampler(seed=0), pruner=nntune.pruners.NopPruner())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 1.0 is off the grid of 0.3: the range ends at 0.9
        study.optimize(lambda t: t.suggest_float("a", 0.0, 1.0, step=0.3), n_trials=10)
    assert sorted(t.params["a"] for t in study.trials) == [0.0, 0.3, 0.6, 0.9]


def test_a_range_too_large_to_walk_is_one_line_naming_the_parameter():
    study = nntune.create_study(sampler=BruteForceSampler(seed=0), pruner=nntune.pruners.NopPruner())
    with pytest.raises(ConfigError, match=r"^seed: brute force over 4611686018427387905 values"):
        study.optimize(lambda t: t.suggest_int("seed", 0, 2**62), n_trials=1)


def test_choices_equal_as_numbers_are_one_value_and_the_search_ends() -> None:
    # 1 and 1.0 are one value of the tree: counted as two, the node never filled and the
    # search re-ran them until n_trials ran out (for ever without it).
    study = nntune.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(lambda t: float(t.suggest_categorical("c", [1, 1.0, 2, True])), n_trials=10)
    assert sorted(repr(t.params["c"]) for t in study.trials) == ["1", "2", "True"]
