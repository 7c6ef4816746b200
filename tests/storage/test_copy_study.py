"""``copy_study`` (and ``add_trials`` of finished trials) keep what the trials were, as Optuna
does: when each started and ended, so durations, the timeline and the report read the same
in the copy; and the copy keeps the looks at the test split, so none is a first look again."""

from __future__ import annotations

import time

import pytest

import nntune
from nntune.samplers import RandomSampler
from nntune.trial import TrialState

TARGETS = {
    "sqlite": lambda tmp: f"sqlite:///{tmp / 'to.db'}",
    "journal": lambda tmp: f"journal://{tmp / 'to.log'}",
    "memory": lambda tmp: nntune.storages.InMemoryStorage(),
}


def _source(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'from.db'}"
    study = nntune.create_study("s", url, sampler=RandomSampler(0), seed=0)

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.report(x, 1)
        time.sleep(0.05)
        if trial.number == 1:
            raise nntune.TrialPruned()
        return x

    study.optimize(objective, n_trials=3)
    study.storage.record_test_evaluation(study.id, 0, {"accuracy": 0.5})
    return url


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_copied_study_keeps_its_trials_times_and_test_looks(tmp_path, target):
    url = _source(tmp_path)
    to = TARGETS[target](tmp_path)
    nntune.copy_study(from_study_name="s", from_storage=url, to_storage=to)
    source, copy = nntune.load_study("s", url), nntune.load_study("s", to)
    assert [t.state for t in copy.trials] == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.COMPLETE]
    for a, b in zip(source.trials, copy.trials):
        assert (b.number, b.params, b.value) == (a.number, a.params, a.value)
        assert (b.datetime_start, b.datetime_complete) == (a.datetime_start, a.datetime_complete)
    assert len(copy.storage.get_test_evaluations(copy.id)) == 1



@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_running_trials_are_copied_running_under_the_same_numbers(tmp_path, request, target):
    """As Optuna's copy_study: every trial, a running one too, so the copy's numbers are the
    source's (trial 2 is trial 2 in both, as logs and notes name it)."""
    url = f"sqlite:///{tmp_path / 'from.db'}"
    study = nntune.create_study("s", url, sampler=RandomSampler(0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    running = study.ask()
    x = running.suggest_float("x", 0.0, 1.0)
    running.report(0.25, 1)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    to = (request.getfixturevalue("postgresql_url") if target == "postgresql"
          else f"sqlite:///{tmp_path / 'to.db'}")
    nntune.copy_study(from_study_name="s", from_storage=url, to_storage=to)
    copy = nntune.load_study("s", to)
    assert [(t.number, t.state) for t in copy.trials] == [
        (0, TrialState.COMPLETE), (1, TrialState.RUNNING), (2, TrialState.COMPLETE)]
    assert [t.params for t in copy.trials] == [t.params for t in study.trials]
    assert (copy.trials[1].params, copy.trials[1].intermediate_values) == ({"x": x}, {1: 0.25})
    assert copy.trials[1].datetime_start == study.trials[1].datetime_start


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_copy_names_its_kept_model_files_with_a_key_of_its_own(tmp_path, target):
    # The key names the kept model files in the study's folder (trial-N-KEY.pt), which a copy
    # of the same name shares: copied, it made the copy tuned on overwrite the original's
    # trial files of the same numbers and delete them when it kept a better one (and back).
    from nntune.kept_model import study_key

    url = _source(tmp_path)
    original = nntune.load_study(study_name="s", storage=url)
    original.set_user_attr("owner", "me")
    key = study_key(original)
    to = TARGETS[target](tmp_path)
    nntune.copy_study(from_study_name="s", from_storage=url, to_storage=to)
    copy = nntune.load_study(study_name="s", storage=to)
    assert copy.user_attrs == {"owner": "me"}
    assert study_key(copy) != key and study_key(original) == key
