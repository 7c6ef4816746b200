"""The data a study's config reads must be the data the study was tuned on: a relative
``task.data.path`` read from another folder (or a file changed since) is refused in one
line, not silently trained and scored on other rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nntune
from nntune.config import parse_config
from nntune.config_data import ATTR, check_same_data, data_digest, remember_data
from nntune.exceptions import ConfigError
from nntune.runner import prepare
from nntune.storage import get_storage


def _write(folder, flip: bool) -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=90), "b": rng.normal(size=90)})
    table["y"] = ((table.a + table.b > 0) != flip).astype(int)
    folder.mkdir()
    table.to_csv(folder / "x.csv", index=False)


def _config(url: str) -> dict:
    return {"study": "s", "storage": url, "task": {"data": {"kind": "csv", "path": "data/x.csv", "target": "y"}},
            "search": {"trials": 1}, "fixed": {"epochs": 1, "units": 4, "layers": 1}}


@pytest.fixture
def two_folders(tmp_path):
    """Two project folders, each with its own ``data/x.csv`` (the labels flipped in the second)."""
    for name, flip in (("a", False), ("b", True)):
        (tmp_path / name).mkdir()
        _write(tmp_path / name / "data", flip)
    return tmp_path / "a", tmp_path / "b"


def test_the_digest_tells_the_same_rows_from_other_ones(two_folders, monkeypatch, tmp_path):
    cfg = parse_config(_config(f"sqlite:///{tmp_path / 's.db'}"))
    digests = []
    for folder in (*two_folders, two_folders[0]):
        monkeypatch.chdir(folder)
        digests.append(data_digest(prepare(cfg).splits))
    assert digests[0] == digests[2] != digests[1]


def test_a_study_refuses_rows_other_than_those_it_kept(two_folders, monkeypatch, tmp_path):
    cfg = parse_config(_config(f"sqlite:///{tmp_path / 's.db'}"))
    storage = get_storage(cfg.storage)
    study_id = storage.create_study("s", "maximize")
    monkeypatch.chdir(two_folders[0])
    here = prepare(cfg).splits
    remember_data(storage, study_id, "s", here)
    remember_data(storage, study_id, "s", here)  # the same rows again: a resume
    monkeypatch.chdir(two_folders[1])
    there = prepare(cfg).splits
    with pytest.raises(ConfigError, match=r"^task\.data: the data read here is not the data study 's' was tuned on"):
        remember_data(storage, study_id, "s", there)
    attrs = storage.load_study("s").attrs
    check_same_data(attrs, "s", here)
    with pytest.raises(ConfigError, match=r"^task\.data: "):
        check_same_data(attrs, "s", there)
    check_same_data({k: v for k, v in attrs.items() if k != ATTR}, "s", there)  # an older study: no digest kept


def test_export_model_from_another_folder_is_refused(two_folders, monkeypatch, tmp_path, call_cli):
    url = f"sqlite:///{tmp_path / 's.db'}"
    monkeypatch.chdir(two_folders[0])
    nntune.tune(_config(url), report=False, model_file=False)
    storage = get_storage(url)
    rec = storage.load_study("s")
    if ATTR not in rec.attrs:  # kept by nntune tune itself where the runner does so
        remember_data(storage, rec.id, "s", prepare(parse_config(_config(url))).splits)
    monkeypatch.chdir(two_folders[1])
    code, out, err = call_cli("export-model", "--storage", url, "--study", "s", "-o", "m.pt")
    assert code == 2 and out == ""
    assert err.startswith("nntune: error: task.data: the data read here is not the data study 's' was tuned on")
    assert not (two_folders[1] / "m.pt").exists()
    monkeypatch.chdir(two_folders[0])
    code, _, err = call_cli("export-model", "--storage", url, "--study", "s", "-o", "m.pt")
    assert code == 0, err
