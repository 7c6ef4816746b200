"""``lr_min`` floors the base rate; a backbone trained at ``backbone_lr_mult`` times the base
rate keeps that ratio down to its own floor, lr_min * backbone_lr_mult."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from nntune.train.basics import resolve_params
from nntune.train.loop import fit
from nntune.train.models import build_model
from nntune.train.optim import LrSchedule, build_optimizer
from nntune.train.splits import Splits

Params = Callable[..., dict[str, Any]]
BACKBONE = {"layers": 2, "units": 8, "optimizer": "sgd", "lr": 0.1, "lr_min": 0.01, "backbone_lr_mult": 0.01}


def rates_by_mult(optimizer: torch.optim.Optimizer) -> dict[float, float]:
    return {g["lr_mult"]: g["lr"] for g in optimizer.param_groups}


def test_cosine_ends_each_group_at_its_own_floor_and_records_the_head_s_rate(
        digits: Splits, fast: Params, tmp_path: Path) -> None:
    path = tmp_path / "trial-0.pt"
    run = fit(fast(**BACKBONE, epochs=4, lr_schedule="cosine"), digits, checkpoint_path=path)
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(4)]
    assert [r["lr"] for r in run.history] == pytest.approx(expected)
    groups = torch.load(path, weights_only=True)["optimizer"]["param_groups"]
    # After the last step: the head at lr_min, the backbone at 1/100 of it, not climbing
    # from its own 1e-3 towards lr_min.
    assert {g["lr_mult"]: g["lr"] for g in groups} == pytest.approx({1.0: 0.01, 0.01: 1e-4})


@pytest.mark.parametrize("kind", ["cosine", "plateau"])
def test_every_group_keeps_its_ratio_to_the_head(kind: str) -> None:
    hp = resolve_params({**BACKBONE, "lr_schedule": kind, "lr_patience": 0, "lr_factor": 0.5, "epochs": 8},
                        "classification")
    model = build_model(hp, (4,), 3)
    optimizer = build_optimizer(model, hp)
    schedule = LrSchedule(optimizer, hp, hp["epochs"])
    optimizer._opt_called = True  # type: ignore[attr-defined]  # only the rates are read: no steps
    for _ in range(8):
        schedule.step(1.0)  # a validation loss that never improves: the plateau halves the rate
        rates = rates_by_mult(optimizer)
        assert rates[0.01] == pytest.approx(0.01 * rates[1.0]) and rates[1.0] >= 0.01
    assert rates[1.0] == pytest.approx(0.01)
