"""A value nested thousands of levels deep is refused by every storage in one line, as JSON's
other refusals are, before anything is written; one nested a few dozen levels is kept."""

from pathlib import Path

import pytest

import nntune
from nntune._json import DEPTH_LIMIT, TooDeep, nested_too_deep
from nntune.storage.journal import JournalStorage
from nntune.trial import TrialState


def _nested(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


DEEP = _nested(5000)


def test_the_limit_counts_lists_and_mappings_inside_each_other():
    assert not nested_too_deep(_nested(DEPTH_LIMIT)) and nested_too_deep(_nested(DEPTH_LIMIT + 1))
    assert not nested_too_deep({"a": [1.0] * 1000, "b": "[" * 500}) and nested_too_deep({"a": DEEP})


def _snapshot(storage, sid: int, number: int) -> tuple:
    trial = storage.get_trial(sid, number)
    return (storage.load_study("s").attrs, trial.params, trial.user_attrs, trial.system_attrs,
            trial.intermediate_values, trial.metrics, trial.state)


def test_every_storage_refuses_a_value_nested_too_deep_and_writes_nothing(storage):
    sid = storage.create_study("s", "minimize", {})
    number = storage.create_trial(sid)
    storage.report(sid, number, 0, 0.5, {"loss": 0.5})
    size = Path(storage.path).stat().st_size if isinstance(storage, JournalStorage) else None
    before = _snapshot(storage, sid, number)
    writes = {
        "user attribute": lambda: storage.set_trial_user_attr(sid, number, "deep", DEEP),
        "user attributes": lambda: storage.set_trial_user_attrs(sid, number, {"ok": 1, "deep": DEEP}),
        "system attribute": lambda: storage.set_trial_system_attr(sid, number, "deep", DEEP),
        "study attribute": lambda: storage.set_study_attr(sid, "deep", DEEP),
        "metrics": lambda: storage.report(sid, number, 1, 0.4, {"deep": DEEP}),
        "test look": lambda: storage.record_test_evaluation(sid, number, {"deep": DEEP}),
        "new trial": lambda: storage.create_trial(sid, system_attrs={"deep": DEEP}),
    }
    for what, write in writes.items():
        with pytest.raises(TooDeep) as caught:
            write()
        assert isinstance(caught.value, TypeError) and "\n" not in str(caught.value), what
        assert f"more than {DEPTH_LIMIT} levels deep" in str(caught.value), what
    assert _snapshot(storage, sid, number) == before
    assert [t.number for t in storage.get_trials(sid)] == [number]
    assert storage.get_test_evaluations(sid) == []
    if size is not None:
        assert Path(storage.path).stat().st_size == size
    kept = _nested(50)
    storage.set_trial_user_attr(sid, number, "kept", kept)
    storage.finish_trial(sid, number, TrialState.COMPLETE, 0.1)
    assert storage.get_trial(sid, number).user_attrs == {"kept": kept}


@pytest.mark.parametrize("kind", ["memory", "sqlite", "journal"])
def test_a_study_names_the_user_attribute_nested_too_deep(kind, tmp_path):
    url = {"memory": None, "sqlite": f"sqlite:///{tmp_path / 'a.db'}", "journal": f"journal:///{tmp_path / 'a.log'}"}
    study = nntune.create_study(storage=url[kind])
    trial = study.ask()
    with pytest.raises(TypeError, match=r"^user attribute 'deep': a value nested more than 100 levels deep") as caught:
        trial.set_user_attr("deep", DEEP)
    assert "\n" not in str(caught.value)
    with pytest.raises(TypeError, match=r"^user attribute 'deep': a value nested more than 100 levels deep"):
        study.set_user_attr("deep", DEEP)
    assert study.trials[0].user_attrs == {} and study.user_attrs == {}
