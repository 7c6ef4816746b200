"""``nntune predict`` on a CSV whose columns differ from the training's: a text column left
out is named as the user wrote it, and columns the model never used are left alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.model_file import save_model_file
from nntune.predict import predict_file
from nntune.train import fit, load_splits


def _model(folder: Path, table: pd.DataFrame, target: str, **options: str) -> Path:
    table.to_csv(folder / "train.csv", index=False)
    spec = {"kind": "csv", "path": str(folder / "train.csv"), "target": target, **options}
    splits = load_splits(spec, seed=0)
    params = {"epochs": 1, "units": 4, "layers": 1}
    model = fit(params, splits, metric="accuracy", seed=0).model
    return save_model_file(folder / "m.pt", model, params, splits, study="s", trial=0, data=spec)


@pytest.fixture(scope="module")
def colours(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """A classification on a CSV with a number column and a text column 'colour_name': its
    model file and its rows."""
    folder = tmp_path_factory.mktemp("colours")
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"size": rng.uniform(0, 1, 60), "colour_name": rng.choice(["red", "blue"], 60),
                          "label": rng.choice(["a", "b"], 60)})
    return _model(folder, table, "label"), table


def test_a_text_column_left_out_is_named_not_its_one_hot_column(colours, call_cli, tmp_path) -> None:
    path, table = colours
    model = nntune.load_model(path)
    new = table.drop(columns=["label", "colour_name"]).head(3)
    new.to_csv(tmp_path / "new.csv", index=False)
    with pytest.raises(ConfigError, match="new.csv gives no column 'colour_name' the model was trained on"):
        predict_file(model, tmp_path / "new.csv")
    with pytest.raises(ConfigError, match="the table gives no column 'colour_name'"):
        model.predict(new)
    code, _, err = call_cli("predict", str(path), str(tmp_path / "new.csv"))
    assert code == 2 and err.strip() == ("nntune: error: input: new.csv gives no column 'colour_name' the model "
                                         "was trained on"), err
    assert model.meta["text_columns"] == ["colour_name"]


def test_an_extra_column_named_like_one_hot_columns_is_left_alone(tmp_path) -> None:
    """Columns one-hot encoded before training (colour_red, colour_blue as numbers) and the
    original text column kept in the new file: the model never used it."""
    rng = np.random.default_rng(1)
    red = rng.integers(0, 2, 60)
    table = pd.DataFrame({"colour_red": red, "colour_blue": 1 - red, "label": rng.choice(["a", "b"], 60)})
    model = nntune.load_model(_model(tmp_path, table, "label"))
    new = table.drop(columns="label").head(4)
    new.to_csv(tmp_path / "plain.csv", index=False)
    new.assign(colour=np.where(new.colour_red == 1, "red", "blue")).to_csv(tmp_path / "extra.csv", index=False)
    plain, extra = predict_file(model, tmp_path / "plain.csv"), predict_file(model, tmp_path / "extra.csv")
    assert np.allclose(extra[["p_a", "p_b"]], plain[["p_a", "p_b"]])
    assert list(extra["colour"]) == list(np.where(new.colour_red == 1, "red", "blue"))
    assert model.meta["text_columns"] == []


def test_a_gap_among_true_and_false_is_a_missing_value_the_model_fills(tmp_path) -> None:
    """pandas reads True, False and an empty cell as objects, not as the booleans the model
    was trained on as numbers: the gap is filled with the training's mean, not refused as
    a column the file lacks."""
    rng = np.random.default_rng(2)
    table = pd.DataFrame({"flag": rng.integers(0, 2, 60).astype(bool), "size": rng.normal(size=60),
                          "label": rng.choice(["a", "b"], 60)})
    table.loc[::7, "size"] = np.nan
    model = nntune.load_model(_model(tmp_path, table, "label", missing="mean"))
    mean_flag = model.meta["missing"]["fill"][0]
    (tmp_path / "gap.csv").write_text("flag,size\nTrue,0.5\n,0.5\nFalse,0.5\n")
    pd.DataFrame({"flag": [mean_flag], "size": [0.5]}).to_csv(tmp_path / "mean.csv", index=False)
    gap, mean = predict_file(model, tmp_path / "gap.csv"), predict_file(model, tmp_path / "mean.csv")
    assert gap.loc[1, "p_a"] == pytest.approx(mean.loc[0, "p_a"], abs=1e-6)
    # a cell of spaces alone is a missing value, as training reads it, not a word in a column of numbers
    mean_size = model.meta["missing"]["fill"][1]
    (tmp_path / "blank.csv").write_text(f"flag,size\nTrue,   \nTrue,{mean_size!r}\n")
    blank = predict_file(model, tmp_path / "blank.csv")
    assert blank.loc[0, "p_a"] == pytest.approx(blank.loc[1, "p_a"], abs=1e-6)
    rows = "".join(f"{i % 5},{'ab'[i % 2]}\n" for i in range(29))
    (tmp_path / "train.csv").write_text(f"size,label\n{rows}  ,a\n")
    with pytest.raises(ConfigError, match=r"train.csv has missing values in \['size'\] \(1 of 30 rows\)"):
        load_splits({"kind": "csv", "path": str(tmp_path / "train.csv"), "target": "label"})


def test_a_model_file_that_does_not_list_its_text_columns_still_reads_them(colours, tmp_path) -> None:
    """Files written before text_columns was kept: a column is text when feature names
    start with its name and "_"."""
    import torch

    path, table = colours
    payload = torch.load(path, weights_only=True)
    del payload["text_columns"]
    torch.save(payload, tmp_path / "old.pt")
    new = table.drop(columns="label").head(4)
    new.to_csv(tmp_path / "new.csv", index=False)
    old, current = nntune.load_model(tmp_path / "old.pt"), nntune.load_model(path)
    assert old.meta["text_columns"] is None
    expected = predict_file(current, tmp_path / "new.csv")
    assert np.allclose(predict_file(old, tmp_path / "new.csv")[["p_a", "p_b"]], expected[["p_a", "p_b"]])


def test_text_values_differing_only_in_spaces_are_one_category_in_training_and_prediction(tmp_path) -> None:
    """"red", " red" (a space after the separator) and "red " are one category, one one-hot
    column, as "yes" and "yes " are one class; a value of spaces alone is none. New rows
    are read the same way."""
    rng = np.random.default_rng(3)
    colour = rng.choice(["red", "blue"], 60)
    spaced = [[c, f" {c}", f"{c} ", f"  {c}  "][i % 4] for i, c in enumerate(colour)]
    spaced[5] = "   "
    table = pd.DataFrame({"size": rng.uniform(0, 1, 60), "colour_name": spaced, "label": rng.choice(["a", "b"], 60)})
    model = nntune.load_model(_model(tmp_path, table, "label"))
    assert model.meta["feature_names"] == ["size", "colour_name_blue", "colour_name_red"]
    (tmp_path / "new.csv").write_text("size,colour_name\n0.5, red\n0.5,red\n0.5,blue \n0.5,blue\n0.5,  \n0.5,green\n")
    out = predict_file(model, tmp_path / "new.csv")
    assert out.loc[0, "p_a"] == out.loc[1, "p_a"] and out.loc[2, "p_a"] == out.loc[3, "p_a"]
    assert out.loc[0, "p_a"] != out.loc[2, "p_a"]
    assert out.loc[4, "p_a"] == out.loc[5, "p_a"]  # spaces alone: no value, as one never seen


def test_a_model_file_that_one_hot_encoded_spaced_values_apart_still_reads_them(colours, tmp_path) -> None:
    """A model file of an earlier nntune, trained with " red" as a category of its own,
    reads " red" in new rows as that category, as it was trained."""
    import torch

    path, table = colours
    payload = torch.load(path, weights_only=True)
    payload["feature_names"] = [" red".join(f.rsplit("red", 1)) if f.endswith("_red") else f
                                for f in payload["feature_names"]]
    torch.save(payload, tmp_path / "old.pt")
    old, current = nntune.load_model(tmp_path / "old.pt"), nntune.load_model(path)
    assert "colour_name_ red" in old.meta["feature_names"]
    (tmp_path / "new.csv").write_text("size,colour_name\n0.5, red\n")
    (tmp_path / "plain.csv").write_text("size,colour_name\n0.5,red\n")
    assert predict_file(old, tmp_path / "new.csv").loc[0, "p_a"] == \
        predict_file(current, tmp_path / "plain.csv").loc[0, "p_a"]
