"""What ``nntune babysit`` says as a trial ends: how to continue it only where a checkpoint
is kept to continue from."""

from pathlib import Path
from typing import Any

import pytest

from nntune.config import parse_config
from nntune.panda import open_babysit_study, queue_fork, queue_new, train_queued


def config(tmp_path: Path, **fixed: Any):
    return parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "fixed": {"epochs": 3, "layers": 1, "units": 16, "batch_size": 128, "lr": 0.01, **fixed},
    })


def test_a_trial_stopped_before_its_first_epoch_is_not_offered_a_resume(tmp_path, call_cli):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    fork = queue_fork(study, cfg, 0, 1, {"lr": 0.001})
    code, out, err = call_cli("trial", "stop", "--study", "panda", "--trial", str(fork), "--storage", cfg.storage)
    assert code == 0 and out == f"trial {fork} of study panda was waiting: it ends now, before its first epoch\n", err
    assert study.storage.get_trial(study.id, fork).state.value == "pruned"  # without training an epoch of its own
    code, _, err = call_cli("babysit", "--resume", "--study", "panda", "--trial", str(fork), "--storage", cfg.storage)
    assert code == 2 and "has no kept checkpoint" in err


def test_the_summary_starts_its_own_line_after_the_last_view(tmp_path, call_cli):
    code, out, err = call_cli("babysit", "--set", "epochs=1", "--set", "layers=1", "--set", "units=16",
                              "--set", "task.train_size=0.5", "--study", "b", "--storage",
                              f"sqlite:///{tmp_path / 'b.db'}")
    assert code == 0, err
    assert "╯\ntrial 0 of study b: complete" in out  # in a log, not glued to the panel's border
    assert out.splitlines()[-2].endswith(" after 1 epoch")


@pytest.mark.parametrize("terminal", ["0", "1"])
def test_the_end_says_where_the_checkpoints_went_in_a_log_and_a_terminal(tmp_path, call_cli, monkeypatch, terminal):
    monkeypatch.setenv("TTY_COMPATIBLE", terminal)  # rich's own switch: a terminal's live view, or a log's
    runs = tmp_path / "runs"
    code, out, err = call_cli("babysit", "--set", "epochs=4", "--set", "layers=1", "--set", "units=16",
                              "--set", "task.train_size=0.3", "--set", f"search.checkpoint_dir={runs}",
                              "--set", "checkpoints.keep_last=3", "--study", "b", "--storage",
                              f"sqlite:///{tmp_path / 'b.db'}")
    assert code == 0, err
    folder = next((runs / "b").iterdir())  # the study's own keyed folder
    assert sorted(p.name for p in folder.glob("trial-0-epoch-*.pt")) == [f"trial-0-epoch-{e}.pt" for e in (2, 3, 4)]
    line = f"checkpoints kept: epochs 2-4 in {folder} (trial-0-epoch-N.pt)"
    assert line in out.splitlines(), out


def test_the_view_of_a_trial_without_an_epoch_names_no_range():
    from rich.console import Console

    from nntune.panda_view import render, view_data

    console = Console(width=100, record=True)
    console.print(render(view_data("s", 0, [], metric="accuracy", direction="maximize", epochs=5, changes=[])))
    text = console.export_text()
    assert "epochs 1..0" not in text and "epoch 0/5" in text


def test_ctrl_c_while_a_fork_replays_its_parents_curve_stops_it_cleanly(tmp_path):
    from nntune.trial import TrialState

    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    fork = queue_fork(study, cfg, 0, 2, {"lr": 0.001})

    def ctrl_c(trial, epoch, record):
        raise KeyboardInterrupt

    ended = train_queued(study, cfg, fork, on_epoch=ctrl_c).trial
    assert ended.state == TrialState.PRUNED and ended.system_attrs["stopped_by"] == "user"


def test_the_summary_of_several_objectives_names_each_value(tmp_path, call_cli):
    import json

    (tmp_path / "mo.yaml").write_text(f"study: mo\nstorage: sqlite:///{tmp_path / 'mo.db'}\n"
                                      "task: {data: digits, model: mlp, metric: [params, accuracy], train_size: 0.5}\n"
                                      "fixed: {epochs: 1, layers: 1, units: 16}\n")
    code, out, err = call_cli("babysit", str(tmp_path / "mo.yaml"), "--json")
    assert code == 0, err
    line = json.loads(out.strip().splitlines()[-1])
    assert set(line["values"]) == {"params", "accuracy"} and line["values"]["params"] == 1210  # 64*16+16 + 16*10+10
    assert "value" not in line
    assert f"complete, params 1210, validation accuracy {line['values']['accuracy']:.4g} after 1 epoch" in \
        " ".join(err.split())


