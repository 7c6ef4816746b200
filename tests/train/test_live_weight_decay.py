"""Weight decay switched on from 0, or off, while a model trains: the parameters are grouped
as a run built with that decay is, so resuming or forking from a checkpoint gives the same
run, with the optimizer's state and the schedule's progress carried over."""

from pathlib import Path
from typing import Any, Callable

import pytest
import torch

from nntune.train import Splits, fit

Params = Callable[..., dict[str, Any]]


def without_times(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "epoch_time"} for r in history]


def change_at(epoch: int, decay: float) -> Callable[[int, dict], dict[str, Any]]:
    return lambda e, hp: {"weight_decay": decay} if e == epoch else {}


def stop_at(epoch: int) -> Callable[[int, dict], bool]:
    return lambda e, record: e == epoch


@pytest.mark.parametrize("before, after", [(0.0, 1e-3), (1e-3, 0.0)])
def test_a_run_changed_live_equals_one_resumed_or_forked_with_the_change(
        digits: Splits, fast: Params, tmp_path: Path, before: float, after: float) -> None:
    params = fast(epochs=5, lr_schedule="cosine", weight_decay=before)
    live = fit(params, digits, changes=change_at(2, after))
    # A fork from epoch 2 with the new decay: built grouped by it, from a checkpoint grouped by the old.
    forked = tmp_path / "two.pt"
    first = fit(params, digits, checkpoint_path=forked, report=stop_at(2))
    fork = fit({**params, "weight_decay": after}, digits, resume_from=forked)
    # The cosine goes on from epoch 2: it restarted at the full rate, and Adam's moments
    # were dropped, where the optimizer's groups differed from the checkpoint's.
    assert [r["lr"] for r in fork.history] == pytest.approx([r["lr"] for r in live.history[2:]])
    assert without_times(live.history) == without_times(first.history + fork.history)
    # Ctrl-C after the change was taken, then a resume (built with the new decay).
    resumed = tmp_path / "three.pt"
    before_stop = fit(params, digits, checkpoint_path=resumed, changes=change_at(2, after), report=stop_at(3))
    rest = fit({**params, "weight_decay": after}, digits, resume_from=resumed)
    assert without_times(live.history) == without_times(before_stop.history + rest.history)
    for a, b in zip(live.model.parameters(), rest.model.parameters()):
        assert torch.equal(a, b)
