"""What an Optuna script passes by mistake to the study functions: a trial number that is
no number of the study, a study name that is no string; and what a summary of a study of
several objectives answers for its one direction."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import nntune
from nntune.storages import JournalStorage
from nntune.storages.journal import JournalFileBackend
from nntune.trial import TrialState


def _storages(tmp_path: Path) -> list[object]:
    return [None, f"sqlite:///{tmp_path}/s.db", JournalStorage(JournalFileBackend(str(tmp_path / "j.log")))]


@pytest.mark.parametrize("number", [-1, -2])
def test_tell_of_a_negative_number_is_refused_and_finishes_no_trial(tmp_path: Path, number: int) -> None:
    for storage in _storages(tmp_path):
        study = nntune.create_study(storage=storage)
        study.ask(), study.ask()
        with pytest.raises(ValueError, match=f"cannot tell trial {number}: the study has no such trial"):
            study.tell(number, 1.0)
        assert [t.state for t in study.get_trials(deepcopy=False)] == [TrialState.RUNNING] * 2


@pytest.mark.parametrize("number", [True, 1.5, "1"])
def test_tell_of_a_number_that_is_no_integer_is_a_type_error(number: object) -> None:
    study = nntune.create_study()
    study.ask(), study.ask()
    with pytest.raises(TypeError, match="^trial: must be a Trial or a trial number"):
        study.tell(number, 1.0)  # type: ignore[arg-type]
    assert study.trials[1].state == TrialState.RUNNING


def test_tell_by_a_numpy_integer_still_tells_that_trial() -> None:
    np = pytest.importorskip("numpy")
    study = nntune.create_study()
    study.ask(), study.ask()
    assert study.tell(np.int64(0), 2.0).number == 0


@pytest.mark.parametrize("name", [5, ["a"], b"a"])
def test_a_study_name_that_is_no_string_is_refused_in_one_line(tmp_path: Path, name: object) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    for storage in (None, url):
        with pytest.raises(TypeError, match="^study_name: must be a string, got"):
            nntune.create_study(study_name=name, storage=storage)  # type: ignore[arg-type]
    nntune.create_study(study_name="a", storage=url)
    with pytest.raises(TypeError, match="^study_name: must be a string, got"):
        nntune.load_study(study_name=name, storage=url)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^to_study_name: must name a study"):
        nntune.copy_study(from_study_name="a", from_storage=url, to_storage=url,
                          to_study_name=name)  # type: ignore[arg-type]
    assert nntune.get_all_study_names(url) == ["a"]


def test_a_summary_of_several_objectives_has_no_single_direction(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    study = nntune.create_study(study_name="mo", storage=url, directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
    nntune.create_study(study_name="one", storage=url, direction="maximize")
    several, one = nntune.get_all_study_summaries(url)
    assert [d.name for d in several.directions] == ["MINIMIZE", "MAXIMIZE"]
    with pytest.raises(RuntimeError, match="'mo' has 2 objectives and no single direction"):
        several.direction
    assert one.direction == "maximize" and one.directions == [one.direction]


@pytest.mark.parametrize("given", [{"x": (0, 1)}, {"x": [0.0, 1.0]}, [("x", 0.5)]])
def test_ask_with_fixed_distributions_that_are_none_starts_no_trial(given: object) -> None:
    study = nntune.create_study()
    with pytest.raises(TypeError, match=r"^fixed_distributions(\['x'\])?: must be a"):
        study.ask(given)  # type: ignore[arg-type]
    assert study.trials == []  # no trial left running without a parameter


@pytest.mark.parametrize("params", [None, [("x", 0.5)], 0.5])
def test_enqueue_trial_refuses_params_that_are_no_dict(params: object) -> None:
    study = nntune.create_study()
    with pytest.raises(TypeError, match="^params: must be a dict of parameter values by name, got"):
        study.enqueue_trial(params)  # type: ignore[arg-type]
    assert study.trials == []


@pytest.mark.parametrize("user_attrs", [[1], [("k", "v")], "k"])
def test_enqueue_trial_refuses_user_attrs_that_are_no_dict(user_attrs: object) -> None:
    study = nntune.create_study()
    with pytest.raises(TypeError, match="^user_attrs: must be a dict of attribute values by name, got"):
        study.enqueue_trial({"x": 0.5}, user_attrs=user_attrs)  # type: ignore[arg-type]
    assert study.trials == []


@pytest.mark.parametrize("sampler, problem", [
    (nntune.samplers.TPESampler, "got the class TPESampler, not a sampler: call it, sampler=TPESampler()"),
    ("tpe", "must be a sampler such as nntune.samplers.TPESampler(), got 'tpe'"),
    (5, "must be a sampler such as nntune.samplers.TPESampler(), got 5"),
])
def test_a_sampler_that_is_none_is_refused_before_any_trial(tmp_path: Path, sampler: object, problem: str) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    with pytest.raises(ValueError, match=f"^sampler: {re.escape(problem)}$"):
        nntune.create_study(study_name="s", storage=url, sampler=sampler)  # type: ignore[arg-type]
    assert nntune.get_all_study_names(url) == []  # refused before the study was stored
    nntune.create_study(study_name="s", storage=url)
    with pytest.raises(ValueError, match=f"^sampler: {re.escape(problem)}$"):
        nntune.load_study(study_name="s", storage=url, sampler=sampler)  # type: ignore[arg-type]


def test_a_trial_told_through_another_study_finishes_that_trial_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    for a, b in ((nntune.create_study(), nntune.create_study()),
                 (nntune.create_study(study_name="a", storage=url), nntune.create_study(study_name="b", storage=url))):
        a.ask()
        asked = b.ask()
        told = a.tell(asked, 5.0)
        assert (told.number, told.value) == (0, 5.0)
        assert [t.state for t in a.trials] == [TrialState.RUNNING]  # a's own trial 0 is left alone
        assert [(t.state, t.value) for t in b.trials] == [(TrialState.COMPLETE, 5.0)]


def test_a_parameter_asked_as_another_kind_than_in_earlier_trials_fails_that_trial(tmp_path: Path) -> None:
    # As Optuna's storage refuses it: a float in one trial and an int or a choice in another
    # would be read as one kind by the samplers and the plots.
    def objective(trial: nntune.Trial) -> float:
        if trial.number == 1:
            return float(trial.suggest_int("x", 0, 3))
        if trial.number == 2:
            return float(len(trial.suggest_categorical("x", ["a"])))
        return trial.suggest_float("x", 0, 2 if trial.number else 1)  # a new range is fine

    for storage in _storages(tmp_path):
        study = nntune.create_study(storage=storage)
        study.optimize(objective, n_trials=4, catch=(ValueError,))
        assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.FAIL,
                                                   TrialState.COMPLETE]
        assert study.trials[1].params == {} and "x: asked as int where earlier trials of this study asked float" \
            in study.trials[1].error
        again = nntune.load_study(study_name=study.study_name, storage=study.storage)  # read from storage
        with pytest.raises(ValueError, match="^x: asked as choice where earlier trials of this study asked float"):
            again.ask().suggest_categorical("x", ["a"])


def test_an_added_trial_tells_later_suggestions_its_kinds() -> None:
    study = nntune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.add_trial(nntune.create_trial(value=1.0, params={"n": 2},
                                        distributions={"n": nntune.distributions.IntDistribution(0, 5)}))
    with pytest.raises(ValueError, match="^n: asked as float where earlier trials of this study asked int"):
        study.ask().suggest_float("n", 0, 5)
