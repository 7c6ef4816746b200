"""An infinite target, in a CSV's target column or an npz file's ``y``, is refused in one
line whatever the task: no class is infinite, and no loss reaches it. It is refused before
the task is told from the values, so no numpy warning precedes the line."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from nntune.exceptions import ConfigError
from nntune.train import load_splits

LABELS = [float(i % 2) for i in range(39)] + [float("inf")]


def _refused(spec: dict) -> ConfigError:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "invalid value encountered in remainder" came first
        with pytest.raises(ConfigError) as caught:
            load_splits(spec)
    return caught.value


@pytest.mark.parametrize("task", [None, "classification"])
def test_a_csv_target_with_an_infinite_value(tmp_path: Path, task: str | None) -> None:
    (tmp_path / "t.csv").write_text("a,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(LABELS)))
    spec = {"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y", **({"task": task} if task else {})}
    assert str(_refused(spec)) == "task.data.target: target 'y' of t.csv has infinite values"


@pytest.mark.parametrize("task", [None, "classification"])
def test_an_npz_target_with_an_infinite_value(tmp_path: Path, task: str | None) -> None:
    np.savez(tmp_path / "d.npz", x=np.arange(80.0).reshape(40, 2), y=np.array(LABELS))
    spec = {"kind": "npz", "path": str(tmp_path / "d.npz"), **({"task": task} if task else {})}
    assert str(_refused(spec)) == "task.data.y: 'y' in d.npz has infinite targets"


def test_an_infinite_test_label_is_named_by_its_array(tmp_path: Path) -> None:
    x = np.arange(80.0).reshape(40, 2)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(40) % 2, x_test=x[:4], y_test=np.array([0.0, 1.0, 0.0, np.inf]))
    assert str(_refused({"kind": "npz", "path": str(tmp_path / "d.npz")})) == (
        "task.data.y_test: 'y_test' in d.npz has infinite targets")
