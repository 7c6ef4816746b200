"""Lab ``coarse-to-fine``: the stages narrowing around the best region."""

from pathlib import Path

import pytest

from nntune.labs import LabResult, run_lab


@pytest.fixture(scope="module")
def seed_0(tmp_path_factory: pytest.TempPathFactory) -> tuple[LabResult, Path]:
    """The lab's quick run at seed 0 and its output folder: one run, read by every test here
    that looks at that run (it trains three stages of trials)."""
    out = tmp_path_factory.mktemp("coarse-to-fine")
    return run_lab("coarse-to-fine", out, seed=0, quick=True), out


def test_stages_narrow_around_the_best(seed_0):
    result, out = seed_0
    n = result.numbers
    stages = n["stages"]
    assert [s["stage"] for s in stages] == [0, 1, 2]
    assert stages[0]["narrowed_around"] == [] and len(stages[1]["narrowed_around"]) == n["top_k"]
    widths = n["decades_per_stage"]
    assert widths[0] == {"lr": 5.0, "weight_decay": 7.0}
    assert widths[-1]["lr"] < widths[0]["lr"] and widths[-1]["weight_decay"] < widths[0]["weight_decay"]
    last = stages[-1]["space"]["params"]["lr"]
    late = [t for t in n["trials"] if t["stage"] == 2]
    assert late and all(last["low"] <= t["lr"] <= last["high"] for t in late)
    mean = n["mean_val_accuracy_per_stage"]
    assert mean[-1] > mean[0]
    assert result.held and (out / "coarse-to-fine.png").is_file()


def test_a_stage_that_leaves_out_its_best_trials_fails_the_claim(monkeypatch):
    """The claim that each stage's ranges narrow around the best trials found so far is
    checked on the numbers: stages whose weight-decay range (still narrowing) leaves out
    trials they were narrowed around do not hold it."""
    from nntune.samplers import CoarseToFineSampler

    real = CoarseToFineSampler.stages_for

    def off_target(self, space, history, direction):
        stages = real(self, space, history, direction)
        for stage in stages[1:]:
            stage["space"]["params"]["weight_decay"].update(low=1e-8, high=1e-8 * (1 + 1e-9))
        return stages

    monkeypatch.setattr(CoarseToFineSampler, "stages_for", off_target)
    result = run_lab("coarse-to-fine", seed=0, quick=True)
    checks = result.numbers["checks"]
    assert checks["every stage's ranges hold the best trials it narrowed around"] is False
    assert not result.held


def test_every_check_can_fail_on_its_own(seed_0):
    """"The last stage holds the best trial" follows from the first check (the best so far is among
    the trials a stage narrows around) or holds by construction (a last-stage trial is drawn inside
    its ranges), so it is not counted as separate evidence."""
    result, _ = seed_0
    assert list(result.numbers["checks"]) == [
        "every stage's ranges hold the best trials it narrowed around",
        "every stage's ranges are no wider than the stage before's, and the last is narrower in both parameters",
        "the last stage's trials score better on average than the first's",
    ]
