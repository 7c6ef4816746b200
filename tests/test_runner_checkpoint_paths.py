"""The checkpoint files a search names in its trials' records are absolute paths: a
relative ``search.checkpoint_dir`` stored relative paths under the serial executor (PBT's
saves, the best model kept), and export-model run from another folder found the files
gone and retrained the configuration, warning that PBT's copied weights were lost."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import nntune
from nntune.config import DEFAULT_YAML


@pytest.mark.slow
def test_pbt_checkpoints_are_recorded_absolute_and_export_from_elsewhere(call_cli, tmp_path, monkeypatch):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir(), elsewhere.mkdir()
    raw = yaml.safe_load(DEFAULT_YAML)
    raw["storage"] = f"sqlite:///{tmp_path / 'pbt.db'}"
    raw["search"].update(trials=4, checkpoint_dir="runs", scheduler="pbt",
                         scheduler_options={"population": 2, "ready_epochs": 1})
    raw["fixed"]["epochs"], raw["task"]["train_size"] = 3, 0.3
    (work / "c.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    monkeypatch.chdir(work)
    code, _, err = call_cli("tune", "c.yaml")
    assert code == 0, err

    study = nntune.load_study("digits-mlp", raw["storage"])
    recorded = [t.system_attrs["checkpoint"] for t in study.trials if t.system_attrs.get("checkpoint")]
    assert recorded, "no trial names a checkpoint"
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in recorded), recorded

    monkeypatch.chdir(elsewhere)
    code, out, err = call_cli("export-model", "--storage", raw["storage"], "--study", "digits-mlp", "-o", "m.pt")
    assert code == 0, err
    assert "gone" not in err and "retrained" not in err, err
    assert (elsewhere / "m.pt").is_file()
