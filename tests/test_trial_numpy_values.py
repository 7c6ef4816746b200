"""NumPy numbers as bounds, choices and values, and ``create_trial``'s check of its values,
as Optuna takes them: ranges and choices are often read from arrays."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import nntune
from nntune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from nntune.space import Beta, Choice, Int
from nntune.trial import FixedTrial, create_trial


def test_numpy_bounds_are_numbers_like_any_other() -> None:
    # np.float32 and np.int64 bounds were refused: "low: must be a finite number, got np.float32(0.1)".
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    trial = study.ask()
    lo, hi = np.array([1e-4, 1e-1], dtype=np.float32)
    lr = trial.suggest_float("lr", lo, hi, log=True)
    assert type(lr) is float and float(lo) <= lr <= float(hi)
    assert FloatDistribution(np.int64(0), np.int64(2)) == FloatDistribution(0.0, 2.0)
    assert Int(np.int64(1), np.float32(8)) == Int(1, 8)
    beta = Beta(np.float32(0.5), np.float64(0.99))
    assert json.loads(json.dumps(beta.to_json())) == {"type": "beta", "low": float(np.float32(0.5)), "high": 0.99}
    study.tell(trial, 1.0)  # stored as JSON


def test_numpy_choices_become_the_python_values_they_hold() -> None:
    # np.int64 choices (list(np.array([16, 32]))) were refused: "choices must be numbers, ..., got int64".
    assert Choice(tuple(np.array([16, 32, 64]))) == Choice((16, 32, 64))
    assert CategoricalDistribution([np.bool_(True), np.float32(0.5), np.str_("adam")]).values == (True, 0.5, "adam")
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: float(t.suggest_categorical("units", np.array([16, 32, 64]))), n_trials=3)
    assert {type(t.params["units"]) for t in study.trials} == {int}
    assert Choice((1, True)).index(np.bool_(True)) == 1  # True, not the 1 equal to it


def test_a_fixed_trial_takes_numpy_values_without_a_false_warning() -> None:
    # np.float32(0.5) in [0, 1] warned "is not a finite number in [0, 1]"; an np.int64 step raised.
    trial = FixedTrial({"x": np.float32(0.5), "n": np.int64(3)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert trial.suggest_float("x", 0, 1) == 0.5
        assert trial.suggest_int("n", 0, 5) == 3
    trial.report(0.1, np.int64(2))
    assert trial.intermediate_values == {2: 0.1}


def test_create_trial_checks_values_as_optuna_does() -> None:
    ints = {"n": IntDistribution(0, 10, step=2)}
    floats = {"x": FloatDistribution(0, 1, step=0.1)}
    # An integer parameter written 2.0 (from JSON or a CSV) was refused as "outside" its range.
    added = create_trial(params={"n": 2.0}, distributions=ints, value=1.0)
    assert added.params == {"n": 2} and type(added.params["n"]) is int
    # A float off its step's grid was accepted, though no sampler could draw it.
    with pytest.raises(ValueError, match=r"^x: 0.33 is outside its distribution .* grid of its step"):
        create_trial(params={"x": 0.33}, distributions=floats, value=1.0)
    with pytest.raises(ValueError, match=r"^n: 3 is outside"):
        create_trial(params={"n": 3}, distributions=ints, value=1.0)
    with pytest.raises(ValueError, match=r"^n: '2' is outside"):
        create_trial(params={"n": "2"}, distributions=ints, value=1.0)
    with pytest.raises(ValueError, match=r"^c: 'z' is not among the choices \['a', 'b'\]$"):
        create_trial(params={"c": "z"}, distributions={"c": CategoricalDistribution(["a", "b"])}, value=1.0)
    # NumPy numbers are the numbers they hold (np.float32(0.5) was "outside [0, 1]").
    kept = create_trial(params={"x": np.float32(0.5), "n": np.int64(4)}, distributions={**floats, **ints}, value=1.0)
    assert kept.params == {"x": 0.5, "n": 4} and type(kept.params["n"]) is int
    study = nntune.create_study()
    study.add_trial(kept)
    assert study.trials[0].params == {"x": 0.5, "n": 4}


def test_the_same_values_pass_optunas_create_trial() -> None:
    optuna = pytest.importorskip("optuna")
    for lib in (optuna, nntune):
        d = lib.distributions
        lib.trial.create_trial(params={"n": 2.0}, distributions={"n": d.IntDistribution(0, 10, step=2)}, value=1.0)
        with pytest.raises(ValueError):
            lib.trial.create_trial(params={"x": 0.33}, distributions={"x": d.FloatDistribution(0, 1, step=0.1)},
                                   value=1.0)
