"""The embedded default config's direction, and an npz file's test labels, as a user who
tunes a regression or gives a test split of their own meets them."""

from __future__ import annotations

import numpy as np
import pytest

from nntune.config import parse_config, read_raw
from nntune.exceptions import ConfigError
from nntune.train.datasets_npz import read_npz
from nntune.config_overrides import set_value


def _default_with(**changes: object):
    raw = read_raw(None)
    for path, value in changes.items():
        set_value(raw, path.replace("__", "."), value)
    return parse_config(raw, "default")


def test_the_defaults_metric_changed_brings_its_own_direction() -> None:
    assert _default_with().task.directions == ["maximize"]  # accuracy, as the default writes it
    assert _default_with(task__metric="rmse").task.directions == ["minimize"]
    regression = {"task__data": "diabetes", "task__metric": "rmse"}  # digits cannot be scored by rmse
    assert _default_with(**regression, task__direction="minimize").task.directions == ["minimize"]
    with pytest.raises(ConfigError, match="leave direction out"):  # one the user set is still theirs
        _default_with(**regression, task__direction="maximize")


@pytest.mark.parametrize("key", ["y_test", "y_val"])
def test_a_split_class_that_y_lacks_is_refused_naming_the_split(tmp_path, key) -> None:
    rng = np.random.default_rng(0)
    own = {"x_test": rng.normal(size=(6, 3)), "y_test": np.arange(6) % 2,
           "x_val": rng.normal(size=(6, 3)), "y_val": np.arange(6) % 2}
    own[key] = np.array([0, 1, 0, 1, 0, 5])
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(30, 3)), y=np.arange(30) % 2, **own)
    with pytest.raises(ConfigError, match=rf"^task\.data\.{key}: holds the class 5 in d\.npz, which y does not have$"):
        read_npz({"kind": "npz", "path": str(tmp_path / "d.npz")}, {})
