"""Lab ``learning-rate``: the four loss curves, read by the diagnosis when it is installed."""

import pytest

from nntune.labs import learning_rate, run_lab


@pytest.mark.slow
def test_four_curves():
    result = run_lab("learning-rate", seed=0, quick=True)
    runs = result.numbers["runs"]
    tiny, good, large, far = runs["tiny"], runs["good"], runs["large"], runs["far too large"]
    assert tiny["still_falling_at_end"] and tiny["share_shed_since_first_epoch"] < 0.2
    assert tiny["final_train_loss"] > good["train_loss"][0]
    assert good["final_train_loss"] < min(tiny["final_train_loss"], large["final_train_loss"])
    assert large["final_train_loss"] > 3 * good["final_train_loss"]
    assert far["state"] == "diverged" and far["diverged_epoch"] is not None
    if learning_rate.find_diagnosis() is None:
        assert result.numbers["diagnosis"] is None
        assert "diagnosis not available" in result.numbers["remarks"]
    else:
        kinds = result.numbers["diagnosis"]
        assert "lr_too_small" in kinds["tiny"]
        assert "lr_too_large" in kinds["large"]
        assert "diverged" in kinds["far too large"]
        assert not set(kinds["good"]) & {"lr_too_small", "lr_too_large", "diverged"}
    assert result.held


def test_without_a_diagnosis_the_lab_says_so(monkeypatch):
    monkeypatch.setattr(learning_rate, "find_diagnosis", lambda: None)
    kinds, why = learning_rate.read_diagnosis({})
    assert kinds is None and why == "diagnosis not available"


def test_tiny_rate_progress_is_measured_from_its_own_first_epoch():
    # Ends above 0.8 * ln 10, yet fell from 3.0 to 1.9: over a third of the way, not "less than a fifth".
    assert learning_rate.shed_since_first([3.0, 2.6, 2.2, 1.9]) == pytest.approx(1 - 1.9 / 3.0)
    assert learning_rate.shed_since_first([3.05, 3.0, 2.8, 2.55]) < 0.2
    assert learning_rate.shed_since_first([2.0, 2.5]) == 0.0
    assert learning_rate.shed_since_first([2.0]) == 0.0
    assert learning_rate.shed_since_first([2.0, float("nan")]) == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, 8, 10])
def test_tiny_rate_reads_as_too_small_at_other_seeds(seed):
    # At 1e-5 the diagnosis read the tiny run at seed 8 as underfitting instead of a rate too
    # small. At seed 10 the network starts at a loss of 5.9: the tiny rate sheds 30% of it and
    # still ends above chance, slow however its share of the first epoch's loss is read.
    result = run_lab("learning-rate", seed=seed, quick=True)
    runs = result.numbers["runs"]
    tiny = runs["tiny"]
    assert tiny["still_falling_at_end"] and tiny["final_train_loss"] > runs["good"]["train_loss"][0]
    tiny_checks = {k: v for k, v in result.numbers["checks"].items() if "tiny" in k}
    assert tiny_checks and all(tiny_checks.values())
    if learning_rate.find_diagnosis() is not None:
        assert "lr_too_small" in result.numbers["diagnosis"]["tiny"]
        assert not set(result.numbers["diagnosis"]["good"]) & {"lr_too_small", "lr_too_large", "diverged"}
    assert result.numbers["runs"]["far too large"]["state"] == "diverged"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 5, 6])
def test_the_large_rate_reads_as_too_large_at_the_seeds_where_0_1_for_15_epochs_did_not(seed):
    # At 0.1 for 15 epochs the large run's validation wobble stayed under the diagnosis's 10%
    # and its training loss jumped under 25%: read as overfitting alone, and at seed 5 its
    # final loss was 3.3x the good rate's, at the edge of the 3x checked.
    result = run_lab("learning-rate", seed=seed, quick=True)
    assert result.held, [k for k, v in result.numbers["checks"].items() if not v]
    runs = result.numbers["runs"]
    assert runs["large"]["final_train_loss"] > 5 * runs["good"]["final_train_loss"]  # well clear of 3x
    if learning_rate.find_diagnosis() is not None:
        assert "lr_too_large" in result.numbers["diagnosis"]["large"]
