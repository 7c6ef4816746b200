"""KerasTuner names its objective after the split it is read on (``objective="val_accuracy"``);
nntune scores every metric on the validation split, and a config written the Keras way
is refused in one line that names nntune's metric."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError


def test_a_keras_objective_name_is_refused_with_the_metric_it_means() -> None:
    with pytest.raises(ConfigError) as err:
        nntune.tune(set={"task.metric": "val_accuracy"}, report=False, model_file=False)
    assert err.value.field == "task.metric"
    assert str(err.value).endswith("did you mean 'accuracy'?") and "\n" not in str(err.value)


@pytest.mark.parametrize("keras, ours", [
    ("val_acc", "accuracy"), ("val_sparse_categorical_accuracy", "accuracy"), ("val_f1_score", "f1"),
    ("val_mean_absolute_error", "mae"), ("val_root_mean_squared_error", "rmse"),
])
def test_keras_own_metric_names_are_refused_with_the_metric_they_mean(keras, ours) -> None:
    # Keras's history names (val_acc, val_mean_absolute_error) got no hint, or a wrong one
    # (val_f1_score: "did you mean 'f1_micro'?"); in a list of objectives none at all.
    for metric in (keras, [keras, "params"]):
        with pytest.raises(ConfigError) as err:
            nntune.tune(set={"task.metric": metric, "task.direction": None}, report=False, model_file=False)
        assert err.value.field == "task.metric"
        assert str(err.value).endswith(f"did you mean {ours!r}?") and "\n" not in str(err.value)
