"""MemoryKeeper: a full collection only after resident memory grew past the slack."""

from __future__ import annotations

from nntune.executors._memory import MemoryKeeper, release_memory, rss_mb


def keeper_on(readings: list[float]) -> tuple[MemoryKeeper, list[int]]:
    it = iter(readings)
    released: list[int] = []
    keeper = MemoryKeeper(slack_mb=32.0, rss=lambda: next(it), release=lambda: released.append(1))
    return keeper, released


def test_first_trial_sets_the_baseline_without_collecting() -> None:
    keeper, released = keeper_on([500.0])
    keeper.after_trial()
    assert released == [] and keeper.baseline == 500.0


def test_collects_only_once_memory_grew_past_the_slack() -> None:
    # trial 1: baseline 500; trial 2: 530 (within slack); trial 3: 540 > 532: collect, 510 after
    keeper, released = keeper_on([500.0, 530.0, 540.0, 510.0, 541.0])
    keeper.after_trial()
    keeper.after_trial()
    assert released == []
    keeper.after_trial()
    assert released == [1] and keeper.baseline == 510.0
    keeper.after_trial()  # 541 is within 510 + 32
    assert released == [1]


def test_release_memory_runs_and_rss_is_positive() -> None:
    release_memory()
    assert rss_mb() > 0
