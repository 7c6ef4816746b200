"""A PBT replacement that starts from its parent's snapshot (the parent no longer trains in
a stack) continues the parent's optimizer state and lr schedule, as a slice copy does: its
first epoch trains at its own rate scaled by the schedule's progress, not at the full rate of
a schedule begun again."""

import math

import pytest

from nntune.config import parse_config
from nntune.runner import prepare, run_tune

EPOCHS = 6


@pytest.mark.slow
def test_a_replacement_from_a_snapshot_goes_on_with_its_parents_schedule(tmp_path):
    # One member a stack: a parent has always left its stack when its replacement starts.
    cfg = parse_config({
        "study": "pop", "storage": "memory",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"executor": "population", "seed": 3, "trials": 8, "population": 1, "scheduler": "pbt",
                   "checkpoint_dir": str(tmp_path), "scheduler_options": {"population": 4, "ready_epochs": 2}},
        "space": {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True}},
        "fixed": {"epochs": EPOCHS, "batch_size": 128, "layers": 1, "units": 16, "optimizer": "momentum",
                  "lr_schedule": "cosine"}})
    summary = run_tune(prepare(cfg), evaluate_test=False)
    trials = summary.storage.get_trials(summary.storage.load_study("pop").id, with_metrics=True)
    children = [t for t in trials if "pbt_parent" in t.user_attrs]
    assert children and all(c.system_attrs["inherited_by"] == "snapshot" for c in children)
    for child in children:
        step = child.user_attrs["pbt_parent_step"]
        first = min(child.metrics, key=lambda r: r["epoch"])
        assert first["epoch"] == step + 1
        # Epoch step+1 of a cosine over the run's epochs: the rate after step of its steps.
        assert first["lr"] == pytest.approx(child.params["lr"] * (1 + math.cos(math.pi * step / EPOCHS)) / 2)
