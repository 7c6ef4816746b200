"""``suggest_categorical`` with a repeated choice: Optuna accepts it, so a script ported from
Optuna runs; the repeat counts once, and a warning at the objective's line says so."""

import warnings

import pytest

import nntune
from nntune.distributions import CategoricalDistribution
from nntune.trial import TrialState


def test_a_repeated_choice_runs_with_a_warning_at_the_objectives_line(tmp_path):
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}",
                                sampler=nntune.samplers.RandomSampler(seed=0))
    with pytest.warns(UserWarning, match="repeat 64") as caught:
        study.optimize(lambda trial: trial.suggest_categorical("units", [32, 64, 64]) / 64, n_trials=4)
    assert {w.filename for w in caught if "repeat" in str(w.message)} == {__file__}
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    assert {t.params["units"] for t in study.trials} <= {32, 64}
    assert study.trials[0].distributions["units"] == CategoricalDistribution([32, 64])


def test_choices_of_different_types_are_not_repeats():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nntune.trial.FixedTrial({"c": True}).suggest_categorical("c", [1, 1.0, True, "1"]) is True
        assert CategoricalDistribution([1, 1.0, True]).choices == (1, 1.0, True)


def test_the_distribution_built_by_optunas_name_takes_repeats_too():
    with pytest.warns(UserWarning, match="repeat 'a'"):
        assert CategoricalDistribution(["a", "b", "a"]).choices == ("a", "b")
