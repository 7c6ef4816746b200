"""A fork's change of a parameter its parent left at the trainer's default records that
default as the old value (dropout 0.0 -> 0.2), as a change taken after a trained epoch does."""

from pathlib import Path

from nntune.config import parse_config
from nntune.panda import open_babysit_study, queue_fork, queue_new, train_queued


def test_a_forks_change_of_a_default_parameter_records_the_default_as_old(tmp_path: Path):
    cfg = parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "fixed": {"epochs": 2, "layers": 1, "units": 16, "batch_size": 128, "lr": 0.01},
    })
    study = open_babysit_study(cfg)
    parent = train_queued(study, cfg, queue_new(study, cfg)).trial
    fork = train_queued(study, cfg, queue_fork(study, cfg, parent.number, 1, {"dropout": 0.2})).trial
    assert fork.state.value == "complete"
    [change] = study.storage.get_param_changes(study.id, fork.number)
    assert (change.param, change.epoch, change.old, change.new) == ("dropout", 1, 0.0, 0.2)
