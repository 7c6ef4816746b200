"""Babysitting one model: forks from an epoch, resumes, stops, checkpoint retention."""

import os
from pathlib import Path

import pytest

from nntune.config import CheckpointsConfig, parse_config
from nntune.exceptions import ConfigError
from nntune.panda import (
    checkpoint_dir,
    load_babysit_study,
    open_babysit_study,
    queue_fork,
    queue_new,
    queue_resume,
    train_queued,
)
from nntune.panda_snapshots import snapshots, snapshots_to_drop
from nntune.trial import TrialState

LOSSES = ("train_loss", "val_loss", "val_accuracy", "lr", "iterations")


def config(tmp_path: Path, **checkpoints):
    return parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "checkpoints": checkpoints,
        "fixed": {"epochs": 4, "layers": 1, "units": 16, "batch_size": 128, "dropout": 0.1, "lr": 0.01},
    })


def curve(trial):
    return {r["step"]: {k: r[k] for k in LOSSES} for r in trial.metrics}


def test_a_fork_continues_its_parent_exactly_and_takes_its_change(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    parent = train_queued(study, cfg, queue_new(study, cfg)).trial
    assert parent.state == TrialState.COMPLETE and sorted(snapshots(checkpoint_dir(cfg, study), 0)) == [1, 2, 3, 4]
    assert parent.params["lr"] == 0.01

    assert queue_fork(study, cfg, 0, 2) == 1
    same = train_queued(study, cfg, 1)
    full_parent, full_same = (study.storage.get_trial(study.id, n) for n in (0, 1))
    # Up to the fork the curve is the parent's; the first epoch after it without changes
    # equals the parent's next epoch.
    assert curve(full_same) == curve(full_parent)
    assert full_same.system_attrs["parent"] == 0 and full_same.system_attrs["parent_step"] == 2
    assert same.trial.state == TrialState.COMPLETE

    forked = queue_fork(study, cfg, 0, 2, {"lr": 1e-4})
    changed = study.storage.get_trial(study.id, train_queued(study, cfg, forked).trial.number)
    assert curve(changed)[3]["lr"] == pytest.approx(1e-4)
    assert curve(changed)[3]["val_loss"] != curve(full_parent)[3]["val_loss"]
    assert changed.params["lr"] == 1e-4  # the fork starts with the change
    assert [(c.param, c.old, c.new, c.epoch, c.who) for c in study.param_changes(changed.number)] == [
        ("lr", 0.01, 1e-4, 2, "user")]
    assert study.param_changes(1) == []  # a fork without changes records none


def test_refused_forks_write_nothing(tmp_path):
    cfg = config(tmp_path, keep_last=1, keep_best=False)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    assert sorted(snapshots(checkpoint_dir(cfg, study), 0)) == [4]
    for epoch, changes, message in ((2, None, "no checkpoint of trial 0 at epoch 2"),
                                    (4, {"units": 64}, "units: cannot change"),
                                    (4, {"dropout": 1.5}, "dropout: must be in")):
        with pytest.raises(ConfigError, match=message):
            queue_fork(study, cfg, 0, epoch, changes)
    with pytest.raises(ConfigError, match="no trial 5"):
        queue_resume(study, cfg, 5)
    assert len(study.get_trials()) == 1


def test_a_stopped_trial_resumes_from_its_last_checkpoint(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)
    # Asked during epoch 1's report (another terminal, in effect): taken after epoch 2.
    stopped = train_queued(study, cfg, number, on_epoch=lambda t, e, r: e == 1 and study.stop_trial(number)).trial
    assert stopped.state == TrialState.PRUNED and stopped.system_attrs["stopped_by"] == "user"
    assert [c.epoch for c in study.param_changes(number)] == [2]

    again, cfg_again = load_babysit_study(cfg.storage, "panda")
    queued = queue_resume(again, cfg_again, number)
    again.set_trial_params(queued, {"epochs": 3, "lr": 0.005})  # asked while it waits
    resumed = train_queued(again, cfg_again, queued).trial
    assert resumed.number == queued and resumed.state == TrialState.COMPLETE
    full = again.storage.get_trial(again.id, resumed.number)
    assert full.system_attrs["fork"] == "resume" and sorted(full.intermediate_values) == [1, 2, 3]
    assert [(c.param, c.old, c.new, c.epoch) for c in again.param_changes(queued)] == [
        ("epochs", 4, 3, 2), ("lr", 0.01, 0.005, 2)]
    assert curve(full)[3]["lr"] == pytest.approx(0.005) and full.params["lr"] == 0.01


def test_retention_keeps_the_newest_and_the_best_within_the_disk_budget():
    sizes = {e: 2**20 for e in range(1, 9)}
    values = {1: 0.5, 2: 0.9, 3: 0.6, 4: 0.7, 5: 0.7, 6: 0.7, 7: 0.7, 8: 0.7}
    assert snapshots_to_drop(sizes, values, "maximize", CheckpointsConfig(keep_last=3)) == [1, 3, 4, 5]
    assert snapshots_to_drop(sizes, values, "minimize", CheckpointsConfig(keep_last=3)) == [2, 3, 4, 5]
    assert snapshots_to_drop(sizes, values, "maximize", CheckpointsConfig(keep_last=3, keep_best=False)) \
        == [1, 2, 3, 4, 5]
    assert snapshots_to_drop(sizes, values, "maximize", CheckpointsConfig(max_disk_mb=2)) == [1, 3, 4, 5, 6, 7]
    assert snapshots_to_drop(sizes, values, "maximize", CheckpointsConfig()) == []


def test_show_and_the_report_mark_the_changes_on_the_curves():
    from nntune.report.data import build_report_data
    from nntune.report.figures import learning_curves_figure
    from nntune.show import show_data
    from nntune.storage import InMemoryStorage

    store = InMemoryStorage()
    sid = store.create_study("s", "maximize", {"metric": "accuracy"})
    n = store.create_trial(sid)
    for step in (1, 2, 3):
        if step == 2:
            store.add_param_changes(sid, n, {"lr": 1e-4})
            store.take_param_changes(sid, n, 1, {"lr": 1e-3})
        store.report(sid, n, step, 0.5 + step / 10, {"epoch": step, "train_loss": 1 / step, "val_loss": 1.1 / step,
                                                      "train_accuracy": 0.5, "val_accuracy": 0.5 + step / 10,
                                                      "value": 0.5 + step / 10, "lr": 1e-3 if step == 1 else 1e-4})
    store.finish_trial(sid, n, TrialState.COMPLETE, 0.8)
    mark = {"epoch": 1, "param": "lr", "old": 1e-3, "new": 1e-4, "who": "user"}
    assert show_data(store, "s")["trials"][0]["changes"] == [mark]
    curves = build_report_data(store, "s")["learning_curves"]
    assert curves[0]["changes"] == [mark]
    fig = learning_curves_figure(curves, "accuracy")
    assert [s.x0 for s in fig.layout.shapes] == [1.5, 1.5]
    assert "lr 0.001→0.0001" in fig.layout.annotations[-1].text


def test_babysit_from_the_command_line_then_fork_and_resume(tmp_path, capsys, monkeypatch):
    import json
    import sys

    from nntune import cli

    monkeypatch.chdir(tmp_path)

    def run(*args):
        monkeypatch.setattr(sys, "argv", ["nntune", *args])
        try:
            cli.main()
        except SystemExit as exc:
            assert not exc.code, capsys.readouterr().err
        return json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    url = f"sqlite:///{tmp_path / 'b.db'}"
    first = run("babysit", "--set", "epochs=3", "--set", "layers=1", "--set", "units=16", "--set", "lr=3e-3",
                "--set", "task.train_size=0.5", "--study", "b", "--storage", url, "--json")
    assert first == {"study": "b", "trial": 0, "state": "complete", "value": first["value"], "epochs": 3}
    fork = run("trial", "fork", "--study", "b", "--trial", "0", "--from-epoch", "2", "--set", "lr=1e-3",
               "--storage", url, "--json")
    assert (fork["trial"], fork["epochs"]) == (1, 3)
    # The fork trained every epoch: there is nothing to resume, and nothing is queued for it.
    monkeypatch.setattr(sys, "argv", ["nntune", "babysit", "--resume", "--study", "b", "--trial", "1",
                                      "--storage", url])
    with pytest.raises(SystemExit) as refused:
        cli.main()
    assert refused.value.code == 2 and "trial 1 is complete" in capsys.readouterr().err
    study, _ = load_babysit_study(url, "b")
    trials = study.get_trials()
    assert trials[0].params["lr"] == 3e-3 and trials[1].params["lr"] == 1e-3
    assert [(t.system_attrs.get("parent"), t.system_attrs.get("fork")) for t in trials] == [
        (None, None), (0, "fork")]
    # Of several queued trials, --resume trains the one it names, not the oldest.
    study, cfg = load_babysit_study(url, "b")
    older, newer = queue_fork(study, cfg, 0, 2), queue_fork(study, cfg, 0, 1)
    named = run("babysit", "--resume", "--study", "b", "--trial", str(newer), "--storage", url, "--json")
    assert (named["trial"], named["state"]) == (newer, "complete")
    assert study.storage.get_trial(study.id, older).state == TrialState.WAITING


def test_a_killed_babysit_loses_at_most_its_current_epoch(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)

    class Killed(BaseException):  # nothing of nntune catches it, as nothing runs after kill -9
        pass

    def kill(trial, epoch, record):
        if epoch == 2:
            raise Killed()

    with pytest.raises(Killed):
        train_queued(study, cfg, number, on_epoch=kill)
    left = study.storage.get_trial(study.id, number)
    assert left.state == TrialState.RUNNING and sorted(left.intermediate_values) == [1, 2]
    with pytest.raises(ConfigError, match="is still training"):  # its process (this one) is alive
        queue_resume(study, cfg, number)
    study.storage.set_trial_system_attr(study.id, number, "babysit", {"pid": 2**22 + 7, "host": left.system_attrs["babysit"]["host"]})
    resumed = queue_resume(study, cfg, number)
    assert study.storage.get_trial(study.id, number).state == TrialState.FAILED
    done = study.storage.get_trial(study.id, train_queued(study, cfg, resumed).trial.number)
    assert done.number == resumed and done.system_attrs["parent_step"] == 2
    assert sorted(done.intermediate_values) == [1, 2, 3, 4] and done.state == TrialState.COMPLETE


def test_the_disk_budget_counts_the_latest_state_kept_beside_the_snapshots(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    size = snapshots(checkpoint_dir(cfg, study), 0)[4].stat().st_size
    # Room for two and a half copies of the model. trial-N.pt (what export-model and the test
    # look read) is the newest snapshot's second name (a hard link, one copy on disk), so two
    # snapshots fit, never the three a budget that left trial-N.pt out would keep.
    budget = 2.5 * size
    tight = config(tmp_path, max_disk_mb=budget / 2**20, keep_best=False)
    number = train_queued(study, tight, queue_new(study, tight)).trial.number
    folder = checkpoint_dir(tight, study)
    kept = snapshots(folder, number)
    assert sorted(kept)[-1] == 4 and len(kept) == 2  # the newest (a resume continues from it) and one more
    latest = folder / f"trial-{number}.pt"
    assert os.path.samefile(latest, kept[4])
    on_disk = {(f.stat().st_dev, f.stat().st_ino): f.stat().st_size for f in [latest, *kept.values()]}
    assert sum(on_disk.values()) <= budget
