"""A study's folder under ``search.checkpoint_dir``: its own name, shortened only where no
file system would take it (a 300-character study name babysits, runs PBT and keeps the
models of several executions)."""

import json
import os
from pathlib import Path

from nntune._files import SAFE_NAME_BYTES, folder_name
from nntune.config import parse_config
from nntune.panda import checkpoint_dir, open_babysit_study, queue_new, snapshots, train_queued
from nntune.storage import existing_storage
from nntune.studies import checkpoints_left
from nntune.trial import TrialState

LONG = "study-" + "x" * 294


def test_names_that_fit_keep_their_folder_exactly():
    for name in ("panda", "a/b c", "é" * 100, "s" * SAFE_NAME_BYTES):
        assert folder_name(name) == name


def test_a_name_too_long_gets_a_short_folder_of_its_own():
    short = folder_name(LONG)
    assert len(os.fsencode(short)) <= SAFE_NAME_BYTES and short.startswith("study-xxx")
    assert folder_name(LONG + "y") != short  # two long names that start alike: two folders


def test_a_study_with_a_long_name_is_babysat(tmp_path):
    cfg = parse_config({
        "study": LONG, "storage": f"sqlite:///{tmp_path / 'a.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "fixed": {"epochs": 2, "layers": 1, "units": 16, "batch_size": 128},
    })
    study = open_babysit_study(cfg)
    done = train_queued(study, cfg, queue_new(study, cfg))
    assert done.trial.state == TrialState.COMPLETE
    folder = checkpoint_dir(cfg, study)
    assert folder.parent == tmp_path / "runs" / folder_name(LONG) and snapshots(folder, 0)


def tune(call_cli, tmp_path: Path, *args: str) -> dict:
    tmp_path.mkdir()
    db = f"sqlite:///{tmp_path / 's.db'}"
    code, out, err = call_cli("tune", "--json", "--study", LONG, "--storage", db, "--set", "search.seed=1",
                              "--set", f"search.checkpoint_dir={tmp_path / 'runs'}", "--set", "fixed.epochs=2", *args)
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_pbt_and_kept_executions_run_under_a_long_study_name(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    summary = tune(call_cli, tmp_path / "pbt", "--scheduler", "pbt", "--trials", "4")
    assert summary["trials"]["complete"] == 4
    folder = tmp_path / "pbt" / "runs" / folder_name(LONG)
    assert any(folder.glob("trial-*.pt"))
    # Deleting the study names the folder its checkpoints stay in.
    rec = existing_storage(f"sqlite:///{tmp_path / 'pbt' / 's.db'}").load_study(LONG)
    assert checkpoints_left(rec) == [folder.resolve()]
    summary = tune(call_cli, tmp_path / "reps", "--trials", "2", "--set", "search.executions_per_trial=2")
    assert summary["trials"]["complete"] == 2
    assert any((tmp_path / "reps" / "runs" / folder_name(LONG)).iterdir())
