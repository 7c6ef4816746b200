"""``fit`` refuses a hyperparameter name it would leave unused, as the config does."""

from __future__ import annotations

import pytest

from nntune.exceptions import ConfigError
from nntune.train import fit, load_splits


@pytest.fixture(scope="module")
def splits():
    return load_splits("iris")


@pytest.mark.parametrize(("name", "hint"), [("optimiser", "optimizer"), ("learning_rate", "lr"), ("n_layers", "layers")])
def test_a_misspelt_or_foreign_name_is_refused_with_the_trainers_name(splits, name, hint):
    with pytest.raises(ConfigError, match=f"^{name}: unknown hyperparameter; did you mean '{hint}'\\?$"):
        fit({"epochs": 1, name: 1}, splits)


def test_trainer_and_augmentation_names_train(splits):
    result = fit({"epochs": 1, "optimizer": "adam", "lr": 1e-2, "rotation.degrees": 5}, splits)
    assert result.epochs == 1


def test_fit_stack_refuses_them_too_before_any_stack_trains(splits):
    from nntune.train.stack_run import fit_stack

    with pytest.raises(ConfigError, match="^optimiser: unknown hyperparameter; did you mean 'optimizer'"):
        fit_stack([{"epochs": 1}, {"epochs": 1, "optimiser": "adam"}], splits, seeds=[0, 1])
