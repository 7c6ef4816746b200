"""``nntune export`` of a study whose trials returned inf or -inf (a complete trial's value,
as Optuna stores it): csv and parquet keep the value, as ``trials_dataframe`` has it, where
an empty cell read back as NaN, no value at all; strict JSON has no inf, so it stays null."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

import nntune


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'i.db'}"
    study = nntune.create_study(study_name="i", storage=url)
    for value in (1.0, -math.inf, math.inf):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        study.tell(trial, value)
    return url


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_table_keeps_an_infinite_value(tmp_path, url, call_cli, suffix):
    path = tmp_path / f"rows{suffix}"
    code, _, err = call_cli("export", "--storage", url, "--study", "i", "-o", str(path))
    assert code == 0, err
    frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    assert frame["value"].tolist() == [1.0, -math.inf, math.inf]
    assert frame["value"].tolist() == nntune.load_study(study_name="i", storage=url).trials_dataframe()["value"].tolist()


def test_json_stays_strict(url, call_cli):
    code, out, err = call_cli("export", "--storage", url, "--study", "i", "--format", "json")
    assert code == 0, err
    assert [row["value"] for row in json.loads(out.splitlines()[0])] == [1.0, None, None]
