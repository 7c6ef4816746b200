"""A study of several objectives whose trials return inf or -inf: inf is a value (only NaN
is none), so those trials stand on the study's front as Optuna's do, the samplers that rank
by Pareto score go on asking, and the crowding distance stays a number."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nntune
from nntune.samplers._nsga import pareto_scores
from nntune.show import pareto_ranks

INF = math.inf
# (1, inf) is dominated by (-inf, 5); (2, 3) and (-inf, 5) are the front; (3, 4) is behind (2, 3).
VALUES = [(1.0, INF), (2.0, 3.0), (-INF, 5.0), (3.0, 4.0)]


def told(study: nntune.Study) -> nntune.Study:
    for values in VALUES:
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        study.tell(trial, list(values))
    return study


def test_trials_with_infinite_values_stand_on_the_front() -> None:
    study = told(nntune.create_study(directions=["minimize", "minimize"]))
    assert sorted(t.number for t in study.best_trials) == [1, 2]
    assert pareto_ranks(study.trials, ["minimize", "minimize"]) == {1: 1, 2: 1, 0: 2, 3: 2}


@pytest.mark.parametrize("sampler", ["default", "nsga2", "tpe"])
def test_a_sampler_goes_on_when_every_complete_trial_has_an_infinite_value(sampler: str) -> None:
    chosen = {"default": None, "nsga2": nntune.samplers.NSGAIISampler(seed=0, population_size=4),
              "tpe": nntune.samplers.TPESampler(seed=0, n_startup_trials=2)}[sampler]
    study = nntune.create_study(directions=["minimize", "maximize"], sampler=chosen)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), INF), n_trials=12)
    assert len(study.trials) == 12 and all(t.state.name == "COMPLETE" for t in study.trials)


def test_infinite_values_leave_the_pareto_scores_numbers() -> None:
    scores = pareto_scores(np.array([[1.0, INF], [2.0, 3.0], [-INF, 5.0], [3.0, 4.0], [-INF, INF]]))
    assert np.isfinite(scores).all()
    assert np.floor(scores).tolist() == [2, 0, 0, 1, 1]  # (1, inf) is behind (-inf, inf) too
    assert pareto_scores(np.zeros((0, 2))).tolist() == []


def test_a_constraints_func_returning_nan_is_refused_as_optunas_is() -> None:
    sampler = nntune.samplers.TPESampler(seed=0, constraints_func=lambda t: [0.0, math.nan])
    study = nntune.create_study(sampler=sampler)
    with pytest.raises(ValueError, match=r"^constraints_func: returned NaN for trial 0 \(\[0\.0, nan\]\): "
                                         r"constraint values cannot be NaN$"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    (trial,) = study.trials
    assert trial.state.name == "COMPLETE" and "constraints" not in trial.system_attrs


def test_a_bound_whose_measure_is_nan_counts_as_far_outside() -> None:
    from nntune.config_objectives import constraint_values
    from nntune.config import parse_config

    cfg = parse_config({"task": {"data": "iris", "constraints": {"params": {"max": 1000}}}}, "test")
    assert constraint_values(cfg.task.constraints, {"params": math.nan}) == [1e300]
    assert constraint_values(cfg.task.constraints, {"params": 1500.0}) == [500.0]
