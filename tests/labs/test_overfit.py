"""Lab ``overfit``: 7-layer MLP on 300 samples, train vs validation accuracy."""

import pytest

from nntune.labs import run_lab


@pytest.mark.slow
def test_regularization_narrows_the_gap():
    result = run_lab("overfit", seed=0, quick=True)
    n = result.numbers
    assert n["n_train"] == 300
    gaps = n["gap_last_10_epochs"]
    assert gaps["no regularization"] > 0.15
    assert gaps["weight decay 0.1"] < gaps["no regularization"]
    assert gaps["dropout 0.15"] < gaps["no regularization"]
    assert n["final_train_accuracy"]["no regularization"] > 0.95
    assert result.held


def test_title_and_numbers_count_layers_the_same_way():
    from nntune.labs.regularization import LABS, OVERFIT_DEPTH, OVERFIT_NET

    hidden = OVERFIT_NET["layers"]
    assert OVERFIT_DEPTH == f"{hidden + 1}-layer ({hidden} hidden + output)"
    lab = next(lab for lab in LABS if lab.name == "overfit")
    assert OVERFIT_DEPTH in lab.description and f"{hidden} hidden" in lab.text


def test_dropout_scaling_matches_the_notes_test_time_rule():
    # The notes multiply every unit by 1 - p at test time; torch divides the kept ones by
    # 1 - p while training. The lab measures that both give the same expected output.
    from nntune.labs.regularization import LABS, dropout_scaling

    d = dropout_scaling(0.15, seed=0)
    assert d["test_units_dropped"] == 0.0 and d["test_output"] == 1.0
    assert d["kept_scale_in_training"] == pytest.approx(1 / 0.85)
    assert d["kept_share"] == pytest.approx(0.85, abs=0.01)
    assert d["mean_training_output"] == pytest.approx(d["test_output"], abs=0.02)
    lab = next(lab for lab in LABS if lab.name == "overfit")
    assert "1 - p" in lab.text and "dropout_scaling" in lab.text
