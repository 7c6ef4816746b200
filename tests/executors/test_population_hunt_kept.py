"""The population executor keeps its best member's model by the rule the serial search and
the workers keep theirs (:func:`nntune.kept_model.improves`): finite, better in the study's
direction, a tie keeps the earlier trial, and only a member that met ``task.constraints``."""

from __future__ import annotations

import math

import pytest

import nntune
from nntune.config import parse_config
from nntune.kept_model import KeptModel, improves
from nntune.runner import prepare, run_tune
from nntune.trial import TrialState


@pytest.mark.parametrize("direction, values, kept", [
    ("maximize", [0.5, 0.7, 0.6], 1), ("minimize", [0.5, 0.7, 0.4], 2),
    ("maximize", [0.5, 0.5], 0), ("minimize", [0.5, 0.5], 0),  # a tie keeps the earlier trial
    ("maximize", [math.nan, math.inf, 0.1], 2), ("minimize", [-math.inf, 0.3, math.nan], 1),
])
def test_one_rule_picks_the_kept_value(direction, values, kept):
    best: tuple[float, int] | None = None
    keep = KeptModel(direction=direction)
    for number, value in enumerate(values):
        if improves(value, None if best is None else best[0], direction):
            best = (value, number)
        if keep.beats(value):
            keep.number, keep.value = number, value
    assert best is not None and best[1] == kept and keep.number == kept


def config(tmp_path, **task):
    return parse_config({
        "study": "kept", "storage": "memory",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy", **task},
        "search": {"executor": "population", "population": 2, "sampler": "random", "trials": 2, "seed": 3,
                   "checkpoint_dir": str(tmp_path / "ck")},
        "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-1, "log": True}},
        "fixed": {"epochs": 2, "batch_size": 128, "layers": 1, "units": 16}})


@pytest.mark.parametrize("bound, kept", [(10, False), (100_000, True)])
def test_a_member_that_broke_the_constraints_is_not_kept_as_the_best(tmp_path, bound, kept):
    # The digits MLP of 16 units has about 1200 parameters: over 10 every member breaks the
    # bound, and a trial that broke it is never the best one looked at (as in a solo search).
    summary = run_tune(prepare(config(tmp_path, constraints={"params": {"max": bound}})), evaluate_test=False)
    study = nntune.load_study(study_name="kept", storage=summary.storage)
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 2
    named = [t.number for t in complete if t.system_attrs.get("checkpoint")]
    files = list((tmp_path / "ck").rglob("*.pt"))
    if kept:
        best = max(complete, key=lambda t: (t.value, -t.number))
        assert named == [best.number] and len(files) == 1
    else:
        assert named == [] and files == []
