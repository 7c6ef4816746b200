"""A define-by-run study that asks a parameter in different ranges in different trials
(``suggest_float("x", 0, 1)``, later ``("x", 5, 10)``): the report and ``nntune show``
read every trial's value, not only those inside the first trial's range."""

from __future__ import annotations

import pytest

import nntune
from nntune.analysis import spanning, study_space
from nntune.report.data import build_report_data
from nntune.show import show_data
from nntune.space import Beta, Choice, Float, Int


@pytest.fixture()
def url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 's.db'}"

    def objective(trial: nntune.Trial) -> float:
        # The range moves on after four trials; the best trials are the later ones.
        x = trial.suggest_float("x", 0, 1) if trial.number < 4 else trial.suggest_float("x", 5, 10)
        trial.suggest_float("noise", 0, 1)
        return x

    study = nntune.create_study(storage=url, study_name="moving", direction="maximize",
                                sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=10)
    return url


def test_the_best_region_holds_the_best_trial_and_every_range_searched(url):
    d = build_report_data(url, "moving")
    x = d["best_region"]["params"]["x"]
    assert (x["full"]["low"], x["full"]["high"]) == (0.0, 10.0)
    assert x["region"]["low"] <= x["best"] <= x["region"]["high"] and x["best"] >= 5
    assert len(next(s for s in d["slices"] if s["name"] == "x")["x"]) == 10  # every trial's point


def test_show_measures_the_importance_of_the_values_in_every_range(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"

    def objective(trial: nntune.Trial) -> float:
        # Read in the first range alone, every later x is "missing" and x explains nothing.
        x = trial.suggest_float("x", 0, 1) if trial.number < 4 else trial.suggest_float("x", 5, 10)
        trial.suggest_float("noise", 0, 1)
        return x if trial.number >= 4 else 7.5

    study = nntune.create_study(storage=url, study_name="m", direction="maximize",
                                sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=12)
    importance = show_data(url, "m")["importance"]["importance"]
    assert max(importance, key=importance.get) == "x"


def test_ranges_span_each_other_and_kinds_that_differ_keep_the_first():
    assert spanning(Float(0, 1), Float(5, 10)) == Float(0, 10)
    assert spanning(Float(1e-3, 1, log=True), Float(0, 2)) == Float(0, 2)  # linear: 0 has no log
    assert spanning(Int(1, 4, step=1), Int(2, 8, step=2)) == Int(1, 8)
    assert spanning(Int(0, 8, step=2), Int(4, 12, step=2)) == Int(0, 12, step=2)
    assert spanning(Choice(("a", 1)), Choice((True, "a", None))) == Choice(("a", 1, True, None))
    assert spanning(Beta(0.9, 0.99), Beta(0.5, 0.95)) == Beta(0.5, 0.99)
    assert spanning(Float(0, 1), Choice(("a",))) == Float(0, 1)


def test_a_declared_space_is_read_as_declared():
    declared = {"space": {"params": {"x": {"type": "float", "low": 0.0, "high": 1.0}}}}
    assert study_space([], declared).params["x"] == Float(0, 1)
