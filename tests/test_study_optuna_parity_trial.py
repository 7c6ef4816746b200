"""A live trial as an Optuna objective and pruner use it: a step counted in floats, its start time."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pytest

import nntune
from nntune.pruners import MedianPruner


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_whole_step_given_as_a_float_is_that_step(tmp_path: Path, kind: str) -> None:
    study = nntune.create_study(storage=None if kind == "memory" else f"sqlite:///{tmp_path}/s.db",
                                pruner=MedianPruner(n_startup_trials=0))
    trial = study.ask()
    trial.report(0.5, 2.0)  # an epoch counted as samples_seen / len(dataset)
    trial.report(0.25, np.float64(3.0))
    assert trial.should_prune() is False
    assert study.tell(trial, 0.25).intermediate_values == {2: 0.5, 3: 0.25}
    assert list(study.trials[0].intermediate_values) == [2, 3]


@pytest.mark.parametrize("step", [1.5, -1.0, float("nan"), True, "2"])
def test_a_step_that_is_no_whole_number_is_refused_in_one_line(step: object) -> None:
    trial = nntune.create_study().ask()
    with pytest.raises(ValueError, match=r"^step must be a non-negative integer, got "):
        trial.report(0.5, step)  # type: ignore[arg-type]


class _SlowTrialPruner(nntune.pruners.BasePruner):
    """Stops a trial running longer than a budget, timed from its start as Optuna pruners do."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ages: list[float] = []

    def prune(self, study: nntune.Study, trial: nntune.trial.FrozenTrial) -> bool:
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)  # nntune's times are UTC
        age = (now - trial.datetime_start).total_seconds()
        self.ages.append(age)
        return age > self.seconds


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_pruner_of_ones_own_times_the_trial_from_its_start(tmp_path: Path, kind: str) -> None:
    pruner = _SlowTrialPruner(3600.0)
    study = nntune.create_study(storage=None if kind == "memory" else f"sqlite:///{tmp_path}/s.db", pruner=pruner)

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(2):
            trial.report(x, step)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return x

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [nntune.trial.TrialState.COMPLETE] * 2
    assert len(pruner.ages) == 4 and all(0 <= age < 60 for age in pruner.ages)
