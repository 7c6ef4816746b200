"""New epochs under a cosine schedule: the rest of the run follows the new length's cosine,
whether they come as a change while training or with a resumed checkpoint."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nntune.train.loop import fit
from nntune.train.splits import Splits
from nntune.train.stack import Stack

Params = Callable[..., dict[str, Any]]


def cosine(lr: float, epochs: int) -> list[float]:
    """The rate of each epoch of a cosine schedule planned for ``epochs`` from the start."""
    return [lr * (1 + math.cos(math.pi * t / epochs)) / 2 for t in range(epochs)]


@pytest.mark.parametrize("at", [2, 4])
def test_more_epochs_while_training_follow_the_longer_cosine(digits: Splits, fast: Params, at: int) -> None:
    params = fast(epochs=4, optimizer="sgd", lr=0.1, lr_schedule="cosine")
    run = fit(params, digits, changes=lambda epoch, hp: {"epochs": 8} if epoch == at else {})
    # At epoch 4 of 4 the old cosine had reached lr_min (0): the new epochs must not stay there.
    assert [r["lr"] for r in run.history][at:] == pytest.approx(cosine(0.1, 8)[at:])


def test_more_epochs_on_resume_follow_the_longer_cosine(digits: Splits, fast: Params, tmp_path: Path) -> None:
    params = fast(epochs=4, optimizer="sgd", lr=0.1, lr_schedule="cosine", warmup_epochs=1)
    path = tmp_path / "trial-0.pt"
    fit(params, digits, checkpoint_path=path)
    rest = fit({**params, "epochs": 9}, digits, resume_from=path)
    assert [r["lr"] for r in rest.history] == pytest.approx(cosine(0.1, 8)[3:])
    assert min(r["lr"] for r in rest.history) > 0


def test_a_stack_member_s_new_epochs_follow_the_longer_cosine(digits: Splits, fast: Params) -> None:
    params = fast(epochs=4, optimizer="sgd", lr=0.1, lr_schedule="cosine")
    stack = Stack(params, digits, capacity=1)
    slot = stack.add(params, seed=0)
    for _ in range(3):
        stack.run_epoch()
    stack.change_params(slot, {"epochs": 8})
    (result,) = stack.run()
    assert [r["lr"] for r in result.history] == pytest.approx([*cosine(0.1, 4)[:3], *cosine(0.1, 8)[3:]])
