"""Where a study and its trials behave as Optuna's: a pruner given to a study of several
objectives, the repeated-step warning, and a grid's values stored in their parameter's form."""

from __future__ import annotations

import warnings

import pytest

import nntune
from nntune.exceptions import ConfigError, PruningUndefined
from nntune.schedulers import BOHB, PBT
from nntune.trial import TrialState


def test_a_pruner_is_accepted_for_several_objectives_and_asking_it_says_pruning_is_undefined(tmp_path):
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Optuna accepts it silently
        study = nntune.create_study(study_name="mo", storage=url, directions=["minimize", "minimize"],
                                    pruner=nntune.pruners.MedianPruner())
        loaded = nntune.load_study(study_name="mo", storage=url, pruner=nntune.pruners.MedianPruner())
    assert isinstance(study.pruner, nntune.pruners.MedianPruner) and isinstance(loaded.pruner, nntune.pruners.MedianPruner)

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 0)
        trial.should_prune()
        return x, 1 - x

    with pytest.raises(PruningUndefined, match="undefined for 2 objectives"):
        study.optimize(objective, n_trials=1)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 0.5), n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.FAILED, TrialState.COMPLETE, TrialState.COMPLETE]


@pytest.mark.parametrize("make", [PBT, BOHB])
def test_a_scheduler_that_ranks_by_one_value_is_still_refused_for_several_objectives(make, tmp_path):
    with pytest.raises(ConfigError, match=f"pruner: {make.__name__} ranks trials by one value, which is undefined "
                                          "for 2 objectives"):
        nntune.create_study(directions=["minimize", "maximize"], scheduler=make())
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    nntune.create_study(study_name="mo", storage=url, directions=["minimize", "maximize"])
    with pytest.raises(ConfigError, match="undefined for 2 objectives"):
        nntune.load_study(study_name="mo", storage=url, scheduler=make())


def test_a_repeated_step_warning_names_no_trial_so_pythons_filter_shows_it_once():
    def objective(trial):
        trial.report(1.0, 0)
        trial.report(2.0, 0)  # ignored: the first value of a step stands
        return 1.0

    study = nntune.create_study()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # Python's own: once per message and line
        study.optimize(objective, n_trials=3)
    ignored = [str(w.message) for w in caught if "is ignored" in str(w.message)]
    assert ignored == ["the value reported for step 0 is ignored: that step was reported already"]
    assert all(t.intermediate_values == {0: 1.0} for t in study.trials)


def _grid_run(grid, ask, n_trials=4):
    study = nntune.create_study(sampler=nntune.samplers.GridSampler(grid, seed=0))
    returned = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "0.5 is not an integer": Optuna warns too
        study.optimize(lambda t: returned.append(ask(t)) or 0.0, n_trials=n_trials)
    return study, returned


@pytest.mark.parametrize("grid, ask, stored", [
    ({"n": [0.5, 1.5]}, lambda t: t.suggest_int("n", 0, 2), [0, 1]),       # Optuna: int(0.5), int(1.5)
    ({"n": [1, 2]}, lambda t: t.suggest_float("n", 0, 2), [1.0, 2.0]),      # Optuna stores floats
    ({"n": ["0.5", "0.25"]}, lambda t: t.suggest_float("n", 0, 1), [0.25, 0.5]),
    ({"n": [True, False]}, lambda t: t.suggest_float("n", 0, 1), [0.0, 1.0]),
    ({"n": ["3", "4"]}, lambda t: t.suggest_int("n", 0, 5), [3, 4]),
])
def test_a_grid_value_is_stored_in_its_parameters_form_and_each_point_is_used_once(grid, ask, stored):
    study, returned = _grid_run(grid, ask)
    params = [t.params["n"] for t in study.trials]
    assert len(study.trials) == 2  # each point taken once, then the grid is done
    assert sorted(params) == stored and [type(p) for p in params] == [type(s) for s in stored]
    assert returned == params


def test_a_grid_choice_stays_as_given():
    study, returned = _grid_run({"n": ["a", 1]}, lambda t: t.suggest_categorical("n", ["a", 1]))
    assert sorted(map(repr, (t.params["n"] for t in study.trials))) == ["'a'", "1"] and len(returned) == 2
