"""The epoch snapshots of a babysat trial (``trial-N-epoch-E.pt`` in the study's checkpoint
folder): finding them, and the retention policy (``search.checkpoints``) that drops old ones
after each epoch while keeping the newest, the best and those that queued forks start from.
Also the half-written checkpoints that trials killed mid-save leave in such a folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from nntune._trial import Trial
from nntune.config import CheckpointsConfig
from nntune.trial import FrozenTrial, TrialState

OnEpoch = Callable[[Trial, int, dict[str, Any]], None]
# The temporary file a save of trial-N.pt, trial-N-epoch-E.pt or a kept model's
# trial-N-KEY.pt (nntune.kept_model.kept_file) writes first (nntune._files.replaced_atomically).
PARTIAL = re.compile(r"\.trial-(\d+)(?:-epoch-\d+|-[0-9a-f]{12})?\.pt\..+\.tmp")


def snapshots(folder: Path, number: int) -> dict[int, Path]:
    """Trial ``number``'s kept epoch snapshots, by epoch."""
    pattern = re.compile(rf"trial-{number}-epoch-(\d+)\.pt$")
    found = {}
    for path in folder.glob(f"trial-{number}-epoch-*.pt"):
        match = pattern.search(path.name)
        if match:
            found[int(match.group(1))] = path
    return found


def trained_by(trials: Mapping[int, FrozenTrial], number: int, epoch: int) -> int:
    """The trial that trained trial ``number``'s ``epoch``: itself, or for a fork or a
    continuation whose curve up to its ``parent_step`` is its parent's, that ancestor,
    whose snapshot of the epoch it is."""
    seen = set()
    while number in trials and number not in seen:
        seen.add(number)
        attrs = trials[number].system_attrs
        parent, step = attrs.get("parent"), attrs.get("parent_step")
        if not (isinstance(parent, int) and isinstance(step, int) and epoch <= step):
            break
        number = parent
    return number


def snapshots_to_drop(sizes: Mapping[int, int], values: Mapping[int, float], direction: str,
                      policy: CheckpointsConfig, needed: Collection[int] = (), reserved: int = 0) -> list[int]:
    """The epochs whose snapshots the retention ``policy`` drops, oldest first. ``sizes``:
    bytes per kept epoch; ``values``: the trial's value per epoch; ``reserved``: bytes of
    the trial's other file that ``max_disk_mb`` holds too (its latest state). The newest
    snapshot (what a resume continues from), those ``needed`` (by forks not yet started
    from them) and, with ``keep_best``, the best epoch's are always kept."""
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
        total = reserved + sum(sizes[e] for e in keep)
        for e in sorted(keep - protected):
            if total <= budget:
                break
            drop.append(e)
            total -= sizes[e]
    return sorted(drop)


def retention(folder: Path, policy: CheckpointsConfig, direction: str) -> OnEpoch:
    """``on_epoch`` that applies ``policy`` to the trial's snapshots after each epoch."""
    from nntune.builtin import checkpoint_file  # torch: only for a trial that trains

    def apply(trial: Trial, epoch: int, record: dict[str, Any]) -> None:
        values = trial.study.storage.get_trial(trial.study.id, trial.number, with_metrics=False).intermediate_values
        # Only this trial's epochs: a file of an epoch it never reached is another trial's of
        # that number (a deleted study of this name), and must not push its own out.
        kept = {e: p for e, p in snapshots(folder, trial.number).items() if e in values}
        needed = fork_points(trial.study.storage.get_trials(trial.study.id), trial.number)
        reserved = unshared_size(checkpoint_file(folder, trial.number), kept.values())
        for e in snapshots_to_drop({e: p.stat().st_size for e, p in kept.items()}, values, direction, policy,
                                   needed, reserved):
            kept[e].unlink(missing_ok=True)
    return apply


def unshared_size(path: Path, others: Iterable[Path]) -> int:
    """Bytes ``path`` (the trial's latest state, beside its snapshots) takes on disk besides
    ``others``: none when it is missing or is one of them (a hard link)."""
    try:
        own = path.stat()
    except FileNotFoundError:
        return 0
    for other in others:
        with suppress(FileNotFoundError):
            if os.path.samestat(own, other.stat()):
                return 0
    return own.st_size


def fork_points(trials: Iterable[FrozenTrial], number: int) -> set[int]:
    """The epochs of trial ``number`` that forks and resumes still to start (waiting, or
    running and perhaps not yet loaded) begin from."""
    return {int(t.system_attrs["parent_step"]) for t in trials
            if t.system_attrs.get("parent") == number and isinstance(t.system_attrs.get("parent_step"), int)
            and not t.state.is_finished()}


def sweep_partial(folder: Path, trials: Iterable[FrozenTrial]) -> list[Path]:
    """Remove the half-written checkpoints in ``folder`` of trials that no longer run, and
    return them. A save writes a temporary file before it replaces ``trial-N.pt`` (or, under
    the population executor, an epoch's snapshot); a process killed mid-save (a trial
    timeout, a memory limit, kill -9) leaves it behind, and nothing else would ever remove
    it. A running trial's (a save in progress elsewhere) stays."""
    running = {t.number for t in trials if t.state == TrialState.RUNNING}
    removed = []
    for path in folder.glob(".trial-*.pt.*.tmp"):
        match = PARTIAL.fullmatch(path.name)
        if match and int(match.group(1)) not in running:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
