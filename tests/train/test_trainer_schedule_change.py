"""A schedule kind (or warm-up) changed mid-run starts afresh from the epoch it is taken: at
the base rate then in force, over the epochs that remain, its warm-up not repeated; taken
while training, with a resume, or kept by a fork from a later epoch, the same run."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from nntune.train.loop import fit
from nntune.train.splits import Splits
from nntune.train.stack import Stack

Params = Callable[..., dict[str, Any]]
SGD = {"optimizer": "sgd", "lr": 0.01}


def cosine(lr: float, epochs: int) -> list[float]:
    """The rate of each epoch of a cosine schedule planned for ``epochs`` from the start."""
    return [lr * (1 + math.cos(math.pi * t / epochs)) / 2 for t in range(epochs)]


def at(epoch: int, change: dict[str, Any]) -> Callable[[int, dict], dict[str, Any]]:
    return lambda e, hp: dict(change) if e == epoch else {}


def stop_at(epoch: int) -> Callable[[int, dict], bool]:
    return lambda e, record: e == epoch


def without_times(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "epoch_time"} for r in history]


def rates(history: list[dict[str, Any]]) -> list[float]:
    return [r["lr"] for r in history]


def test_a_cosine_taken_after_epoch_3_of_10_anneals_over_the_7_left(digits: Splits, fast: Params) -> None:
    run = fit(fast(**SGD, epochs=10), digits, changes=at(3, {"lr_schedule": "cosine"}))
    # Restarted over all 10 epochs it ended at 0.00345, a third of the base rate.
    assert rates(run.history) == pytest.approx([0.01] * 3 + cosine(0.01, 7))
    assert run.history[-1]["lr"] < 0.001


@pytest.mark.parametrize(("before", "change", "expected"), [
    ({}, {"lr_schedule": "cosine"}, [0.01] * 3 + cosine(0.01, 5)),
    # A warm-up over by the change is not repeated.
    ({"warmup_epochs": 2}, {"lr_schedule": "cosine"}, [0.01 / 3, 0.02 / 3, 0.01] + cosine(0.01, 5)),
    ({"lr_schedule": "step", "lr_step_epochs": 1, "lr_gamma": 0.5}, {"lr_schedule": "exponential", "lr_gamma": 0.5},
     [0.01, 0.005, 0.0025, 0.01, 0.005, 0.0025, 0.00125, 0.000625]),
    # A warm-up the change comes within ends at its epoch of the run, the cosine after it.
    ({"warmup_epochs": 4}, {"lr_schedule": "cosine"}, [0.002, 0.004, 0.006, 0.008] + cosine(0.01, 4)),
    # A warm-up switched on once the run is past it has nothing left to warm.
    ({"lr_schedule": "cosine"}, {"warmup_epochs": 2}, cosine(0.01, 8)[:3] + cosine(0.01, 5)),
])
def test_a_change_live_equals_a_resume_with_it_and_a_fork_from_a_later_epoch(
        digits: Splits, fast: Params, tmp_path: Path, before: dict[str, Any], change: dict[str, Any],
        expected: list[float]) -> None:
    params = fast(**SGD, epochs=8, **before)
    changed_at = 1 if before.get("warmup_epochs") == 4 else 3
    path = tmp_path / "run.pt"
    live = fit(params, digits, changes=at(changed_at, change), checkpoint_path=path, report=stop_at(5))
    rest = fit({**params, **change}, digits, resume_from=path)  # the fork from epoch 5 keeps the start
    assert rates(live.history + rest.history) == pytest.approx(expected)
    whole = fit(params, digits, changes=at(changed_at, change))
    assert without_times(whole.history) == without_times(live.history + rest.history)
    first = tmp_path / "first.pt"
    before_change = fit(params, digits, checkpoint_path=first, report=stop_at(changed_at))
    resumed = fit({**params, **change}, digits, resume_from=first)
    assert without_times(whole.history) == without_times(before_change.history + resumed.history)
    for a, b in zip(whole.model.parameters(), resumed.model.parameters()):
        assert torch.equal(a, b)


def test_new_epochs_keep_the_epoch_a_changed_cosine_started_at(digits: Splits, fast: Params, tmp_path: Path) -> None:
    params = fast(**SGD, epochs=10)
    changes = {3: {"lr_schedule": "cosine"}, 5: {"epochs": 12}}
    live = fit(params, digits, changes=lambda e, hp: changes.get(e, {}))
    # Epochs 4-5 on the cosine over the 7 epochs left, then the one over 9 from the same start.
    assert rates(live.history) == pytest.approx([0.01] * 3 + cosine(0.01, 7)[:2] + cosine(0.01, 9)[2:])
    path = tmp_path / "five.pt"
    fit(params, digits, changes=at(3, changes[3]), checkpoint_path=path, report=stop_at(5))
    fork = fit({**params, "lr_schedule": "cosine", "epochs": 12}, digits, resume_from=path)
    assert without_times(fork.history) == without_times(live.history[5:])


def test_a_stack_member_s_new_schedule_starts_where_it_is_taken(digits: Splits, fast: Params) -> None:
    params = fast(**SGD, epochs=8)
    stack = Stack(params, digits, capacity=2)
    changed, explored = stack.add(params, seed=0, key="set"), stack.add(params, seed=1, key="explore")
    for _ in range(3):
        stack.run_epoch()
    stack.change_params(changed, {"lr_schedule": "cosine"})  # nntune trial set
    stack.set_params(explored, {**params, "lr_schedule": "cosine"})  # PBT's explore, a resume's
    results = {r.key: r for r in stack.run()}
    solo = fit(params, digits, changes=at(3, {"lr_schedule": "cosine"}))
    for result in results.values():
        assert rates(result.history) == pytest.approx([0.01] * 3 + cosine(0.01, 5))
        assert rates(result.history) == pytest.approx(rates(solo.history), rel=1e-12)
