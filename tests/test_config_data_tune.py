"""``nntune tune`` keeps a digest of the rows its study was tuned on: ``nntune test`` or a
resumed ``tune`` that reads another file through the same relative path (run from another
folder) is refused in one line, the look not counted and no trial added."""

from __future__ import annotations

import numpy as np
import pandas as pd

import nntune


def _write(folder, flip: bool) -> None:
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=90), "b": rng.normal(size=90)})
    table["y"] = ((table.a + table.b > 0) != flip).astype(int)
    (folder / "data").mkdir(parents=True)
    table.to_csv(folder / "data" / "x.csv", index=False)


def test_test_and_resume_from_another_folder_are_refused(tmp_path, monkeypatch, call_cli):
    for name, flip in (("a", False), ("b", True)):
        _write(tmp_path / name, flip)
    url = f"sqlite:///{tmp_path / 's.db'}"
    (tmp_path / "cfg.yaml").write_text(
        "study: s\ntask: {data: {kind: csv, path: data/x.csv, target: y}}\n"
        "search: {trials: 1}\nfixed: {epochs: 1, units: 4, layers: 1}\n")
    monkeypatch.chdir(tmp_path / "a")
    code, _, err = call_cli("tune", str(tmp_path / "cfg.yaml"), "--storage", url)
    assert code == 0, err
    monkeypatch.chdir(tmp_path / "b")
    refusal = "nntune: error: task.data: the data read here is not the data study 's' was tuned on"
    code, out, err = call_cli("test", "--storage", url, "--study", "s")
    assert code == 2 and out == "" and err.startswith(refusal)
    code, _, err = call_cli("tune", str(tmp_path / "cfg.yaml"), "--storage", url, "--trials", "2")
    assert code == 2 and refusal in err
    study = nntune.load_study(study_name="s", storage=url)
    assert len(study.trials) == 1  # no trial trained on the other rows
    monkeypatch.chdir(tmp_path / "a")
    code, out, err = call_cli("test", "--storage", url, "--study", "s")
    assert code == 0 and "evaluated 2 times" in out, err  # the refused look was not counted