def test_a_trial_stopped_after_its_last_epoch_is_offered_a_fork_not_a_resume(tmp_path, call_cli):
    from nntune.cli_panda import end_hint

    cfg = config(tmp_path, epochs=2)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)
    stopped = train_queued(study, cfg, number, on_epoch=lambda t, e, r: e == 1 and study.stop_trial(number)).trial
    assert stopped.state.value == "pruned" and sorted(stopped.intermediate_values) == [1, 2]
    hint = end_hint(cfg, study, stopped)
    assert hint is not None and hint.startswith("it trained all its epochs; train on with: nntune trial fork "
                                                "--study panda --trial 0 --storage ")
    assert hint.endswith(" --from-epoch 2 --set epochs=12")
    code, _, err = call_cli("babysit", "--resume", "--study", "panda", "--trial", "0", "--storage", cfg.storage)
    assert code == 2 and "has none left" in err  # what the old hint led to


def test_pending_changes_show_no_old_value(tmp_path, call_cli):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)
    study.set_trial_params(number, {"lr": 0.002})
    code, out, err = call_cli("trial", "changes", "--study", "panda", "--storage", cfg.storage)
    assert code == 0, err
    row = next(line for line in out.splitlines() if "lr" in line)
    assert "None" not in row and "pending" in row and "-" in row


def test_the_end_lines_of_a_log_are_never_broken_at_80_columns(tmp_path, call_cli, monkeypatch):
    import nntune.panda

    train = nntune.panda.train_queued

    def stopped_after_epoch_1(study, cfg, number, *, on_epoch=None, **kw):  # as trial stop would
        def then_stop(t, e, r):
            on_epoch(t, e, r)
            if e == 1:
                study.stop_trial(number)
        return train(study, cfg, number, on_epoch=then_stop, **kw)

    monkeypatch.setattr(nntune.panda, "train_queued", stopped_after_epoch_1)
    study, storage = "a-study-named-at-some-length", f"sqlite:///{tmp_path / 'b.db'}"
    code, out, err = call_cli("babysit", "--set", "epochs=3", "--set", "layers=1", "--set", "units=16",
                              "--set", "task.train_size=0.3", "--study", study, "--storage", storage)
    assert code == 0, err
    lines = out.splitlines()
    hint = f"continue it with: nntune babysit --resume --study {study} --trial 0 --storage {storage}"
    assert hint in lines and len(hint) > 80, out  # one line a user can paste
    assert any(line.startswith(f"trial 0 of study {study}: pruned (stopped by the user), ") and
               line.endswith(" after 2 epochs") for line in lines), out  # the stop is taken at the next boundary


def test_the_end_counts_the_epochs_stored_when_a_ctrl_c_lands_before_an_epochs_view(tmp_path, call_cli, monkeypatch):
    import json

    import nntune.panda

    train = nntune.panda.train_queued

    def ctrl_c_before_epoch_2_is_shown(study, cfg, number, *, on_epoch=None, **kw):
        def then_show(t, e, r):
            if e == 2:  # reported and stored, its view not drawn yet
                raise KeyboardInterrupt
            on_epoch(t, e, r)
        return train(study, cfg, number, on_epoch=then_show, **kw)

    monkeypatch.setattr(nntune.panda, "train_queued", ctrl_c_before_epoch_2_is_shown)
    code, out, err = call_cli("babysit", "--set", "epochs=4", "--set", "layers=1", "--set", "units=16",
                              "--set", "task.train_size=0.3", "--set", f"search.checkpoint_dir={tmp_path / 'runs'}",
                              "--study", "b", "--storage", f"sqlite:///{tmp_path / 'b.db'}", "--json")
    assert code == 0, err
    text = " ".join(err.split())
    assert "pruned (stopped by the user)" in text and " after 2 epochs checkpoints kept: epochs 1, 2 in " in text
    assert json.loads(out.strip().splitlines()[-1])["epochs"] == 2
