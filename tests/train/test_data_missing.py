"""A CSV with missing feature values: refused with the way out in one line, its rows
dropped before splitting, or filled with the training split's own mean or median, so that
neither validation nor the sealed test split tells anything to the fill."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.train import load_splits
from nntune.train.data import SplitDistributionWarning, split_indices


@pytest.fixture()
def gappy(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """120 rows, 3 classes; 'a' misses every 7th value, 'colour' (text) every 11th."""
    rng = np.random.default_rng(4)
    n = 120
    frame = pd.DataFrame({"a": rng.normal(5.0, 2.0, n), "b": rng.normal(size=n),
                          "colour": rng.choice(["red", "blue"], n), "kind": np.repeat(["x", "y", "z"], n // 3)})
    frame.loc[frame.index % 7 == 3, "a"] = np.nan
    frame.loc[frame.index % 11 == 5, "colour"] = np.nan
    path = tmp_path / "gappy.csv"
    frame.to_csv(path, index=False)
    return path, frame


def spec(path: Path, **extra: object) -> dict:
    return {"kind": "csv", "path": str(path), "target": "kind", **extra}


def test_missing_values_are_refused_by_default_and_the_line_says_the_way_out(gappy):
    path, frame = gappy
    with pytest.raises(ConfigError) as caught:
        load_splits(spec(path))
    assert caught.value.field == "task.data.path"
    assert str(caught.value.problem) == ("gappy.csv has missing values in ['a'] (17 of 120 rows); "
                                         "set task.data.missing to drop, mean or median")
    with pytest.raises(ConfigError) as caught:
        load_splits(spec(path, missing="avg"))
    assert caught.value.field == "task.data.missing" and "got 'avg'" in caught.value.problem
    with pytest.raises(ConfigError, match="applies to csv and npz data, not to image_folder data; it holds no "
                                          "missing value"):
        load_splits({"kind": "image_folder", "path": str(path.parent), "missing": "mean"})


def test_drop_removes_the_rows_before_splitting(gappy):
    path, frame = gappy
    s = load_splits(spec(path, missing="drop"))
    kept = int(frame["a"].notna().sum())
    assert s.info["n_train"] + s.info["n_val"] + s.info["n_test"] == kept == 103
    assert s.info["missing"] == {"method": "drop", "dropped_rows": 17}
    assert not torch.isnan(s.x_train).any() and not torch.isnan(s.x_val).any()
    everything = frame.copy()
    everything["a"] = everything["a"].fillna(0.0)
    everything.to_csv(path, index=False)
    assert load_splits(spec(path, missing="drop")).info["missing"] == {"method": "drop", "dropped_rows": 0}
    frame.assign(a=np.nan).to_csv(path, index=False)  # the column, not each row, is what misses
    with pytest.raises(ConfigError, match="^task.data.features: gappy.csv: column 'a' holds no value in any row"):
        load_splits(spec(path, missing="drop"))
    odd = np.arange(len(frame)) % 2 == 1
    frame.assign(a=frame["a"].where(odd), b=frame["b"].where(~odd)).to_csv(path, index=False)
    with pytest.raises(ConfigError, match="drop leaves no row of gappy.csv"):
        load_splits(spec(path, missing="drop"))


@pytest.mark.parametrize("method, stat", [("mean", np.nanmean), ("median", np.nanmedian)])
def test_the_fill_is_the_training_rows_own_statistic(gappy, method, stat):
    path, frame = gappy
    s = load_splits(spec(path, missing=method), seed=3)
    y = pd.factorize(frame["kind"], sort=True)[0]
    train, val, test, _ = split_indices(y, (0.6, 0.2, 0.2), 3, stratify=True)
    info = s.info["missing"]
    columns = s.info["feature_names"]
    assert info["method"] == method and columns == ["a", "b", "colour_blue", "colour_red"]
    a = frame["a"].to_numpy()
    assert info["fill"][0] == pytest.approx(stat(a[train]), rel=1e-6)
    assert info["filled_rows"] == {"train": int(np.isnan(a[train]).sum()), "val": int(np.isnan(a[val]).sum())}
    assert "test" not in info["filled_rows"]  # the sealed split is filled, never described
    # The filled entries hold the fill (normalized like the column), nowhere a NaN.
    norm = s.info["normalization"]
    filled = (info["fill"][0] - norm["shift"][0]) / norm["scale"][0]
    holes = np.isnan(a[train])
    assert torch.allclose(s.x_train[torch.from_numpy(holes), 0], torch.tensor(filled, dtype=torch.float32))
    assert not any(torch.isnan(x).any() for x in (s.x_train, s.x_val, s.test.open("test")[0]))

    # Changing the validation and test rows' values does not move the fill.
    shifted = frame.copy()
    shifted.loc[np.concatenate([val, test]), "a"] += 1000.0
    shifted.to_csv(path, index=False)
    with pytest.warns(SplitDistributionWarning):  # as it should: the splits now differ a lot
        again = load_splits(spec(path, missing=method), seed=3).info["missing"]
    assert again["fill"] == info["fill"]


def test_an_npz_tables_gaps_are_refused_dropped_or_filled_like_a_csvs(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(90, 3)).astype(np.float32)
    x[::9, 1] = np.nan  # 10 rows
    y = np.repeat([0, 1, 2], 30)
    np.savez(tmp_path / "t.npz", x=x, y=y)
    spec = {"kind": "npz", "path": str(tmp_path / "t.npz")}
    with pytest.raises(ConfigError, match="set task.data.missing to drop, mean or median"):
        load_splits(spec)
    dropped = load_splits({**spec, "missing": "drop"})
    assert dropped.info["missing"] == {"method": "drop", "dropped_rows": 10}
    assert dropped.info["n_train"] + dropped.info["n_val"] + dropped.info["n_test"] == 80
    filled = load_splits({**spec, "missing": "median"}, seed=1)
    train, _, _, _ = split_indices(y, (0.6, 0.2, 0.2), 1, stratify=True)
    assert filled.info["missing"]["fill"][1] == pytest.approx(float(np.nanmedian(x[train, 1])), rel=1e-6)
    x[0, 0] = np.inf
    np.savez(tmp_path / "t.npz", x=x, y=y)
    with pytest.raises(ConfigError, match="has missing or infinite values$"):
        load_splits({**spec, "missing": "mean"})
    images = rng.integers(0, 255, size=(20, 8, 8)).astype(np.float32)
    np.savez(tmp_path / "i.npz", x=images, y=np.arange(20) % 2)
    with pytest.raises(ConfigError, match="applies to tables; i.npz holds images"):
        load_splits({"kind": "npz", "path": str(tmp_path / "i.npz"), "missing": "mean"})


def test_a_gap_among_true_and_false_is_a_missing_number_not_text(tmp_path: Path) -> None:
    """pandas keeps True, False and an empty cell as objects: the gap is a missing value of a
    column of 1 and 0, as the column is without it, not a third one-hot state of a text column."""
    rng = np.random.default_rng(5)
    flags = rng.integers(0, 2, 40).astype(bool).astype(object)
    flags[3] = None
    pd.DataFrame({"flag": flags, "b": rng.normal(size=40), "kind": rng.choice(["x", "y"], 40)}).to_csv(
        tmp_path / "f.csv", index=False)
    with pytest.raises(ConfigError, match=r"f.csv has missing values in \['flag'\] \(1 of 40 rows\)"):
        load_splits(spec(tmp_path / "f.csv"))
    filled = load_splits(spec(tmp_path / "f.csv", missing="mean"))
    assert filled.info["feature_names"] == ["flag", "b"] and filled.info["text_columns"] == []
