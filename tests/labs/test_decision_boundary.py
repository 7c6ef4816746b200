"""Lab ``decision-boundary``: 0, 1 and 4 hidden layers on two moons."""

import pytest

from nntune.labs import run_lab
from nntune.labs.capacity import grid_probabilities, moon_splits


@pytest.mark.slow
def test_hidden_layers_bend_the_boundary(tmp_path):
    result = run_lab("decision-boundary", tmp_path, seed=0, quick=True)
    val, train = result.numbers["val_accuracy"], result.numbers["train_accuracy"]
    assert val["1 hidden"] >= val["0 hidden"] + 0.05
    assert val["0 hidden"] < 0.92  # a straight line cannot separate the moons
    assert val["4 hidden"] >= val["0 hidden"] + 0.05
    assert train["1 hidden"] > train["0 hidden"]
    assert abs(val["4 hidden"] - val["1 hidden"]) <= 0.03
    assert result.held
    assert [p.name for p in result.figures] == ["decision-boundary.png"]


def test_moons_are_standardized_on_the_training_part():
    splits = moon_splits(0, n=100)
    assert len(splits.y_train) == 60 and len(splits.y_val) == 20 and len(splits.test) == 20
    assert abs(float(splits.x_train.mean())) < 1e-5 and abs(float(splits.x_train.std(correction=0)) - 1) < 1e-5


def test_a_linear_model_draws_a_straight_boundary():
    import torch

    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))  # class 1 where x < 0
        model.bias.zero_()
    gx, _, prob = grid_probabilities(model, 2.0)
    assert ((prob > 0.5) == (gx < 0)).mean() > 0.99
