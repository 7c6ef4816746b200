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
