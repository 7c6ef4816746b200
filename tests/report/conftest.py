"""A small stored study with every kind of trial the report draws, built through the storage API."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from nntune.space import Beta, Choice, Float, Int, Space
from nntune.storage import InMemoryStorage, Storage
from nntune.trial import TrialState

SPACE = Space({"lr": Float(1e-5, 1.0, log=True), "units": Int(16, 256, log=True),
               "dropout": Float(0.0, 0.5), "optimizer": Choice(("sgd", "adam")), "beta1": Beta(0.5, 0.999)})


def records(params: dict[str, Any], epochs: int, rng: np.random.Generator, metric: str) -> list[dict[str, Any]]:
    """Per-epoch records: the closer lr is to 3e-3 the lower the final error."""
    final = 0.02 + 0.25 * abs(math.log10(params["lr"]) + 2.5) / 3
    out = []
    for e in range(1, epochs + 1):
        err = final + (0.9 - final) * math.exp(-0.6 * e) + 0.002 * rng.standard_normal()
        score = 1 - err if metric == "accuracy" else 10 * err
        out.append({"epoch": e, "train_loss": 2.3 * err * 0.9, "val_loss": 2.3 * err,
                    f"train_{metric}": score, f"val_{metric}": score, "value": score, "lr": params["lr"],
                    "layers": [{"name": n, "grad_norm": 0.3, "act_mean": 0.3, "act_std": 0.6,
                                "act_zero_frac": 0.5 if n != "head" else 0.0} for n in ("fc1", "head")]})
    return out


def build_study(storage: Storage, name: str = "demo", *, n: int = 30, epochs: int = 8, metric: str = "accuracy",
                with_records: bool = True, seed: int = 0, test_looks: int = 1) -> int:
    """``n`` trials: most complete, every 4th pruned at a rung, every 10th diverged, every
    7th a PBT child of an earlier trial; then ``test_looks`` test evaluations."""
    rng = np.random.default_rng(seed)
    direction = "maximize" if metric == "accuracy" else "minimize"
    sid = storage.create_study(name, direction, {"space": SPACE.to_json()} if with_records else {})
    best = (math.inf, 0)
    for i in range(n):
        params = SPACE.sample(rng)
        number = storage.create_trial(sid, params=params, distributions=dict(SPACE.params))
        recs = records(params, epochs, rng, metric)
        if i % 10 == 9:
            storage.set_trial_system_attr(sid, number, "diverged_epoch", 1)
            storage.finish_trial(sid, number, TrialState.DIVERGED, error="training loss is nan at epoch 1")
            continue
        stop = 2 if i % 4 == 3 else epochs
        if stop < epochs:
            storage.set_trial_system_attr(sid, number, "rung", 0)
        if i % 7 == 6:
            storage.set_trial_user_attr(sid, number, "pbt_parent", i - 1)
        for rec in recs[:stop]:
            storage.report(sid, number, rec["epoch"], rec["value"], rec if with_records else None)
        value = recs[stop - 1]["value"]
        storage.finish_trial(sid, number, TrialState.COMPLETE if stop == epochs else TrialState.PRUNED, value)
        key = -value if direction == "maximize" else value
        if stop == epochs and key < best[0]:
            best = (key, number)
    for _ in range(test_looks):
        if metric == "accuracy":
            storage.record_test_evaluation(sid, best[1], {"accuracy": 0.95, "f1": 0.94,
                                                         "confusion_matrix": [[9, 1], [0, 10]]})
        else:
            pred = rng.normal(size=50)
            storage.record_test_evaluation(sid, best[1], {"mae": 0.3, "residuals": {
                "predicted": pred.tolist(), "actual": (pred + 0.3 * rng.normal(size=50)).tolist()}})
    return sid


@pytest.fixture
def storage() -> InMemoryStorage:
    return InMemoryStorage()


@pytest.fixture
def make_study():
    """``make_study(storage, name, **options) -> study id`` (see :func:`build_study`)."""
    return build_study
