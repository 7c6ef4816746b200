"""Following a study between requests, with an injected clock."""

from __future__ import annotations

import time

from nntune.dashboard.live import FINISH_GRACE, MIN_OVERVIEW_PERIOD, MIN_REFRESH, LiveStudies
from nntune.storage import SQLStorage
from nntune.trial import TrialState


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_versions_throttle_and_the_finish(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'live.db'}")
    sid = store.create_study("s", "minimize")
    clock = Clock()
    studies = LiveStudies(store, clock)
    live = studies.get("s")
    assert live.status() == "empty" and live.version == 0

    n = store.create_trial(sid)
    store.report(sid, n, 1, 0.5)
    assert studies.get("s").trials == {}  # read again only after MIN_REFRESH
    clock.now += MIN_REFRESH
    live = studies.get("s")
    assert list(live.trials) == [n] and live.version == 1 and live.status() == "running"
    assert [t.number for t in live.changed_since(0)] == [n] and live.changed_since(1) == []

    clock.now += MIN_REFRESH
    studies.get("s")
    assert live.version == 1  # nothing changed: same version, though the read looked back a little

    time.sleep(0.01)
    store.report(sid, n, 2, 0.4)
    store.finish_trial(sid, n, TrialState.COMPLETE, 0.4)
    clock.now += MIN_REFRESH
    studies.get("s")
    assert live.version == 2 and live.trials[n].state == TrialState.COMPLETE
    assert live.trials[n].intermediate_values == {1: 0.5, 2: 0.4}
    assert live.status() == "running"  # a serial run has a gap between trials
    clock.now += FINISH_GRACE
    assert live.status() == "finished"


def test_overview_is_rebuilt_only_after_a_change_and_not_too_often(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'live.db'}")
    sid = store.create_study("s", "minimize")
    clock = Clock()
    live = LiveStudies(store, clock).get("s")
    builds = []

    def build(rec, trials):
        builds.append(len(trials))
        return {}
    live.overview(build)
    live.overview(build)
    assert builds == [0]
    store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 1.0)
    clock.now += MIN_REFRESH
    live.refresh()
    live.overview(build)
    assert builds == [0]  # changed, but the last build is younger than a second
    clock.now += 1.0
    assert live.overview(build)["version"] == 1 and builds == [0, 1]


def test_warm_reads_the_most_recent_studies_first(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'live.db'}")
    for name in ("old", "new", "never"):
        store.create_study(name, "minimize")
    for name in ("old", "new"):
        sid = store.load_study(name).id
        store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 1.0)
        time.sleep(0.01)
    studies = LiveStudies(store, Clock())
    studies.warm(limit=1)
    assert list(studies._studies) == ["new"]
    assert studies._studies["new"].overview(lambda rec, trials: {"rebuilt": True}).get("rebuilt") is None  # built already
    studies.warm()
    assert sorted(studies._studies) == ["never", "new", "old"]


def test_queued_and_requeued_trials_show_as_waiting(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'live.db'}")
    sid = store.create_study("s", "minimize")
    clock = Clock()
    studies = LiveStudies(store, clock)
    queued = store.create_trial(sid, state=TrialState.WAITING)
    live = studies.get("s")
    assert live.trials[queued].state == TrialState.WAITING and live.status() == "running"

    claimed = store.claim_trial(sid)
    assert claimed is not None and claimed.number == queued
    store.report(sid, queued, 1, 0.5)
    clock.now += MIN_REFRESH
    assert studies.get("s").trials[queued].state == TrialState.RUNNING
    version = live.version
    # Its worker vanished: put back in the queue, it shows as waiting again without its steps.
    store.recover_trial(sid, queued, "no heartbeat", max_retries=1)
    clock.now += MIN_REFRESH
    studies.get("s")
    assert live.trials[queued].state == TrialState.WAITING and live.trials[queued].intermediate_values == {}
    assert [t.number for t in live.changed_since(version)] == [queued]
    later = store.create_trial(sid, state=TrialState.WAITING)
    clock.now += MIN_REFRESH
    assert studies.get("s").trials[later].state == TrialState.WAITING


