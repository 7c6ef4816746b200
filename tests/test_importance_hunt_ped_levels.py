"""PED-ANOVA compares a parameter of few values (an integer, a stepped float) on a grid of
its own values, as Optuna's, rather than on a grid of 50 points whose spike at the best
trials' shared value would outweigh a continuous parameter pinned just as tightly."""

from __future__ import annotations

import random

import pytest

import nntune
from nntune.importance import PedAnovaImportanceEvaluator, get_param_importances
from nntune.space import Choice, Float, Int


@pytest.fixture(scope="module")
def study():
    """The four best trials share n = 2 and x within 0.03 of 0.5; the rest are random."""
    rng = random.Random(0)
    dists = {"n_int": Int(1, 3), "n_cat": Choice((1, 2, 3)), "n_step": Float(0.0, 1.0, step=0.5),
             "x": Float(0.0, 1.0)}
    s = nntune.create_study()
    for i in range(40):
        n = 2 if i < 4 else rng.randint(1, 3)
        params = {"n_int": n, "n_cat": n, "n_step": (n - 1) / 2, "x": 0.5 + 0.01 * i if i < 4 else rng.random()}
        s.add_trial(nntune.create_trial(value=0.0 if i < 4 else 1.0 + rng.random(), params=params,
                                        distributions=dists))
    return s


@pytest.mark.parametrize("on_local", [True, False])
def test_an_integer_reads_as_a_stepped_float_of_the_same_values(study, on_local) -> None:
    # Both are compared on a grid of their three values, as Optuna's; the choice too, but
    # smoothed as a choice (its prior spread over the other values), so it reads lower.
    raw = PedAnovaImportanceEvaluator(evaluate_on_local=on_local).evaluate(study)
    assert raw["n_step"] == pytest.approx(raw["n_int"]) and 0 < raw["n_cat"] < raw["n_int"]


def test_a_continuous_parameter_pinned_as_tightly_ranks_first(study) -> None:
    shares = get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(evaluate_on_local=False))
    assert next(iter(shares)) == "x" and shares["x"] > 2 * shares["n_int"]


def test_a_wide_integer_is_still_a_density() -> None:
    # 1..1000 holds more values than the grid: compared as a density, as a float would be.
    rng = random.Random(1)
    s = nntune.create_study()
    dists = {"units": Int(1, 1000), "x": Float(0.0, 1.0)}
    for i in range(30):
        units = 500 + i if i < 3 else rng.randint(1, 1000)
        s.add_trial(nntune.create_trial(value=float(i), params={"units": units, "x": rng.random()},
                                        distributions=dists))
    raw = PedAnovaImportanceEvaluator().evaluate(s)
    assert raw["units"] > raw["x"]
