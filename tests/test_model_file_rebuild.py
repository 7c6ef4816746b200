"""``nntune export-model`` retrains the trial from the study's data file: when that file has
changed since the study ran, the rebuilt model would be another one. A study that kept the
digest of its rows refuses the export; one stored without it (an older version's) is
warned about rather than labelled with the trial's recorded validation value."""

from __future__ import annotations

import numpy as np
import pandas as pd

import nntune
from nntune.config_data import ATTR


def test_a_changed_data_file_is_warned_about(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"area": rng.uniform(50, 200, 120), "rooms": rng.integers(1, 6, 120)})
    table["price"] = table.area * 3 + table.rooms * 10
    table.to_csv("houses.csv", index=False)
    url = f"sqlite:///{tmp_path / 's.db'}"
    nntune.tune({"study": "houses", "storage": url,
                 "task": {"data": {"kind": "csv", "path": "houses.csv", "target": "price"}, "metric": "rmse",
                          "direction": "minimize"},
                 "search": {"trials": 1, "sampler": "random"},
                 "space": {"lr": {"type": "float", "low": 3e-3, "high": 3e-2, "log": True}},
                 "fixed": {"epochs": 2, "optimizer": "adam", "units": 8, "layers": 1}},
                report=False, model_file=False)
    code, _, err = call_cli("export-model", "--storage", url, "--study", "houses", "-o", "same.pt")
    assert code == 0 and "warning" not in err  # the same data: the same model, to rounding
    table.assign(price=table.price * 10).to_csv("houses.csv", index=False)
    code, _, err = call_cli("export-model", "--storage", url, "--study", "houses", "-o", "other.pt")
    assert code == 2 and err.startswith("nntune: error: task.data: the data read here is not the data study")
    storage = nntune.load_study(study_name="houses", storage=url).storage
    storage.set_study_attr(storage.load_study("houses").id, ATTR, None)  # as an older version stored it
    code, _, err = call_cli("export-model", "--storage", url, "--study", "houses", "-o", "other.pt")
    assert code == 0
    (line,) = [w for w in err.splitlines() if w.startswith("warning:")]
    assert "the rebuilt model of trial 0 scores validation rmse" in line and "changed since the study ran" in line
