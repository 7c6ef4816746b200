"""A CSV's numbers with a thousands mark ("1.234,5" as spreadsheets in decimal-comma
locales write them, "1,234.5" quoted in a comma file as Excel writes it): named in one line
with ``task.data.thousands`` to read them by, never refused as text of one value per row;
``nntune predict`` reads new rows the same way."""

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

AMOUNTS = np.round(np.random.default_rng(0).normal(size=60) * 5000, 2)


def _comma_decimals(value: float) -> str:
    """1234.5 as "1.234,50"."""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _write(path: Path, european: bool) -> dict:
    labels = np.where(AMOUNTS > 0, "up", "down")
    if european:
        rows = "".join(f"{_comma_decimals(v)};{i % 3};{y}\n" for i, (v, y) in enumerate(zip(AMOUNTS, labels)))
        path.write_text("amount;n;label\n" + rows)
        return {"kind": "csv", "path": str(path), "target": "label", "sep": ";"}
    rows = "".join(f'"{v:,.2f}",{i % 3},{y}\n' for i, (v, y) in enumerate(zip(AMOUNTS, labels)))
    path.write_text("amount,n,label\n" + rows)
    return {"kind": "csv", "path": str(path), "target": "label"}


def test_decimal_commas_with_thousands_marks_name_both_options(tmp_path: Path) -> None:
    """The hint for "10.204,60" named decimal alone, and with it set the column was refused
    as an identifier: both options are named, and with both the numbers are read."""
    spec = _write(tmp_path / "t.csv", european=True)
    with pytest.raises(ConfigError, match=r"^task\.data\.decimal: t\.csv: column 'amount' holds numbers written "
                                          r"with a decimal comma \('.*\..*,.*'\); set task\.data\.decimal: ',' "
                                          r"and task\.data\.thousands: '\.'$"):
        load_splits(spec)
    with pytest.raises(ConfigError, match=r"^task\.data\.thousands: t\.csv: column 'amount' holds numbers written "
                                          r"with a thousands mark .*; set task\.data\.thousands: '\.'$"):
        load_splits({**spec, "decimal": ","})
    splits = load_splits({**spec, "decimal": ",", "thousands": "."}, normalize="none")
    assert splits.info["feature_names"] == ["amount", "n"]
    read = np.concatenate([splits.x_train[:, 0].numpy(), splits.x_val[:, 0].numpy()]).astype(np.float64)
    assert np.isin(np.round(read, 2), AMOUNTS).all()


def test_quoted_thousands_in_a_comma_file_are_named_and_read(tmp_path: Path) -> None:
    spec = _write(tmp_path / "t.csv", european=False)
    with pytest.raises(ConfigError, match=r"^task\.data\.thousands: t\.csv: column 'amount' holds numbers written "
                                          r"with a thousands mark \('.*,.*'\); set task\.data\.thousands: ','$"):
        load_splits(spec)
    splits = load_splits({**spec, "thousands": ","}, normalize="none")
    read = np.concatenate([splits.x_train[:, 0].numpy(), splits.x_val[:, 0].numpy()]).astype(np.float64)
    assert np.isin(np.round(read, 2), AMOUNTS).all()


@pytest.mark.parametrize("given", [".", "", 1, ".."])
def test_a_thousands_mark_that_cannot_be_one_is_refused(tmp_path: Path, given: object) -> None:
    spec = _write(tmp_path / "t.csv", european=False)
    with pytest.raises(ConfigError, match=r"^task\.data\.thousands: give the one character between a number's "
                                          r"thousands \('\.' in 1\.234,5\) other than the decimal mark '\.', got "):
        load_splits({**spec, "thousands": given})


def test_predict_reads_new_rows_with_the_thousands_mark(tmp_path: Path) -> None:
    spec = {**_write(tmp_path / "t.csv", european=True), "decimal": ",", "thousands": "."}
    splits = load_splits(spec, seed=0)
    params = {"epochs": 1, "units": 4, "layers": 1}
    path = save_model_file(tmp_path / "m.pt", fit(params, splits, metric="accuracy", seed=0).model, params,
                           splits, study="s", trial=0, data=spec)
    model = nntune.load_model(path)
    (tmp_path / "new.csv").write_text("amount;n\n1.234,50;1\n-12.000,00;2\n")
    out = predict_file(model, tmp_path / "new.csv")
    assert list(out["amount"]) == [1234.5, -12000.0]
    assert list(out["prediction"]) == model.predict(pd.DataFrame({"amount": [1234.5, -12000.0], "n": [1, 2]}))
