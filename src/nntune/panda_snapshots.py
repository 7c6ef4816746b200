"""The epoch snapshots of a babysat trial (``trial-N-epoch-E.pt`` in the study's checkpoint
folder): finding them, and the retention policy (``search.checkpoints``) that drops old ones
after each epoch while keeping the newest, the best and those that queued forks start from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from nntune._trial import Trial
from nntune.config import CheckpointsConfig
from nntune.trial import FrozenTrial

OnEpoch = Callable[[Trial, int, dict[str, Any]], None]


def snapshots(folder: Path, number: int) -> dict[int, Path]:
    """Trial ``number``'s kept epoch snapshots, by epoch."""
    pattern = re.compile(rf"trial-{number}-epoch-(\d+)\.pt$")
    found = {}
    for path in folder.glob(f"trial-{number}-epoch-*.pt"):
        match = pattern.search(path.name)
        if match:
            found[int(match.group(1))] = path
    return found


def snapshots_to_drop(sizes: Mapping[int, int], values: Mapping[int, float], direction: str,
                      policy: CheckpointsConfig, needed: Collection[int] = ()) -> list[int]:
    """The epochs whose snapshots the retention ``policy`` drops, oldest first. ``sizes``:
    bytes per kept epoch; ``values``: the trial's value per epoch. The newest snapshot (what
    a resume continues from), those ``needed`` (by forks not yet started from them) and,
    with ``keep_best``, the best epoch's are always kept."""
    epochs = sorted(sizes)
    if not epochs:
        return []
    keep = set(epochs if policy.keep_last is None else epochs[-policy.keep_last:]) | set(needed)
    protected = {epochs[-1], *needed}
    scored = [e for e in epochs if e in values and values[e] == values[e]]  # NaN never best
    if policy.keep_best and scored:
        best = (max if direction == "maximize" else min)(scored, key=lambda e: (values[e], -e))
        keep.add(best)
        protected.add(best)
    drop = [e for e in epochs if e not in keep]
    if policy.max_disk_mb is not None:
        budget = policy.max_disk_mb * 2**20
        total = sum(sizes[e] for e in keep)
        for e in sorted(keep - protected):
            if total <= budget:
                break
            drop.append(e)
            total -= sizes[e]
    return sorted(drop)


def retention(folder: Path, policy: CheckpointsConfig, direction: str) -> OnEpoch:
    """``on_epoch`` that applies ``policy`` to the trial's snapshots after each epoch."""
    def apply(trial: Trial, epoch: int, record: dict[str, Any]) -> None:
        values = trial.study.storage.get_trial(trial.study.id, trial.number, with_metrics=False).intermediate_values
        # Only this trial's epochs: a file of an epoch it never reached is another trial's of
        # that number (a deleted study of this name), and must not push its own out.
        kept = {e: p for e, p in snapshots(folder, trial.number).items() if e in values}
        needed = fork_points(trial.study.storage.get_trials(trial.study.id), trial.number)
        for e in snapshots_to_drop({e: p.stat().st_size for e, p in kept.items()}, values, direction, policy,
                                   needed):
            kept[e].unlink(missing_ok=True)
    return apply


def fork_points(trials: Iterable[FrozenTrial], number: int) -> set[int]:
    """The epochs of trial ``number`` that forks and resumes still to start (waiting, or
    running and perhaps not yet loaded) begin from."""
    return {int(t.system_attrs["parent_step"]) for t in trials
            if t.system_attrs.get("parent") == number and isinstance(t.system_attrs.get("parent_step"), int)
            and not t.state.is_finished()}
