"""What ``nntune.load_model``'s module takes in Python: a DataFrame of a table's rows, read as
``nntune predict`` reads a CSV, and inputs of the wrong shape refused in one line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import nntune
from nntune.exceptions import ConfigError
from nntune.model_file import save_model_file
from nntune.predict import predict_file
from nntune.train import fit, load_splits


@pytest.fixture(scope="module")
def houses(tmp_path_factory: pytest.TempPathFactory) -> tuple[nntune.model_file.TunedModel, pd.DataFrame]:
    """A regression on a CSV with a text column: (its model, the CSV's rows)."""
    folder = tmp_path_factory.mktemp("houses")
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"area": rng.uniform(50, 200, 120), "city": rng.choice(["a", "b", "c"], 120)})
    table["price"] = table.area * 3 + (table.city == "a") * 50
    table.to_csv(folder / "houses.csv", index=False)
    spec = {"kind": "csv", "path": str(folder / "houses.csv"), "target": "price"}
    splits = load_splits(spec, seed=0)
    params = {"epochs": 2, "units": 8, "layers": 1}
    model = fit(params, splits, metric="rmse", seed=0).model
    path = save_model_file(folder / "m.pt", model, params, splits, study="houses", trial=0, data=spec)
    return nntune.load_model(path), table


def test_a_dataframe_is_encoded_as_a_csv_is(houses, tmp_path) -> None:
    model, table = houses
    new = table.drop(columns="price").head(5)[["city", "area"]]  # reordered, no target
    new.to_csv(tmp_path / "new.csv", index=False)
    expected = predict_file(model, tmp_path / "new.csv")["prediction"].to_numpy()
    assert np.allclose(model.predict(new), expected, atol=1e-4)
    assert np.allclose(model(new).detach().numpy(), expected, atol=1e-4)
    with pytest.raises(ConfigError, match="the table gives no column 'city'"):
        model.predict(new.drop(columns="city"))


def test_inputs_of_the_wrong_shape_are_one_line(houses) -> None:
    model, _ = houses
    with pytest.raises(ValueError, match=r"inputs of shape \(3, 2\); the model takes a batch of shape \(N, 4\)") \
            as raised:
        model.predict(np.zeros((3, 2)))
    assert "\n" not in str(raised.value)
    assert model.predict(np.zeros((3, 4))).shape == (3,)  # a batch of the right shape
    assert model.predict(torch.zeros(4)).size == 1  # one input, unbatched


def test_one_row_of_a_dataframe_is_read_by_its_column_names(houses) -> None:
    model, table = houses
    row = table.iloc[3]  # a Series labelled by the columns, the target among them
    expected = model.predict(table.iloc[3:4])
    # torch said "could not determine the shape of object type 'Series'"
    assert np.allclose(model.predict(row), expected) and model.predict(row).shape == (1,)
    assert np.allclose(model(row[["city", "area"]]).detach().numpy(), expected, atol=1e-4)
    with pytest.raises(ConfigError, match="the table gives no column 'city'"):
        model.predict(row.drop("city"))
    # a Series of other labels is a list of numbers: one unbatched input, here of the wrong size
    with pytest.raises(ValueError, match=r"inputs of shape \(3,\); the model takes a batch of shape \(N, 4\)"):
        model.predict(pd.Series([1.0, 2.0, 3.0]))
