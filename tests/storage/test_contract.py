"""One contract, every storage: the same calls give the same answers."""

import threading
from datetime import timedelta

import pytest

from nntune.space import Choice, Float
from nntune.storage import DuplicatedStudyError, StudyNotFoundError, TrialStateError
from nntune.storage._base import utcnow
from nntune.trial import TrialState


def test_studies(storage):
    sid = storage.create_study("a", "maximize", {"seed": 3})
    with pytest.raises(DuplicatedStudyError):
        storage.create_study("a", "minimize")
    rec = storage.load_study("a")
    assert (rec.id, rec.name, rec.direction, rec.attrs) == (sid, "a", "maximize", {"seed": 3})
    assert storage.load_study("missing") is None
    storage.set_study_attr(sid, "k", [1, 2])
    assert storage.load_study("a").attrs == {"seed": 3, "k": [1, 2]}
    storage.create_study("b", "minimize")
    assert [s.name for s in storage.list_studies()] == ["a", "b"]
    storage.delete_study("a")
    assert storage.load_study("a") is None
    with pytest.raises(StudyNotFoundError):
        storage.delete_study("a")


def test_merging_a_study_attribute_is_one_atomic_step(storage):
    sid = storage.create_study("a", "maximize")
    assert storage.merge_study_attr(sid, "m", lambda kept: {"0": 1, **(kept or {})}) == {"0": 1}
    assert storage.merge_study_attr(sid, "m", lambda kept: {"0": 2, "1": 3, **(kept or {})}) == {"0": 1, "1": 3}

    def add(who):
        for i in range(5):
            storage.merge_study_attr(sid, "m", lambda kept: {**kept, f"{who}.{i}": i})
    threads = [threading.Thread(target=add, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(storage.load_study("a").attrs["m"]) == 2 + 4 * 5  # no merge lost another's


def test_trial_life_cycle(storage):
    sid = storage.create_study("s", "minimize")
    n0 = storage.create_trial(sid)
    n1 = storage.create_trial(sid)
    assert (n0, n1) == (0, 1)
    storage.set_trial_params(sid, n0, {"lr": 0.01, "opt": "adam"},
                             {"lr": Float(1e-4, 1, log=True), "opt": Choice(("sgd", "adam"))})
    storage.report(sid, n0, 1, 0.5, {"train_loss": 0.7, "layers": [{"name": "0", "grad_norm": 1.0}]})
    storage.report(sid, n0, 2, 0.4, {"train_loss": 0.6})
    storage.report(sid, n0, 2, 0.3, {"train_loss": 0.55})  # a repeated step overwrites
    storage.set_trial_user_attr(sid, n0, "epochs", 2)
    storage.finish_trial(sid, n0, TrialState.COMPLETE, 0.3)
    with pytest.raises(TrialStateError):
        storage.finish_trial(sid, n0, TrialState.FAILED)
    with pytest.raises(TrialStateError):
        storage.report(sid, n0, 3, 0.1)
    storage.finish_trial(sid, n1, TrialState.FAILED, error="ValueError: boom")

    t = storage.get_trial(sid, n0)
    assert t.state == TrialState.COMPLETE and t.value == 0.3
    assert t.params == {"lr": 0.01, "opt": "adam"}
    assert t.distributions["lr"] == Float(1e-4, 1, log=True)
    assert t.intermediate_values == {1: 0.5, 2: 0.3}
    assert [m["step"] for m in t.metrics] == [1, 2] and t.metrics[1]["train_loss"] == 0.55
    assert t.metrics[0]["layers"][0]["grad_norm"] == 1.0
    assert t.user_attrs == {"epochs": 2}
    assert t.datetime_start is not None and t.duration is not None and t.duration >= 0
    failed = storage.get_trial(sid, n1)
    assert failed.state == TrialState.FAILED and failed.error == "ValueError: boom" and failed.value is None

    all_trials = storage.get_trials(sid)
    assert [x.number for x in all_trials] == [0, 1]
    assert all_trials[0].metrics == []  # bulk reads leave the heavy records out unless asked
    assert storage.get_trials(sid, with_metrics=True)[0].metrics[1]["train_loss"] == 0.55
    assert [x.number for x in storage.get_trials(sid, [TrialState.FAILED])] == [1]


def test_nan_values_and_non_finite_steps_are_stored_as_missing(storage):
    sid = storage.create_study("s", "minimize")
    n = storage.create_trial(sid)
    storage.report(sid, n, 1, float("nan"))
    storage.report(sid, n, 2, float("inf"))
    storage.finish_trial(sid, n, TrialState.DIVERGED, float("nan"), error="loss is nan")
    t = storage.get_trial(sid, n)
    assert t.value is None and t.state == TrialState.DIVERGED and t.intermediate_values == {}


@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
def test_an_infinite_value_is_stored_as_it_was_told(storage, value):
    # A value, as in Optuna: an objective may return inf for a configuration it rules out.
    sid = storage.create_study("s", "minimize")
    n = storage.create_trial(sid)
    storage.finish_trial(sid, n, TrialState.COMPLETE, value)
    assert storage.get_trial(sid, n).value == value
    assert [t.value for t in storage.get_trials(sid, [TrialState.COMPLETE])] == [value]


def test_waiting_trials_are_claimed_once_in_order(storage):
    sid = storage.create_study("s", "minimize")
    a = storage.create_trial(sid, state=TrialState.WAITING, system_attrs={"fixed_params": {"x": 1}})
    b = storage.create_trial(sid, state=TrialState.WAITING, system_attrs={"fixed_params": {"x": 2}})
    assert storage.get_trial(sid, a).datetime_start is None
    assert storage.claim_waiting_trial(sid) == a
    assert storage.claim_waiting_trial(sid) == b
    assert storage.claim_waiting_trial(sid) is None
    assert storage.get_trial(sid, b).state == TrialState.RUNNING
    assert storage.get_trial(sid, b).system_attrs == {"fixed_params": {"x": 2}, "claim": 1}


def test_concurrent_trial_creation_numbers_are_unique(storage):
    sid = storage.create_study("s", "minimize")
    numbers: list[int] = []
    lock = threading.Lock()

    def worker():
        for _ in range(25):
            n = storage.create_trial(sid)
            with lock:
                numbers.append(n)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == list(range(100))


def test_test_evaluations_are_counted(storage):
    sid = storage.create_study("s", "maximize")
    assert storage.get_test_evaluations(sid) == []
    assert storage.record_test_evaluation(sid, 3, {"accuracy": 0.9}) == 1
    assert storage.record_test_evaluation(sid, 5, {"accuracy": 0.95}) == 2
    looks = storage.get_test_evaluations(sid)
    assert [(e["trial"], e["metrics"]["accuracy"]) for e in looks] == [(3, 0.9), (5, 0.95)]
    assert all(e["time"] is not None for e in looks)


def test_storage_holds_json_only(storage):
    sid = storage.create_study("s", "minimize")
    n = storage.create_trial(sid)
    with pytest.raises(TypeError):
        storage.set_trial_user_attr(sid, n, "obj", object())
    storage.set_trial_user_attr(sid, n, "pair", (1, 2))
    assert storage.get_trial(sid, n).user_attrs["pair"] == [1, 2]  # as JSON gives it back
    # Keys too, as JSON (and Optuna's storages) write them, whichever storage holds the study.
    storage.set_trial_user_attr(sid, n, "keys", {True: 1, None: 2, 1.5: 3, float("nan"): 4})
    assert storage.get_trial(sid, n).user_attrs["keys"] == {"true": 1, "null": 2, "1.5": 3, "NaN": 4}
    with pytest.raises(TypeError):
        storage.set_trial_user_attr(sid, n, "by_pair", {(1, 2): 3})
    assert "by_pair" not in storage.get_trial(sid, n).user_attrs


def test_claim_trial_takes_waiting_first_then_numbers_new_ones(storage):
    sid = storage.create_study("s", "minimize")
    storage.create_trial(sid, state=TrialState.WAITING, system_attrs={"fixed_params": {"x": 1}})
    first = storage.claim_trial(sid, system_attrs={"worker": {"pid": 1}})
    assert first.number == 0 and first.state == TrialState.RUNNING
    assert first.system_attrs == {"fixed_params": {"x": 1}, "worker": {"pid": 1}, "claim": 1}
    second = storage.claim_trial(sid, system_attrs={"worker": {"pid": 2}})
    assert second.number == 1 and second.system_attrs == {"worker": {"pid": 2}, "claim": 1}
    assert storage.get_trial(sid, 0).system_attrs["worker"] == {"pid": 1}
    assert storage.get_trial(sid, 1).state == TrialState.RUNNING
    with pytest.raises(StudyNotFoundError):
        storage.claim_trial(sid + 100)


def test_claim_trial_respects_the_budget(storage):
    sid = storage.create_study("s", "minimize")
    a = storage.claim_trial(sid, max_trials=2).number
    storage.claim_trial(sid, max_trials=2)
    assert storage.claim_trial(sid, max_trials=2) is None  # two trials held (running count)
    storage.finish_trial(sid, a, TrialState.COMPLETE, 1.0)
    assert storage.claim_trial(sid, max_trials=2) is None  # finished ones count too
    storage.create_trial(sid, state=TrialState.WAITING)
    assert storage.claim_trial(sid, max_trials=2) is None  # a waiting one waits for room
    assert storage.claim_trial(sid, max_trials=3).number == 2


def test_concurrent_claims_never_exceed_the_budget(storage):
    sid = storage.create_study("s", "minimize")
    claimed: list[int] = []
    lock = threading.Lock()

    def worker():
        while (t := storage.claim_trial(sid, max_trials=40)) is not None:
            with lock:
                claimed.append(t.number)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == list(range(40))


def test_a_recovered_trial_keeps_the_user_attrs_it_was_enqueued_with(storage):
    sid = storage.create_study("s", "maximize")
    n = storage.create_trial(sid, state=TrialState.WAITING, system_attrs={
        "fixed_params": {"x": 0.5}, "fixed_user_attrs": {"pbt_parent": 3, "pbt_parent_step": 4}})
    storage.set_trial_user_attrs(sid, n, {"pbt_parent": 3, "pbt_parent_step": 4})
    assert storage.claim_trial(sid, system_attrs={"worker": {"pid": 7}}).number == n
    storage.set_trial_user_attr(sid, n, "epochs", 2)  # written by the run: cleared
    assert storage.recover_trial(sid, n, "worker died", max_retries=1) == TrialState.WAITING
    assert storage.get_trial(sid, n).user_attrs == {"pbt_parent": 3, "pbt_parent_step": 4}


def test_recover_trial_requeues_then_fails_with_the_reason(storage):
    sid = storage.create_study("s", "minimize")
    n = storage.claim_trial(sid, system_attrs={"worker": {"pid": 7}}).number
    storage.set_trial_params(sid, n, {"x": 0.5}, {"x": Float(0, 1)})
    storage.report(sid, n, 1, 0.9)
    storage.set_trial_user_attr(sid, n, "epochs", 1)
    assert storage.recover_trial(sid, n, "worker died", max_retries=1) == TrialState.WAITING
    t = storage.get_trial(sid, n)
    assert t.state == TrialState.WAITING and t.params == {} and t.intermediate_values == {}
    assert t.user_attrs == {} and t.system_attrs == {"retries": 1, "interrupted": "worker died", "claim": 2,
                                                     "fixed_params": {"x": 0.5}}  # it runs again as drawn
    assert storage.claim_trial(sid).number == n  # the same number runs again
    assert storage.recover_trial(sid, n, "worker died", max_retries=1) == TrialState.FAILED
    t = storage.get_trial(sid, n)
    assert t.state == TrialState.FAILED and t.error == "worker died (after 1 retry)"
    assert t.datetime_complete is not None
    assert storage.recover_trial(sid, n, "again") is None  # only running trials are recovered


def test_stale_trials_are_found_by_their_heartbeat(storage):
    sid = storage.create_study("s", "minimize")
    old, fresh = storage.claim_trial(sid).number, storage.claim_trial(sid).number
    done = storage.claim_trial(sid).number
    storage.finish_trial(sid, done, TrialState.COMPLETE, 0.0)
    assert storage.recover_stale_trials(sid, 60) == {}
    later = utcnow() + timedelta(seconds=120)
    storage.heartbeat(sid, fresh)
    # Two minutes on, both running trials are stale; a heartbeat "then" keeps one alive.
    assert storage.recover_stale_trials(sid, 60, now=later, max_retries=1) == {
        old: TrialState.WAITING, fresh: TrialState.WAITING}
    n = storage.claim_trial(sid).number
    assert storage.recover_stale_trials(sid, 60) == {}
    assert storage.recover_stale_trials(sid, 60, now=utcnow() + timedelta(seconds=61)) == {n: TrialState.FAILED}
    assert "no heartbeat for 60s" in storage.get_trial(sid, n).error
    with pytest.raises(TrialStateError):
        storage.heartbeat(sid, n)
    with pytest.raises(KeyError):
        storage.heartbeat(sid, 99)


def test_a_negative_trial_number_is_no_trial(storage):
    sid = storage.create_study("s", "minimize")
    storage.claim_trial(sid), storage.claim_trial(sid)
    for number in (-1, -2):
        with pytest.raises(KeyError):
            storage.get_trial(sid, number)
        with pytest.raises(KeyError):
            storage.finish_trial(sid, number, TrialState.COMPLETE, 1.0)
    assert [t.state for t in storage.get_trials(sid)] == [TrialState.RUNNING] * 2


def test_report_is_a_heartbeat(storage):
    sid = storage.create_study("s", "minimize")
    n = storage.claim_trial(sid).number
    storage.report(sid, n, 1, 0.5)
    assert storage.recover_stale_trials(sid, 30, now=utcnow() + timedelta(seconds=20)) == {}


def test_finish_trial_returns_the_finished_trial(storage):
    sid = storage.create_study("s", "minimize")
    n = storage.claim_trial(sid).number
    storage.set_trial_params(sid, n, {"x": 0.25}, {"x": Float(0, 1)})
    storage.report(sid, n, 1, 0.5, {"train_loss": 0.7})
    done = storage.finish_trial(sid, n, TrialState.PRUNED, 0.5)
    assert done == storage.get_trial(sid, n, with_metrics=False)
    assert (done.state, done.value, done.params, done.intermediate_values) == (
        TrialState.PRUNED, 0.5, {"x": 0.25}, {1: 0.5})
    assert done.metrics == [] and done.datetime_complete is not None


def test_repeated_bulk_reads_follow_every_change(storage):
    """Bulk reads may reuse what they decoded before, but never show an old version."""
    sid = storage.create_study("s", "minimize")
    n = storage.create_trial(sid)
    before = storage.get_trials(sid)[0]
    assert before.state == TrialState.RUNNING and before.params == {}
    storage.set_trial_params(sid, n, {"lr": 0.1}, {"lr": Float(1e-3, 1.0, log=True)})
    storage.report(sid, n, 1, 0.5)
    assert storage.get_trials(sid)[0].intermediate_values == {1: 0.5}
    storage.report(sid, n, 2, 0.4)
    storage.finish_trial(sid, n, TrialState.COMPLETE, 0.4)
    after = storage.get_trials(sid)[0]
    assert (after.state, after.value, after.params) == (TrialState.COMPLETE, 0.4, {"lr": 0.1})
    assert after.intermediate_values == {1: 0.5, 2: 0.4}
    storage.set_trial_user_attr(sid, n, "note", "after the end")  # a finished trial still changes
    storage.set_trial_system_attr(sid, n, "scheduler", {"rung": 1})
    last = storage.get_trials(sid)[0]
    assert last.user_attrs == {"note": "after the end"} and last.system_attrs["scheduler"] == {"rung": 1}
    assert before.state == TrialState.RUNNING  # what a reader got earlier stays as it was


def test_claim_trial_waiting_only_never_numbers_a_new_trial(storage):
    sid = storage.create_study("s", "minimize")
    assert storage.claim_trial(sid, waiting_only=True) is None
    queued = storage.create_trial(sid, state=TrialState.WAITING)
    assert storage.claim_trial(sid, waiting_only=True).number == queued
    assert storage.claim_trial(sid, waiting_only=True) is None
    assert [t.number for t in storage.get_trials(sid)] == [queued]


def test_claim_trial_by_number_starts_that_waiting_trial_or_none(storage):
    sid = storage.create_study("s", "minimize")
    first, second = (storage.create_trial(sid, state=TrialState.WAITING) for _ in range(2))
    started = storage.claim_trial(sid, number=second, system_attrs={"by": "name"})
    assert started.number == second and started.system_attrs == {"by": "name", "claim": 1}
    assert storage.claim_trial(sid, number=second) is None  # running now, not waiting
    assert storage.claim_trial(sid, number=7) is None  # no such trial: none is numbered either
    assert storage.get_trial(sid, first).state == TrialState.WAITING
    assert storage.claim_trial(sid, waiting_only=True).number == first
    assert [t.number for t in storage.get_trials(sid)] == [first, second]


def test_user_attrs_in_one_write_all_or_none(storage):
    sid = storage.create_study("s", "minimize")
    n = storage.create_trial(sid)
    storage.set_trial_user_attr(sid, n, "note", "kept")
    storage.set_trial_user_attrs(sid, n, {"epochs": 3, "best_epoch": 2, "summary": {"layers": [4, 2]}})
    assert storage.get_trial(sid, n).user_attrs == {"note": "kept", "epochs": 3, "best_epoch": 2,
                                                    "summary": {"layers": [4, 2]}}
    with pytest.raises(TypeError):
        storage.set_trial_user_attrs(sid, n, {"epochs": 9, "obj": object()})
    assert storage.get_trial(sid, n).user_attrs["epochs"] == 3  # nothing of the failed write


def test_study_summaries_count_states_and_pick_the_best(storage):
    a = storage.create_study("a", "maximize")
    storage.create_study("b", "minimize")
    before = utcnow()
    for value in (0.2, 0.9, 0.5):
        n = storage.create_trial(a)
        storage.report(a, n, 1, value)
        storage.finish_trial(a, n, TrialState.COMPLETE, value)
    n = storage.create_trial(a)
    storage.finish_trial(a, n, TrialState.PRUNED, 0.95)  # a pruned value is not the best
    storage.create_trial(a)
    storage.create_trial(a, state=TrialState.WAITING)
    sa_, sb = storage.study_summaries()
    assert (sa_.name, sa_.direction, sa_.best_value, sa_.n_trials) == ("a", "maximize", 0.9, 6)
    assert sa_.counts == {"waiting": 1, "running": 1, "complete": 3, "pruned": 1, "failed": 0, "diverged": 0}
    assert sa_.last_activity is not None and sa_.last_activity >= before - timedelta(seconds=1)
    assert (sb.name, sb.best_value, sb.last_activity, sb.n_trials) == ("b", None, None, 0)
    c = storage.create_study("c", "minimize")
    storage.create_trial(c, state=TrialState.WAITING)  # a queue alone is activity
    assert storage.study_summaries()[2].last_activity >= before - timedelta(seconds=1)


def test_study_summaries_pick_the_best_among_trials_that_meet_their_constraints(storage):
    sid = storage.create_study("c", "minimize")
    for value, attrs in ((0.01, {"constraints": [0.4]}), (0.3, {"constraints": [-0.1]}),
                         (0.02, {"constraints:size": float("nan")}), (0.5, {})):
        n = storage.create_trial(sid, system_attrs=attrs)
        storage.finish_trial(sid, n, TrialState.COMPLETE, value)
    assert storage.study_summaries()[0].best_value == 0.3  # as study.best_value: 0.01 and 0.02 break theirs


def test_trials_since_follow_starts_steps_and_ends(storage):
    sid = storage.create_study("s", "minimize")
    old = storage.create_trial(sid)
    storage.finish_trial(sid, old, TrialState.COMPLETE, 1.0)
    queued = storage.create_trial(sid, state=TrialState.WAITING)  # shown as soon as it is stored
    first = storage.get_trials_since(sid, None)
    assert [(t.number, t.state) for t in first.trials] == [(old, TrialState.COMPLETE), (queued, TrialState.WAITING)]
    assert first.latest is not None
    import time
    time.sleep(0.02)
    mark = utcnow()
    assert storage.get_trials_since(sid, mark).trials == []
    assert storage.get_trials_since(sid, mark).latest == mark
    live = storage.create_trial(sid)
    storage.report(sid, live, 1, 0.5, {"train_loss": 0.4})
    changed = storage.get_trials_since(sid, mark, with_metrics=True)
    assert [t.number for t in changed.trials] == [live]
    assert changed.trials[0].intermediate_values == {1: 0.5} and changed.trials[0].metrics[0]["train_loss"] == 0.4
    assert changed.latest >= mark
    time.sleep(0.02)
    mark2 = utcnow()
    storage.report(sid, live, 2, 0.4)
    again = storage.get_trials_since(sid, mark2)
    assert [t.number for t in again.trials] == [live] and again.trials[0].intermediate_values == {1: 0.5, 2: 0.4}
    assert again.trials[0].metrics == []
    with pytest.raises(StudyNotFoundError):
        storage.get_trials_since(999, None)


def test_trials_since_see_every_state_change_and_no_bare_heartbeat(storage):
    import time
    sid = storage.create_study("s", "minimize")
    n = storage.create_trial(sid)
    storage.report(sid, n, 1, 0.5)
    time.sleep(0.02)
    mark = utcnow()
    storage.heartbeat(sid, n)
    assert storage.get_trials_since(sid, mark).trials == []
    storage.set_trial_system_attr(sid, n, "retries", 0)
    assert [t.number for t in storage.get_trials_since(sid, mark).trials] == [n]
    time.sleep(0.02)
    mark = utcnow()
    # A crashed trial put back in the queue: seen as waiting again, its steps gone.
    assert storage.recover_trial(sid, n, "worker lost", max_retries=1) == TrialState.WAITING
    back = storage.get_trials_since(sid, mark)
    assert [(t.number, t.state, t.intermediate_values) for t in back.trials] == [(n, TrialState.WAITING, {})]
    assert back.latest >= mark
    time.sleep(0.02)
    mark = utcnow()
    claimed = storage.claim_trial(sid)
    assert claimed is not None and claimed.number == n
    assert [t.state for t in storage.get_trials_since(sid, mark).trials] == [TrialState.RUNNING]
    time.sleep(0.02)
    mark = utcnow()
    storage.finish_trial(sid, n, TrialState.COMPLETE, 0.1)
    assert [t.state for t in storage.get_trials_since(sid, mark).trials] == [TrialState.COMPLETE]


def test_a_deleted_studys_id_is_never_given_again(storage):
    """A search still running on a deleted study writes by its id; a study created after the
    deletion must not answer to it."""
    storage.create_study("a", "minimize", {})
    doomed = storage.create_study("b", "minimize", {})
    storage.delete_study("b")
    assert storage.create_study("c", "minimize", {}) != doomed


def test_array_values_are_kept_as_lists(storage):
    """A numpy array or a torch tensor (predictions, a confusion matrix) given as an attribute
    or metric is kept as nested lists by every storage, not refused for not being a scalar."""
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    sid = storage.create_study("a", "minimize")
    n = storage.create_trial(sid)
    storage.set_trial_user_attrs(sid, n, {"cm": np.array([[3, 1], [0, 4]]), "p": torch.tensor([0.5, 0.25]),
                                          "nested": {"a": np.arange(2)}, "one": np.float32(1.5)})
    storage.report(sid, n, 1, 0.5, {"per_class": np.array([0.5, 1.0])})
    trial = storage.get_trial(sid, n)
    assert trial.user_attrs == {"cm": [[3, 1], [0, 4]], "p": [0.5, 0.25], "nested": {"a": [0, 1]}, "one": 1.5}
    assert trial.metrics == [{"step": 1, "per_class": [0.5, 1.0]}]


def test_a_report_whose_metrics_json_refuses_keeps_nothing(storage):
    """The memory storage (and the journal's replay of it) kept the step's value before
    refusing its metrics: the record was half-written."""
    from datetime import datetime

    sid = storage.create_study("s", "minimize", {})
    n = storage.create_trial(sid)
    with pytest.raises(TypeError, match="not JSON serializable"):
        storage.report(sid, n, 1, 0.5, {"when": datetime(2026, 1, 1)})
    trial = storage.get_trial(sid, n)
    assert (trial.intermediate_values, trial.metrics) == ({}, [])