def test_a_stale_overview_is_answered_at_once_and_rebuilt_behind(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'live.db'}")
    sid = store.create_study("s", "minimize")
    clock = Clock()
    live = LiveStudies(store, clock).get("s")
    first = live.overview(wait=False)  # nothing built yet: built now
    assert first["version"] == 0 and first["lineage"]["nodes"] == [] and first["stages"] == []
    store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 1.0)
    clock.now += 2.0
    live.refresh()
    assert live.overview(wait=False) is first  # the old one, while the new one is made
    live._rebuilding.join(timeout=30)
    fresh = live.overview(wait=False)
    assert fresh["version"] == 1 and fresh["summary"]["n_trials"] == 1 and "trials" not in fresh


def test_counts_and_best_follow_the_changes_as_a_full_ranking_would(tmp_path):
    from nntune.report.data import rank

    store = SQLStorage(f"sqlite:///{tmp_path / 'live.db'}")
    sid = store.create_study("s", "maximize")
    clock = Clock()
    studies = LiveStudies(store, clock)
    live = studies.get("s")
    for value, state in ((0.5, TrialState.COMPLETE), (0.9, TrialState.PRUNED), (0.7, TrialState.COMPLETE),
                         (0.7, TrialState.COMPLETE), (None, TrialState.FAILED), (0.8, None)):
        n = store.create_trial(sid)
        store.report(sid, n, 1, 0.1)
        if state is not None:
            store.finish_trial(sid, n, state, value)
        clock.now += MIN_REFRESH
        studies.get("s")
        live.best()  # ranked once, then kept from the changed trials alone
        everything = store.get_trials(sid)
        full = next((t for t in rank(everything, "maximize") if t.state == TrialState.COMPLETE), None)
        assert (live.best().number if live.best() else None) == (full.number if full else None)
        assert {k: v for k, v in live.counts.items() if v} == {
            s.value: sum(t.state == s for t in everything) for s in TrialState if any(t.state == s for t in everything)}
    assert live.best().number == 2  # 0.7 twice: the tie goes to the lower number
    store.finish_trial(sid, 5, TrialState.COMPLETE, 0.8)
    clock.now += MIN_REFRESH
    assert studies.get("s").best().number == 5 and live.counts["running"] == 0


def test_a_test_look_or_an_attribute_stored_after_the_last_trial_is_a_new_version(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'live.db'}")
    sid = store.create_study("s", "maximize")
    n = store.create_trial(sid)
    store.finish_trial(sid, n, TrialState.COMPLETE, 0.9)
    clock = Clock()
    studies = LiveStudies(store, clock)
    live = studies.get("s")
    first = live.version
    assert live.overview()["test"]["looks"] == 0
    # What nntune tune does once the search is over: the test split opened for the best trial.
    store.record_test_evaluation(sid, n, {"accuracy": 0.95})
    clock.now += MIN_OVERVIEW_PERIOD
    studies.get("s")
    assert live.version == first + 1 and live.overview()["test"]["looks"] == 1
    store.set_study_attr(sid, "terminator", {"n_complete": 1, "improvement": 0.1, "error": 0.2, "terminate": True})
    clock.now += MIN_REFRESH
    studies.get("s")
    assert live.version == first + 2 and live.rec.attrs["terminator"]["terminate"] is True
    clock.now += MIN_REFRESH
    studies.get("s")
    assert live.version == first + 2  # nothing changed since



def test_where_a_scheduler_left_a_trial_reaches_the_rows_after_the_trial_ended(tmp_path):
    # A study finishes a trial, then stores where Hyperband left it (system_attrs["scheduler"]);
    # a read between the two writes must not keep the row without it.
    store = SQLStorage(f"sqlite:///{tmp_path / 'live.db'}")
    sid = store.create_study("s", "maximize")
    clock = Clock()
    studies = LiveStudies(store, clock)
    n = store.create_trial(sid)
    store.report(sid, n, 1, 0.5)
    store.finish_trial(sid, n, TrialState.PRUNED, 0.5)
    live = studies.get("s")
    before = live.version
    time.sleep(0.01)
    store.set_trial_system_attr(sid, n, "scheduler", {"bracket": 1, "rung": 0, "rung_step": 1})
    clock.now += MIN_REFRESH
    studies.get("s")
    assert live.version == before + 1 and [t.number for t in live.changed_since(before)] == [n]
    assert live.trials[n].system_attrs["scheduler"] == {"bracket": 1, "rung": 0, "rung_step": 1}
