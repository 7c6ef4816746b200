"""What babysitting refuses, with one line naming the field and nothing written: a study
trained on another task, a trial that does not exist."""

from pathlib import Path
from typing import Any

import pytest

from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.panda import open_babysit_study, queue_fork, queue_new, train_queued


def config(tmp_path: Path, task: dict[str, Any] | None = None, **fixed: Any):
    return parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy", **(task or {})},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "fixed": {"epochs": 2, "layers": 1, "units": 16, "batch_size": 128, "lr": 0.01, **fixed},
    })


def refused(code: int, err: str, message: str) -> bool:
    return code == 2 and len(err.strip().splitlines()) == 1 and err.startswith(f"nntune: error: {message}")


def test_a_study_is_babysat_again_only_on_its_own_task(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    queue_new(study, cfg)
    open_babysit_study(config(tmp_path, lr=0.1))  # another configuration of the same task: welcome
    for task, field in (({"metric": "f1_macro"}, "task.metric"), ({"train_size": 0.5}, "task.train_size")):
        with pytest.raises(ConfigError, match=f"^{field}: .*babysit another study"):
            open_babysit_study(config(tmp_path, task))
    stored = study.storage.load_study("panda").attrs
    assert stored["metric"] == "accuracy" and stored["babysit"]["config"]["task"]["metric"] == "accuracy"


def test_babysit_refuses_to_relabel_a_tuned_study(tmp_path, call_cli):
    url = f"sqlite:///{tmp_path / 't.db'}"
    (tmp_path / "t.yaml").write_text(
        f"study: t\nstorage: {url}\ntask: {{data: digits, model: mlp, metric: accuracy}}\n"
        "search: {trials: 1, seed: 0}\nspace: {lr: {type: float, low: 1.0e-3, high: 1.0e-1, log: true}}\n"
        "fixed: {epochs: 1, layers: 1, units: 16}\n")
    code, _, err = call_cli("tune", str(tmp_path / "t.yaml"))
    assert code == 0, err
    code, _, err = call_cli("babysit", "--set", "epochs=1", "--set", "task.metric=f1_macro", "--study", "t",
                            "--storage", url)
    assert refused(code, err, "task.metric: 'f1_macro' here, but study 't' measures 'accuracy'"), err
    code, out, err = call_cli("show", "--study", "t", "--storage", url)
    assert code == 0 and "accuracy" in out and "f1_macro" not in out


def test_an_unknown_trial_is_named_as_such(tmp_path, call_cli):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    with pytest.raises(ConfigError, match=r"^trial: no trial 7 in study 'panda'$"):
        queue_fork(study, cfg, 7, 1)
    code, out, err = call_cli("trial", "changes", "--study", "panda", "--trial", "7", "--storage", cfg.storage)
    assert refused(code, err, "trial: no trial 7 in study 'panda'") and out == "", err
    code, _, err = call_cli("trial", "fork", "--study", "panda", "--trial", "7", "--from-epoch", "1",
                            "--storage", cfg.storage)
    assert refused(code, err, "trial: no trial 7 in study 'panda'"), err
    assert len(study.get_trials()) == 1


def test_a_deleted_studys_checkpoints_do_not_push_out_the_new_ones(tmp_path):
    from nntune.panda import checkpoint_dir
    from nntune.panda_snapshots import snapshots

    cfg = config(tmp_path, epochs=4)
    old = open_babysit_study(cfg)
    train_queued(old, cfg, queue_new(old, cfg))
    old.storage.delete_study("panda")  # its checkpoints stay on disk
    again = config(tmp_path).model_copy(update={"checkpoints": cfg.checkpoints.model_copy(
        update={"keep_last": 2, "keep_best": False})})
    study = open_babysit_study(again)
    train_queued(study, again, queue_new(study, again))  # trial 0 again: epochs 1 and 2
    assert {1, 2} <= set(snapshots(checkpoint_dir(again, study), 0))
    with pytest.raises(ConfigError, match=r"no checkpoint of trial 0 at epoch 3 in .*runs.panda.\w+ \(kept: 1, 2\)"):
        queue_fork(study, again, 0, 3)
    assert queue_fork(study, again, 0, 2, {"epochs": 3}) == 1


def test_retention_keeps_the_checkpoint_a_queued_fork_starts_from(tmp_path):
    from nntune.panda_snapshots import snapshots_to_drop
    from nntune.trial import TrialState

    cfg = config(tmp_path, epochs=3).model_copy(update={"checkpoints": config(tmp_path).checkpoints.model_copy(
        update={"keep_last": 1, "keep_best": False})})
    study = open_babysit_study(cfg)
    forks = []
    # Queued from another terminal (or the dashboard) while the parent trains on.
    train_queued(study, cfg, queue_new(study, cfg),
                 on_epoch=lambda t, e, r: e == 1 and forks.append(queue_fork(study, cfg, 0, 1, {"lr": 0.001})))
    fork = train_queued(study, cfg, forks[0]).trial
    assert fork.state == TrialState.COMPLETE, fork.error
    assert snapshots_to_drop({1: 1, 2: 1, 3: 1}, {}, "maximize", cfg.checkpoints, needed={1}) == [2]


def test_a_fork_or_resume_whose_data_cannot_be_read_queues_nothing(tmp_path, call_cli):
    (tmp_path / "d.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(60)))
    cfg = config(tmp_path, {"data": {"kind": "csv", "path": str(tmp_path / "d.csv"), "target": "y"}}, epochs=4)
    study = open_babysit_study(cfg)
    stopped = train_queued(study, cfg, queue_new(study, cfg), on_epoch=lambda t, e, r: study.stop_trial(t.number))
    (tmp_path / "d.csv").rename(tmp_path / "moved.csv")
    for args in (("trial", "fork", "--from-epoch", "1"), ("babysit", "--resume")):
        code, _, err = call_cli(*args, "--study", "panda", "--trial", str(stopped.trial.number),
                                "--storage", cfg.storage)
        assert refused(code, err, "task.data.path: file not found"), err
    assert [t.state.value for t in study.get_trials()] == ["pruned"]


def test_a_queued_fork_whose_checkpoint_is_gone_is_refused_and_stays_queued(tmp_path, call_cli):
    from nntune.control import fork_trial
    from nntune.panda import checkpoint_dir

    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    fork = fork_trial(study.storage, study.id, "panda", 0, 1, {"lr": 0.001})  # as the dashboard queues it
    (checkpoint_dir(cfg, study) / "trial-0-epoch-1.pt").unlink()
    code, _, err = call_cli("babysit", "--resume", "--study", "panda", "--trial", str(fork), "--storage", cfg.storage)
    assert refused(code, err, "trial: trial 1 starts from trial 0's checkpoint at epoch 1, which is not kept"), err
    assert study.storage.get_trial(study.id, fork).state.value == "waiting"


def test_a_change_named_twice_in_one_command_is_refused(tmp_path, call_cli):
    cfg = config(tmp_path, epochs=3)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)  # waiting: it may still change
    where = ("--study", "panda", "--trial", str(number), "--storage", cfg.storage)
    # lr=0.02 would be dropped without a word, as the dashboard's controls refuse it.
    code, out, err = call_cli("trial", "set", *where, "lr=0.02", "lr=0.03")
    assert refused(code, err, "lr: given more than once"), err
    assert out == "" and study.storage.get_param_changes(study.id, number) == []
    train_queued(study, cfg, number)
    code, out, err = call_cli("trial", "fork", *where, "--from-epoch", "1", "--set", "lr=0.02", "--set", "lr=0.03")
    assert refused(code, err, "lr: given more than once"), err
    assert len(study.storage.get_trials(study.id)) == 1  # no fork queued


def test_a_name_without_a_value_is_refused_naming_it(tmp_path, call_cli):
    # Read as YAML, nothing is null: babysit said lr None was outside the space's range.
    code, out, err = call_cli("babysit", "--set", "lr=", "--study", "b", "--storage", f"sqlite:///{tmp_path / 'b.db'}")
    assert refused(code, err, "lr: no value after '=' in 'lr='; give NAME=VALUE"), err
    assert out == "" and not (tmp_path / "b.db").exists()
