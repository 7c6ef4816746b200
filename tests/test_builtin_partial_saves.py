"""A worker killed while it saves a checkpoint (a trial timeout, a memory limit, kill -9)
leaves the save's temporary file in the checkpoint folder: the next trial that keeps
checkpoints there removes it, and so does the end of a PBT search."""

from pathlib import Path

from nntune.builtin import load_task_splits, make_objective
from nntune.config import parse_config
from nntune.study import create_study
from nntune.trial import TrialState


def test_the_next_trial_removes_a_killed_trials_half_written_checkpoint(tmp_path: Path):
    cfg = parse_config({"study": "s", "storage": f"sqlite:///{tmp_path / 's.db'}",
                        "task": {"data": "iris"}, "fixed": {"epochs": 1, "units": 8, "layers": 1}}, "test")
    study = create_study("s", cfg.storage, direction="maximize")
    killed = study.storage.create_trial(study.id)
    study.storage.finish_trial(study.id, killed, TrialState.FAILED, error="timed out after 60s (trial timeout)")
    folder = tmp_path / "runs"
    folder.mkdir()
    partial = folder / f".trial-{killed}.pt.q7w8e9r0.tmp"
    partial.write_bytes(b"\x80\x02half a checkpoint")

    objective = make_objective(cfg, cfg.build_space(), load_task_splits(cfg), checkpoints=folder)
    study.optimize(objective, n_trials=1)

    assert study.get_trials()[-1].state == TrialState.COMPLETE
    assert not partial.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["trial-1.pt"]
