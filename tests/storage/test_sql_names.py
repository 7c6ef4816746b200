"""Names and texts the SQL tables cannot hold as given: a study name longer than its column or
with a NUL character, a changed parameter's long name, an exception message with a NUL. Each
is a one-line ConfigError before anything is written, or stored escaped, the same on SQLite
as on PostgreSQL (which refuses them with a DataError and its SQL)."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.storage import SQLStorage, StudyNotFoundError
from nntune.trial import TrialState


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgresql_url"))
    return f"sqlite:///{tmp_path / 'names.db'}"


def test_a_study_name_longer_than_its_column_is_refused_in_one_line(url):
    with pytest.raises(ConfigError, match=r"^study_name: is 513 characters long; .* at most 512$"):
        nntune.create_study(study_name="x" * 513, storage=url)
    assert nntune.get_all_study_names(url) == []
    assert nntune.create_study(study_name="y" * 512, storage=url).study_name == "y" * 512


def test_a_study_name_with_a_nul_is_refused_and_never_found(url):
    with pytest.raises(ConfigError, match="^study_name: holds a NUL character"):
        nntune.create_study(study_name="a\x00b", storage=url)
    with pytest.raises(StudyNotFoundError):
        nntune.load_study(study_name="a\x00b", storage=url)
    with pytest.raises(StudyNotFoundError):
        nntune.delete_study(study_name="a\x00b", storage=url)


def test_a_study_name_with_a_lone_surrogate_is_refused_in_one_line(url):
    with pytest.raises(ConfigError, match="^study_name: is not valid Unicode text"):
        nntune.create_study(study_name="a\ud800", storage=url)
    assert nntune.get_all_study_names(url) == []
    with pytest.raises(StudyNotFoundError):
        nntune.load_study(study_name="a\ud800", storage=url)
    with pytest.raises(StudyNotFoundError):
        nntune.delete_study(study_name="a\ud800", storage=url)


def test_an_error_message_with_a_nul_fails_the_trial_and_the_search_goes_on(url):
    study = nntune.create_study(storage=url)

    def objective(trial: nntune.Trial) -> float:
        if trial.number == 0:
            raise ValueError("read b'\x00\x01' from the device")
        return 1.0

    study.optimize(objective, n_trials=2, catch=(ValueError,))
    failed, done = nntune.load_study(study_name=study.study_name, storage=url).trials
    assert failed.state == TrialState.FAIL and failed.error == "ValueError: read b'\\x00\x01' from the device"
    assert done.state == TrialState.COMPLETE


def test_a_changed_parameter_name_longer_than_its_column_is_refused(url):
    study = nntune.create_study(storage=url)
    trial = study.ask()
    name = "p" * 129
    trial.suggest_float(name, 0.0, 1.0)
    store = study.storage
    assert isinstance(store, SQLStorage)
    with pytest.raises(ConfigError, match=r"^'p{40}\.\.\.': is 129 characters long; .*changed while training$"):
        store.add_param_changes(study.id, trial.number, {name: 0.5})
    assert store.get_param_changes(study.id) == []
