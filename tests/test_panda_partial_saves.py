"""A checkpoint save cut short by a killed worker leaves its temporary file behind; the
next trial to use the folder removes those of trials that no longer run."""

from pathlib import Path

from nntune.panda_snapshots import sweep_partial
from nntune.storage import InMemoryStorage
from nntune.trial import TrialState


def test_half_written_saves_of_trials_that_no_longer_run_are_removed(tmp_path: Path):
    store = InMemoryStorage()
    sid = store.create_study("s", "maximize")
    failed, running = store.create_trial(sid), store.create_trial(sid)
    store.finish_trial(sid, failed, TrialState.FAILED, error="timed out")
    queued = store.create_trial(sid, state=TrialState.WAITING)
    killed = tmp_path / f".trial-{failed}.pt.k3x9q1ab.tmp"  # its worker killed mid-save
    saving = tmp_path / f".trial-{running}.pt.0a1b2c3d.tmp"  # a save in progress elsewhere
    requeued = tmp_path / f".trial-{queued}.pt.zz_9y8x7.tmp"  # killed, queued again
    snapshot = tmp_path / f".trial-{failed}-epoch-3.pt.m1n2b3v4.tmp"  # a stacked member's snapshot
    model = tmp_path / f".trial-{failed}-0123456789ab.pt.p0o9i8u7.tmp"  # a kept model's (kept_model.kept_file)
    kept = [tmp_path / f"trial-{failed}.pt", tmp_path / f"trial-{failed}-epoch-2.pt",
            tmp_path / f"trial-{failed}-0123456789ab.pt", tmp_path / "notes.tmp"]
    for path in (killed, saving, requeued, snapshot, model, *kept):
        path.write_bytes(b"x" * 10)

    removed = sweep_partial(tmp_path, store.get_trials(sid))

    assert sorted(removed) == sorted([killed, requeued, snapshot, model])
    assert not any(p.exists() for p in (killed, requeued, snapshot, model))
    assert saving.exists() and all(p.exists() for p in kept)
