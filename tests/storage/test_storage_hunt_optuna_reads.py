"""The reads of Optuna's BaseStorage that scripts call on a storage object
(``storage.get_all_studies()``, ``get_study_id_from_name``, ``get_all_trials``, ...), on each
of nntune's storages by Optuna's names."""

from __future__ import annotations

import pytest

import nntune
from nntune.storages import InMemoryStorage, JournalStorage, RDBStorage, journal
from nntune.study import StudyDirection
from nntune.trial import TrialState


@pytest.fixture(params=["memory", "rdb", "journal"])
def storage(request, tmp_path):
    if request.param == "memory":
        return InMemoryStorage()
    if request.param == "rdb":
        return RDBStorage(f"sqlite:///{tmp_path / 'r.db'}")
    return JournalStorage(journal.JournalFileBackend(str(tmp_path / "j.log")))


def test_optuna_storage_reads(storage):
    study = nntune.create_study(study_name="a", storage=storage, sampler=nntune.samplers.RandomSampler(seed=0))
    study.set_user_attr("owner", "me")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    study.enqueue_trial({"x": 0.5})
    nntune.create_study(study_name="both", storage=storage, directions=["minimize", "maximize"])

    studies = storage.get_all_studies()
    assert [s.study_name for s in studies] == ["a", "both"]
    assert studies[0].direction == StudyDirection.MINIMIZE and studies[0].user_attrs == {"owner": "me"}
    assert studies[1].directions == [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
    with pytest.raises(RuntimeError, match="2 objectives"):
        studies[1].direction  # noqa: B018  (as Optuna's FrozenStudy)
    sid = storage.get_study_id_from_name("a")
    assert sid == studies[0]._study_id == study.id
    assert storage.get_study_name_from_id(sid) == "a"
    assert storage.get_study_directions(sid) == [StudyDirection.MINIMIZE]
    assert storage.get_study_user_attrs(sid) == {"owner": "me"}

    assert [t.number for t in storage.get_all_trials(sid)] == [0, 1, 2, 3]
    assert len(storage.get_all_trials(sid, deepcopy=False, states=(TrialState.COMPLETE,))) == 3
    assert storage.get_n_trials(sid) == 4
    assert storage.get_n_trials(sid, TrialState.WAITING) == 1
    assert storage.get_n_trials(sid, (TrialState.COMPLETE, TrialState.WAITING)) == 4
    assert storage.get_best_trial(sid).number == study.best_trial.number
    copy = storage.get_all_trials(sid)[0]
    copy.params["x"] = 99.0  # a deep copy: the stored trial stays as it was
    assert storage.get_all_trials(sid)[0].params["x"] != 99.0
    storage.remove_session()
    assert len(study.trials) == 4  # nothing was closed for good


def test_unknown_names_and_ids_are_key_errors(storage):
    nntune.create_study(study_name="both", storage=storage, directions=["minimize", "maximize"])
    with pytest.raises(KeyError, match="no study named 'zz'"):
        storage.get_study_id_from_name("zz")
    with pytest.raises(KeyError, match="no study with id 99"):
        storage.get_study_name_from_id(99)
    with pytest.raises(RuntimeError, match="2 objectives"):  # no one best trial, as in Optuna
        storage.get_best_trial(storage.get_study_id_from_name("both"))
    single = nntune.create_study(study_name="empty", storage=storage)
    with pytest.raises(ValueError, match="no complete trial"):
        storage.get_best_trial(single.id)


def test_study_summaries_sort_by_study_id_as_optunas(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    for name in ("zeta", "alpha", "mid"):
        nntune.create_study(study_name=name, storage=url)
    summaries = nntune.get_all_study_summaries(url)
    assert [s.study_name for s in sorted(summaries, reverse=True)] == ["mid", "alpha", "zeta"]
    assert [s._study_id for s in summaries] == [s.study_id for s in summaries] == sorted(s.study_id for s in summaries)
    assert summaries[0] < summaries[1] <= summaries[2] and max(summaries).study_name == "mid"
