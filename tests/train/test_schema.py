import pytest

from nntune.config import HYPERPARAMETERS
from nntune.train.loop import LOOP_DEFAULTS
from nntune.train.models import MODEL_DEFAULTS
from nntune.train.optim import OPTIM_DEFAULTS
from nntune.train.schema import TRAINER_SCHEMA, hyperparameter_problem


def test_every_default_of_the_trainer_fits_its_own_rule():
    defaults = {**MODEL_DEFAULTS, **OPTIM_DEFAULTS, **LOOP_DEFAULTS}
    for name, value in defaults.items():
        assert hyperparameter_problem(name, value) is None, name
    assert set(TRAINER_SCHEMA) <= HYPERPARAMETERS


@pytest.mark.parametrize("name, value, words", [
    ("epochs", "zero", "integer >= 1"),
    ("epochs", 0, "integer >= 1"),
    ("epochs", 2.5, "integer"),
    ("epochs", True, "integer"),
    ("batch_size", "abc", "'full'"),
    ("dropout", 1.0, "[0, 1)"),
    ("lr", 0.0, "> 0"),
    ("lr", float("nan"), "number"),
    ("units", [64, 0], ">= 1"),
    ("kernel_size", [5, 0], ">= 1"),
    ("filters_growth", "double", "'auto'"),
    ("batchnorm", "yes", "true or false"),
    ("padding", "wide", "'same'"),
])
def test_values_the_trainer_rejects(name, value, words):
    problem = hyperparameter_problem(name, value)
    assert problem is not None and words in problem and repr(value) in problem


@pytest.mark.parametrize("name, value", [
    ("batch_size", "full"), ("units", [64, 32]), ("lr", None), ("padding", "valid"), ("padding", 1),
    ("lr_gamma", 1.0), ("rotation.degrees", "anything"), ("optimizer", "adam"),
    ("batch_size", "auto"), ("filters_growth", "auto"), ("kernel_size", [5, 3]), ("stride", [2, 1, 1]),
])
def test_values_the_trainer_takes(name, value):
    assert hyperparameter_problem(name, value) is None


def test_a_bound_that_only_keeps_zero_out_reads_as_greater_than_zero() -> None:
    # "must be a number >= 1e-300" told the user the table's own stand-in for "above zero".
    from nntune.train.schema import hyperparameter_problem

    assert hyperparameter_problem("filters_growth", 0) == "must be a number > 0 or 'auto', got 0"
    assert hyperparameter_problem("lr_factor", 0) == "must be a number in (0, 1), got 0"
    assert hyperparameter_problem("lr_gamma", 2) == "must be a number in (0, 1], got 2"


@pytest.mark.parametrize(("override", "says"), [
    ("fixed.patience=-1", "fixed.patience: must be an integer >= 0, got -1"),
    ("fixed.min_delta=-1", "fixed.min_delta: must be a number >= 0, got -1"),
    ("fixed.early_stopping=maybe", "fixed.early_stopping: must be true or false, got 'maybe'"),
    ("space.patience={type: int, low: -2, high: 3}", "space.patience.low: must be an integer >= 0, got -2"),
    ("space.min_delta={type: choice, values: [0.0, -0.1]}", "space.min_delta.values: must be a number >= 0"),
])
def test_nonsensical_early_stopping_in_a_config_exits_2_naming_the_field(call_cli, override, says) -> None:
    """The config refuses, before any trial, what ``fit`` would refuse (a negative patience
    stopped every run at its first epoch without improvement)."""
    code, _, err = call_cli("tune", "--set", "storage=memory", "--set", "search.trials=1",
                            "--set", "task.data=iris", "--set", override)
    assert code == 2 and err.startswith(f"nntune: error: {says}") and len(err.splitlines()) == 1, err
