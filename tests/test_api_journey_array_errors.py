"""Arrays given to ``nntune.tune(data=...)`` that are refused are named as given."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_wine

import nntune
from nntune.exceptions import ConfigError


@pytest.mark.parametrize(("data", "message"), [
    (lambda x, y: (x, y[:-5]), "data.y: 173 targets for 178 inputs"),
    (lambda x, y: {"x": x, "y": y, "feature_names": ["a", "b"]}, "data: feature_names holds 2 names for 'x' of 13 columns"),
    (lambda x, y: (np.where(x > 100, np.nan, x), y), "data.x: has missing or infinite values; set task.data.missing "
                                                      "to drop, mean or median for missing ones"),
])
def test_refused_arrays_are_named_as_given(tmp_path, monkeypatch, data, message):
    monkeypatch.chdir(tmp_path)
    x, y = load_wine(return_X_y=True)
    with pytest.raises(ConfigError) as err:
        nntune.tune({"storage": f"sqlite:///{tmp_path / 'w.db'}"}, data=data(x, y))
    assert str(err.value) == message
    assert not any((tmp_path / "data").iterdir())
