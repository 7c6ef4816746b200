"""The test line says which class binary precision, recall, f1 and specificity are of."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def _rare_disease_csv(path: Path) -> None:
    rng = np.random.default_rng(2)
    table = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    table["status"] = np.where(table.a > 1.2, "sick", "well")  # sick: about 12%, class 0 of (sick, well)
    table.to_csv(path, index=False)


def test_the_test_line_names_the_positive_class(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _rare_disease_csv(tmp_path / "sick.csv")
    config = {"task": {"data": {"kind": "csv", "path": "sick.csv", "target": "status"}},
              "search": {"trials": 1}, "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True}},
              "fixed": {"epochs": 1}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    common = ("--storage", f"sqlite:///{tmp_path / 's.db'}", "--report", str(tmp_path / "r.html"))
    code, out, err = call_cli("tune", "c.yaml", "--study", "s", *common)
    assert code == 0, err
    # class 1 of (sick, well) is the common one: a recall of 1 here says nothing about the sick
    assert "of class well against the rest" in " ".join((out + err).split())
    config["task"]["positive_class"] = 0
    (tmp_path / "c0.yaml").write_text(yaml.safe_dump(config))
    code, out, err = call_cli("tune", "c0.yaml", "--study", "s0", *common)
    assert code == 0, err
    assert "of class sick against the rest" in " ".join((out + err).split())
    code, out, err = call_cli("test", "c0.yaml", "--storage", f"sqlite:///{tmp_path / 's.db'}", "--study", "s0")
    assert code == 0 and re.search(r"test \(0\): .*of class sick against the rest", " ".join((out + err).split()))


def test_macro_averages_name_no_class(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = {"task": {"data": "iris"}, "search": {"trials": 1}, "fixed": {"epochs": 1}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    code, out, err = call_cli("tune", "c.yaml", "--study", "i", "--storage", f"sqlite:///{tmp_path / 's.db'}",
                              "--report", str(tmp_path / "r.html"))
    assert code == 0, err
    assert "against the rest" not in out + err
