"""``nntune.tune(data={..., "x_val": ..., "y_val": ...})``: a validation split of one's own,
as KerasTuner's ``validation_data=(x_val, y_val)``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

import nntune
from nntune.exceptions import ConfigError


def config(tmp_path: Path, study: str) -> dict:
    return {"study": study, "storage": f"sqlite:///{tmp_path / 'v.db'}", "search": {"trials": 2},
            "fixed": {"epochs": 1}, "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-1, "log": True}}}


def iris() -> tuple[np.ndarray, ...]:
    x, y = load_iris(return_X_y=True)
    x, x_val, y, y_val = train_test_split(x, y, test_size=30, stratify=y, random_state=0)
    return x, y, x_val, y_val


def test_the_given_validation_rows_score_every_trial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    x, y, x_val, y_val = iris()
    summary = nntune.tune(config(tmp_path, "own"), data={"x": x, "y": y, "x_val": x_val, "y_val": y_val},
                          report=False, model_file=False)
    assert summary.counts["complete"] == 2
    study = nntune.load_study(study_name="own", storage=f"sqlite:///{tmp_path / 'v.db'}")
    assert study.storage.load_study("own").attrs["n_val"] == 30
    (stored,) = (tmp_path / "data").iterdir()
    with np.load(stored) as arrays:
        np.testing.assert_array_equal(arrays["x_val"], x_val)
        np.testing.assert_array_equal(arrays["y_val"], y_val)


@pytest.mark.parametrize(("change", "message"), [
    ({"y_val": None}, "^data.y_val: needs both 'x_val' and 'y_val'$"),
    ({"x_val": np.zeros((30, 2))}, r"^data.x_val: shape \(30, 2\) does not match \(120, 4\)"),
    ({"y_val": np.full(30, 9)}, "^data.y_val: holds the class 9, which y does not have$"),
    ({"y_val": np.zeros(31, dtype=int)}, "^data.y_val: 31 targets for the 30 rows of 'x_val'$"),
])
def test_bad_validation_arrays_are_refused_and_leave_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             change: dict, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    x, y, x_val, y_val = iris()
    arrays = {"x": x, "y": y, "x_val": x_val, "y_val": y_val, **change}
    with pytest.raises(ConfigError, match=message):
        nntune.tune(config(tmp_path, "bad"), data={k: v for k, v in arrays.items() if v is not None},
                    report=False, model_file=False)
    assert not list((tmp_path / "data").iterdir())


def test_the_tuple_forms_keep_their_meaning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    x, y, x_val, y_val = iris()
    with pytest.raises(ConfigError, match=r"^data: give \(x, y\), \(x, y, x_test, y_test\) or a dict"):
        nntune.tune(config(tmp_path, "six"), data=(x, y, x_val, y_val, x_val, y_val))
    with pytest.raises(ConfigError, match="^data: unknown keys \\['validation_data'\\]; give x, y, x_test, y_test, "
                                          "x_val, y_val"):
        nntune.tune(config(tmp_path, "keras"), data={"x": x, "y": y, "validation_data": (x_val, y_val)})
