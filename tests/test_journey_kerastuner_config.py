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
