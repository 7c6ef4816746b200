"""``nntune predict``: a model file's predictions for new rows, read as its training data was."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

import nntune
from nntune.exceptions import ConfigError
from nntune.predict import predict_file


@pytest.fixture(scope="module")
def houses(tmp_path_factory):
    """A CSV classification with a text column, tuned once: (folder, model file)."""
    folder = tmp_path_factory.mktemp("houses")
    rng = np.random.default_rng(0)
    n = 300
    size = rng.uniform(30, 200, n)
    area = rng.choice(["north", "south", "east"], n)
    price = np.where(size + np.where(area == "south", 60, 0) > 130, "high", "low")
    pd.DataFrame({"size": size, "area": area, "rooms": rng.integers(1, 6, n), "price": price}).to_csv(
        folder / "houses.csv", index=False)
    summary = nntune.tune({"study": "houses", "storage": f"sqlite:///{folder / 'h.db'}",
                           "task": {"data": {"kind": "csv", "path": str(folder / "houses.csv"), "target": "price"}},
                           "search": {"trials": 2, "sampler": "random"},
                           "space": {"lr": {"type": "float", "low": 3e-3, "high": 3e-2, "log": True}},
                           "fixed": {"epochs": 15, "optimizer": "adam"}},
                          report=False, model_file=folder / "houses.pt")
    return folder, summary.model_path


def test_a_csv_is_encoded_as_the_training_was(houses):
    folder, path = houses
    model = nntune.load_model(path)
    new = pd.DataFrame({"rooms": [2, 3, 4], "area": ["south", "west", "north"], "size": [100.0, 150.0, 40.0]})
    new.to_csv(folder / "new.csv", index=False)  # columns reordered, no target, an area never seen
    table = predict_file(model, folder / "new.csv")
    assert list(table.columns) == ["rooms", "area", "size", "prediction", "p_high", "p_low"]
    assert np.allclose(table[["p_high", "p_low"]].sum(axis=1), 1.0, atol=1e-5)
    assert set(table["prediction"]) <= {"high", "low"}
    train = predict_file(model, folder / "houses.csv")
    assert (train["prediction"] == train["price"]).mean() > 0.8  # it learned the rule


def test_predict_on_the_command_line(houses, call_cli, tmp_path):
    folder, path = houses
    code, out, err = call_cli("predict", str(path), str(folder / "houses.csv"), "-o", str(tmp_path / "p.json"))
    assert code == 0, err
    rows = json.loads((tmp_path / "p.json").read_text())
    assert len(rows) == 300 and {"prediction", "p_high", "p_low", "price"} <= set(rows[0])
    code, out, _ = call_cli("predict", str(path), str(folder / "houses.csv"))
    assert code == 0 and out.splitlines()[0].endswith("prediction,p_high,p_low")
    pd.DataFrame({"size": [1.0], "area": ["north"]}).to_csv(tmp_path / "short.csv", index=False)
    pd.DataFrame({"size": [1.0, None], "area": ["north"] * 2, "rooms": [1, 2]}).to_csv(tmp_path / "gap.csv", index=False)
    for args, says in (((str(tmp_path / "short.csv"),), "input: short.csv gives no column 'rooms' the model was trained on"),
                       ((str(tmp_path / "gap.csv"),), "input: gap.csv has missing values (rows [1])"),
                       ((str(tmp_path / "none.csv"),), "input: no such file"),
                       ((str(folder / "houses.csv"), "-o", "p.xlsx"), "--output: write .csv, .parquet or .json")):
        code, out, err = call_cli("predict", str(path), *args)
        assert code == 2 and err.startswith(f"nntune: error: {says}") and len(err.splitlines()) == 1, err


def test_a_value_that_is_not_a_number_and_a_file_without_rows_are_named_as_such(houses, call_cli, tmp_path):
    folder, path = houses
    (tmp_path / "text.csv").write_text("size,area,rooms\n100,north,2\n120,south,abc\n")
    (tmp_path / "header.csv").write_text("size,area,rooms\n")
    for name, says in (("text.csv", "input: text.csv: column 'rooms' holds 'abc' in row 1, not a number"),
                       ("header.csv", "input: header.csv has no rows to predict, only its header")):
        code, out, err = call_cli("predict", str(path), str(tmp_path / name), "-o", str(tmp_path / "p.csv"))
        assert code == 2 and err.startswith(f"nntune: error: {says}") and len(err.splitlines()) == 1, err
        assert not (tmp_path / "p.csv").exists()


def test_images_from_an_npz_file(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(60) % 2
    x = (rng.uniform(0, 60, (60, 8, 8)) + y[:, None, None] * 150).astype(np.uint8)
    np.savez(tmp_path / "img.npz", x=x, y=y)
    summary = nntune.tune({"study": "img", "storage": f"sqlite:///{tmp_path / 'i.db'}",
                           "task": {"data": {"kind": "npz", "path": str(tmp_path / "img.npz")}, "model": "cnn"},
                           "search": {"trials": 1}, "space": {}, "fixed": {"epochs": 3, "optimizer": "adam"}},
                          report=False, model_file=tmp_path / "img.pt")
    model = nntune.load_model(summary.model_path)
    np.savez(tmp_path / "new.npz", x=x[:10])
    table = predict_file(model, tmp_path / "new.npz")
    assert len(table) == 10 and (table["prediction"].astype(int) == y[:10]).mean() >= 0.8
    np.savez(tmp_path / "wrong.npz", x=np.zeros((2, 6, 6), dtype=np.uint8))
    with pytest.raises(ConfigError, match=r"inputs of shape \(1, 6, 6\), the model takes \(1, 8, 8\)"):
        predict_file(model, tmp_path / "wrong.npz")
    with pytest.raises(ConfigError, match="trained on images; give them as an .npz file"):
        predict_file(model, tmp_path / "img.pt")


def test_a_model_trained_with_missing_mean_fills_new_rows_as_its_training_did(tmp_path):
    rng = np.random.default_rng(1)
    n = 240
    size = rng.uniform(0, 10, n)
    frame = pd.DataFrame({"size": size, "noise": rng.normal(size=n), "label": np.where(size > 5, "big", "small")})
    frame.loc[frame.index % 5 == 0, "noise"] = np.nan
    frame.to_csv(tmp_path / "t.csv", index=False)
    summary = nntune.tune({"study": "gaps", "storage": f"sqlite:///{tmp_path / 'g.db'}",
                           "task": {"data": {"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "label",
                                             "missing": "mean"}},
                           "search": {"trials": 1}, "space": {}, "fixed": {"epochs": 10, "optimizer": "adam"}},
                          report=False, model_file=tmp_path / "g.pt")
    model = nntune.load_model(summary.model_path)
    fill = model.meta["missing"]["fill"]
    assert model.meta["missing"]["method"] == "mean" and len(fill) == 2
    new = pd.DataFrame({"size": [2.0, 8.0, 8.0], "noise": [None, None, fill[1]]})
    new.to_csv(tmp_path / "new.csv", index=False)
    table = predict_file(model, tmp_path / "new.csv")
    assert list(table["prediction"]) == ["small", "big", "big"]
    assert table.loc[1, "p_big"] == pytest.approx(table.loc[2, "p_big"], abs=1e-6)  # NaN took the training mean
    x = torch.tensor([[8.0, float("nan")], [8.0, fill[1]]])
    with torch.no_grad():
        out = model(x)
    assert torch.allclose(out[0], out[1]) and not torch.isnan(out).any()


def test_a_text_column_holding_numbers_or_nothing_is_still_text(houses, tmp_path):
    folder, path = houses
    model = nntune.load_model(path)
    unseen_areas = pd.DataFrame({"size": [100.0, 150.0], "area": ["west", "up"], "rooms": [2, 3]})
    unseen_areas.to_csv(tmp_path / "w.csv", index=False)
    unseen = predict_file(model, tmp_path / "w.csv")
    for name, area in (("numbers.csv", [7, 8]), ("empty.csv", [None, None])):
        pd.DataFrame({"size": [100.0, 150.0], "area": area, "rooms": [2, 3]}).to_csv(tmp_path / name, index=False)
        table = predict_file(model, tmp_path / name)  # categories never seen: all their columns 0
        assert np.allclose(table[["p_high", "p_low"]], unseen[["p_high", "p_low"]], atol=1e-6)


def test_an_infinite_value_is_refused_not_predicted(houses, call_cli, tmp_path):
    folder, path = houses
    (tmp_path / "inf.csv").write_text("size,area,rooms\n100,north,2\ninf,south,3\n")
    code, out, err = call_cli("predict", str(path), str(tmp_path / "inf.csv"), "-o", str(tmp_path / "p.csv"))
    assert code == 2 and err == "nntune: error: input: inf.csv: column 'size' holds an infinite value in row 1\n", err
    assert not (tmp_path / "p.csv").exists()


def test_images_resized_and_flattened_by_task_options_are_read_the_same_way(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(60) % 2
    x = (rng.uniform(0, 60, (60, 8, 8)) + y[:, None, None] * 150).astype(np.uint8)
    np.savez(tmp_path / "img.npz", x=x, y=y)
    summary = nntune.tune({"study": "flat", "storage": f"sqlite:///{tmp_path / 'f.db'}",
                           "task": {"data": {"kind": "npz", "path": str(tmp_path / "img.npz")}, "model": "mlp",
                                    "options": {"resize": 6, "flatten": True}},
                           "search": {"trials": 1}, "space": {}, "fixed": {"epochs": 5, "optimizer": "adam"}},
                          report=False, model_file=tmp_path / "flat.pt")
    model = nntune.load_model(summary.model_path)
    assert model.meta["input_shape"] == [36]
    np.savez(tmp_path / "new.npz", x=x[:10])
    table = predict_file(model, tmp_path / "new.npz")
    assert len(table) == 10 and (table["prediction"].astype(int) == y[:10]).mean() >= 0.8


def test_a_table_without_column_names_is_not_called_images(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    np.savez(tmp_path / "t.npz", x=x, y=(x[:, 0] > 0).astype(int))
    summary = nntune.tune({"study": "tab", "storage": f"sqlite:///{tmp_path / 't.db'}",
                           "task": {"data": {"kind": "npz", "path": str(tmp_path / "t.npz")}},
                           "search": {"trials": 1}, "space": {}, "fixed": {"epochs": 2}},
                          report=False, model_file=tmp_path / "t.pt")
    model = nntune.load_model(summary.model_path)
    pd.DataFrame(x[:3]).to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(ConfigError) as caught:
        predict_file(model, tmp_path / "rows.csv")
    assert str(caught.value) == ("input: the model was trained on a table without column names (no feature_names "
                                 "in its npz file); give them as an .npz file of x")


def test_a_csv_without_its_header_line_says_so(houses, call_cli, tmp_path):
    folder, path = houses
    (tmp_path / "bare.csv").write_text("100,north,2\n120,south,3\n")
    code, out, err = call_cli("predict", str(path), str(tmp_path / "bare.csv"))
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("nntune: error: input: bare.csv names none of the columns the model was trained on "
                          "(size, rooms, area_east, area_north, ...); its first line, read as the header, is "
                          "['100', 'north', '2']"), err


def test_npz_rows_that_cannot_be_predicted_name_the_file_and_the_rows(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    np.savez(tmp_path / "t.npz", x=x, y=(x[:, 0] > 0).astype(int))
    summary = nntune.tune({"study": "rows", "storage": f"sqlite:///{tmp_path / 't.db'}",
                           "task": {"data": {"kind": "npz", "path": str(tmp_path / "t.npz")}},
                           "search": {"trials": 1}, "space": {}, "fixed": {"epochs": 1}},
                          report=False, model_file=tmp_path / "t.pt")
    model = nntune.load_model(summary.model_path)
    gaps, wide = x[:4].copy(), x[:4].copy()
    gaps[2, 1], wide[3, 0] = np.nan, np.inf
    np.savez(tmp_path / "gaps.npz", x=gaps)
    np.savez(tmp_path / "wide.npz", x=wide)
    np.savez(tmp_path / "text.npz", x=x[:4].astype(str))
    np.savez(tmp_path / "none.npz", x=x[:0])
    for name, says in (("none.npz", "none.npz: array 'x' has no rows to predict"),
                       ("gaps.npz", "gaps.npz: array 'x' has missing values (rows [2]); the model was trained "
                                    "without filling them (task.data.missing: mean or median would)"),
                       ("wide.npz", "wide.npz: array 'x' has infinite values (rows [3])"),
                       ("text.npz", "text.npz: array 'x' must hold numbers, got <U")):
        with pytest.raises(ConfigError) as caught:
            predict_file(model, tmp_path / name)
        assert str(caught.value).startswith(f"input: {says}"), str(caught.value)


def test_an_earlier_prediction_can_be_predicted_again(houses, call_cli, tmp_path):
    folder, path = houses
    code, _, err = call_cli("predict", str(path), str(folder / "houses.csv"), "-o", str(tmp_path / "first.csv"))
    assert code == 0, err
    code, _, err = call_cli("predict", str(path), str(tmp_path / "first.csv"), "-o", str(tmp_path / "again.json"))
    assert code == 0, err
    rows = json.loads((tmp_path / "again.json").read_text())
    first = pd.read_csv(tmp_path / "first.csv")
    assert list(rows[0]) == list(first.columns) and [r["prediction"] for r in rows] == list(first["prediction"])


def test_predictions_are_not_written_over_the_rows_they_were_read_from(houses, call_cli, tmp_path):
    # -o rows.csv replaced the rows with their predictions: the input was gone once written.
    folder, path = houses
    rows = tmp_path / "rows.csv"
    rows.write_bytes((folder / "houses.csv").read_bytes())
    code, out, err = call_cli("predict", str(path), str(rows), "-o", str(rows))
    assert (code, out) == (2, "")
    assert err == f"nntune: error: --output: {rows} is the input file this command reads; writing there would destroy it\n"
    assert rows.read_bytes() == (folder / "houses.csv").read_bytes()


def test_one_row_is_one_prediction(houses, call_cli, tmp_path):
    folder, path = houses
    pd.DataFrame({"size": [100.0], "area": ["south"], "rooms": [2]}).to_csv(tmp_path / "one.csv", index=False)
    code, _, err = call_cli("predict", str(path), str(tmp_path / "one.csv"), "-o", str(tmp_path / "p.csv"))
    assert code == 0 and err == f"1 prediction written to {tmp_path / 'p.csv'}\n", err
