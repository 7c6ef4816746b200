"""A stack member's checkpoint carries its optimizer state and lr-schedule progress in the
format ``fit`` saves them: a run resumed or forked from it continues as one from a solo
run's checkpoint does (momentum buffers, Adam moments and the schedule go on), and a stack
member loaded from either kind continues as a slice copy of the member would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from nntune.train.loop import fit
from nntune.train.splits import Splits
from nntune.train.stack import Stack

BASE: dict[str, Any] = {"layers": 1, "units": 16, "batch_size": 128, "epochs": 6, "weight_decay": 1e-3}
CASES = [
    {"optimizer": "momentum", "lr": 0.05, "lr_schedule": "cosine"},
    {"optimizer": "nesterov", "lr": 0.05, "lr_schedule": "step", "lr_step_epochs": 2, "warmup_epochs": 2},
    {"optimizer": "sgd", "lr": 0.1, "lr_schedule": "cosine", "warmup_epochs": 4},
    {"optimizer": "adam", "lr": 0.01, "lr_schedule": "cosine", "early_stopping": True, "patience": 10},
    {"optimizer": "adamw", "lr": 0.01, "lr_schedule": "exponential"},
    {"optimizer": "rmsprop", "lr": 0.003, "lr_schedule": "plateau", "lr_patience": 0},
    {"optimizer": "adagrad", "lr": 0.05, "lr_schedule": "cosine", "weight_decay": 0.0},
]
STOP_AT = 3


def curves(history: list[dict[str, Any]]) -> list[float]:
    return [r[key] for r in history for key in ("train_loss", "val_loss", "value", "lr")]


def same(a: Any, b: Any) -> bool:
    """Equal, numbers to float rounding, through nested dicts, lists and tuples."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return isinstance(b, float) and b == pytest.approx(a, rel=1e-9)
    return a == b


def stacked_to(hp: dict[str, Any], splits: Splits, epochs: int, seed: int = 3) -> tuple[Stack, int]:
    stack = Stack(hp, splits, capacity=1)
    slot = stack.add(hp, seed=seed)
    for _ in range(epochs):
        stack.run_epoch()
    return stack, slot


def local_checkpoint(hp: dict[str, Any], splits: Splits, path: Path) -> Path:
    fit(hp, splits, seed=3, checkpoint_path=path, report=lambda epoch, _record: epoch >= STOP_AT)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c["optimizer"] for c in CASES])
def test_a_run_resumed_from_a_members_checkpoint_continues_as_from_a_solo_runs(
        digits: Splits, tmp_path: Path, case: dict[str, Any]) -> None:
    hp = {**BASE, **case}
    stack, slot = stacked_to(hp, digits, STOP_AT)
    stack.save_member(slot, tmp_path / "member.pt")
    from_member = fit(hp, digits, seed=3, resume_from=tmp_path / "member.pt")
    from_solo = fit(hp, digits, seed=3, resume_from=local_checkpoint(hp, digits, tmp_path / "solo.pt"))
    assert [r["epoch"] for r in from_member.history] == [4, 5, 6]
    # Without the member's optimizer state and schedule its rate started over at lr and its
    # momentum or moments at zero: another curve from the first epoch on.
    assert curves(from_member.history) == pytest.approx(curves(from_solo.history), rel=1e-4, abs=1e-6)
    assert from_member.best_epoch == from_solo.best_epoch


def test_a_members_checkpoint_holds_what_a_solo_runs_does(digits: Splits, tmp_path: Path) -> None:
    hp = {**BASE, **CASES[3]}
    stack, slot = stacked_to(hp, digits, STOP_AT)
    stack.save_member(slot, tmp_path / "member.pt")
    member = torch.load(tmp_path / "member.pt", weights_only=True)
    solo = torch.load(local_checkpoint(hp, digits, tmp_path / "solo.pt"), weights_only=True)
    assert set(member) == set(solo)
    ours, theirs = member["optimizer"], solo["optimizer"]
    assert same(ours["param_groups"], theirs["param_groups"])
    assert ours["state"].keys() == theirs["state"].keys()
    for index, state in theirs["state"].items():
        assert ours["state"][index].keys() == state.keys()
        for key, tensor in state.items():
            assert torch.allclose(ours["state"][index][key], tensor, rtol=1e-4, atol=1e-7), (index, key)
    assert same(member["scheduler"], solo["scheduler"])


@pytest.mark.parametrize("case", [CASES[0], CASES[3], CASES[5]], ids=["momentum", "adam", "rmsprop"])
def test_a_member_loaded_from_a_checkpoint_continues_as_a_slice_copy_and_as_fit(
        digits: Splits, tmp_path: Path, case: dict[str, Any]) -> None:
    hp = {**BASE, **case}
    parent_stack, parent = stacked_to(hp, digits, STOP_AT)
    parent_stack.save_member(parent, tmp_path / "member.pt")
    copied = parent_stack.add(hp, seed=3)  # the same batch order as the loaded ones below
    parent_stack.copy(parent, copied)
    parent_stack.members[copied].epoch = STOP_AT
    results = {r.key: r for r in parent_stack.run()}

    for source in ("member.pt", "solo.pt"):
        if source == "solo.pt":
            local_checkpoint(hp, digits, tmp_path / source)
        stack = Stack(hp, digits, capacity=1)
        slot = stack.add({**hp, "lr": 1.0}, seed=3)  # a fresh member's settings: all replaced
        stack.load_checkpoint(slot, torch.load(tmp_path / source, weights_only=True))
        assert stack.members[slot].epoch == STOP_AT
        loaded = stack.run()[0]
        assert curves(loaded.history) == pytest.approx(curves(results[copied].history), rel=1e-4, abs=1e-6), source


def test_a_checkpoint_without_optimizer_state_starts_it_afresh_at_its_epoch(digits: Splits, tmp_path: Path) -> None:
    hp = {**BASE, **CASES[0]}
    stack, slot = stacked_to(hp, digits, STOP_AT)
    stack.save_member(slot, tmp_path / "member.pt")
    state = torch.load(tmp_path / "member.pt", weights_only=True)
    stack.load_checkpoint(slot, {**state, "optimizer": None, "scheduler": None})
    assert all(float(t[slot].abs().sum()) == 0 for p in stack.opt.state for t in p.values())
    # As a resumed fit: a cosine over the epochs left, from the base rate.
    assert [r["lr"] for r in stack.run()[0].history[STOP_AT:]] == pytest.approx([0.05, 0.0375, 0.0125])
