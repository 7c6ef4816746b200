"""A schedule's own settings changed while training, or on resume, take effect: the saved
scheduler state keeps its progress, not its old gamma, step, floor, factor or patience."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nntune.train.basics import resolve_params
from nntune.train.loop import fit
from nntune.train.models import build_model
from nntune.train.optim import LrSchedule, build_optimizer, current_lr, restore_optimizer
from nntune.train.splits import Splits

Params = Callable[..., dict[str, Any]]
SGD = {"epochs": 6, "optimizer": "sgd", "lr": 0.1, "lr_step_epochs": 2}


@pytest.mark.parametrize("schedule, change, rates", [
    # The decay after epoch 2 is the old one; the changed setting rules from then on.
    ("step", {"lr_gamma": 0.5}, [0.1, 0.1, 0.01, 0.01, 0.005, 0.005]),
    ("step", {"lr_step_epochs": 1}, [0.1, 0.1, 0.01, 1e-3, 1e-4, 1e-5]),
    ("exponential", {"lr_gamma": 0.5}, [0.1, 0.1 * 0.75, 0.1 * 0.75**2, *(0.1 * 0.75**2 * 0.5**k for k in (1, 2, 3))]),
])
def test_a_changed_setting_takes_effect_while_training_and_on_resume(
        digits: Splits, fast: Params, tmp_path: Path, schedule: str, change: dict[str, Any],
        rates: list[float]) -> None:
    params = fast(**SGD, lr_schedule=schedule, lr_gamma=0.1 if schedule == "step" else 0.75)
    live = fit(params, digits, changes=lambda epoch, hp: change if epoch == 2 else {})
    assert [r["lr"] for r in live.history] == pytest.approx(rates)
    path = tmp_path / "trial-0.pt"
    fit({**params, "epochs": 2}, digits, checkpoint_path=path)
    resumed = fit({**params, **change}, digits, resume_from=path)
    assert [r["lr"] for r in resumed.history] == pytest.approx(rates[2:])


def test_a_new_floor_holds_a_running_cosine(digits: Splits, fast: Params) -> None:
    params = fast(**SGD, lr_schedule="cosine")
    run = fit(params, digits, changes=lambda epoch, hp: {"lr_min": 0.05} if epoch == 2 else {})
    assert all(r["lr"] >= 0.05 for r in run.history)
    assert run.history[-1]["lr"] < run.history[2]["lr"]


def test_a_plateau_takes_its_new_factor_and_patience() -> None:
    old = resolve_params({**SGD, "lr_schedule": "plateau", "lr_factor": 0.1, "lr_patience": 5}, "classification")
    model = build_model(old, (4,), 3)
    optimizer = build_optimizer(model, old)
    schedule = LrSchedule(optimizer, old, old["epochs"])
    optimizer._opt_called = True  # type: ignore[attr-defined]  # only the rates are read: no steps
    schedule.step(1.0)
    new = {**old, "lr_factor": 0.5, "lr_patience": 0}
    fresh = LrSchedule(optimizer, new, new["epochs"])
    restore_optimizer(optimizer, fresh, {"optimizer": optimizer.state_dict(), "scheduler": schedule.state_dict(),
                                         "params": old}, new)
    fresh.step(1.0)  # no better than the best: with patience 0 the rate halves at once
    assert current_lr(optimizer) == pytest.approx(0.05)
