"""``nntune trial fork --from-epoch E`` with no checkpoint at E names the command's option,
``--from-epoch``, not the Python argument ``from_epoch``; nothing is queued. An epoch that a
continuation's parent trained names the trial whose checkpoint it is, and ``nntune show
--trial`` of the continuation names that trial and epoch too: its params are what it
trained with from there, its first epochs were the parent's."""

from __future__ import annotations

import json

from nntune.panda import open_babysit_study, queue_new, queue_resume, train_queued

from tests.test_panda_cli_end import config


def test_an_epoch_without_a_checkpoint_names_the_option(tmp_path, call_cli):
    cfg = config(tmp_path, epochs=2)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    for epoch in ("5", "0"):
        code, out, err = call_cli("trial", "fork", "--study", "panda", "--trial", "0", "--from-epoch", epoch,
                                  "--set", "lr=1e-3", "--storage", cfg.storage)
        assert (code, out) == (2, ""), err
        assert len(err.splitlines()) == 1 and err.startswith(
            f"nntune: error: --from-epoch: no checkpoint of trial 0 at epoch {epoch} "), err
    assert [t.number for t in study.get_trials()] == [0]


def test_an_epoch_a_continuation_inherited_names_the_trial_that_trained_it(tmp_path, call_cli):
    cfg = config(tmp_path, epochs=4)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg), on_epoch=lambda t, e, r: study.stop_trial(t.number) if e == 2 else None)
    train_queued(study, cfg, queue_resume(study, cfg, 0))  # trial 1: epochs 1-2 are trial 0's, 3-4 its own
    code, out, err = call_cli("trial", "fork", "--study", "panda", "--trial", "1", "--from-epoch", "1",
                              "--storage", cfg.storage)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1, err
    assert err.rstrip().endswith("); trial 0 trained that epoch before trial 1 took over: "
                                 "fork trial 0 at epoch 1"), err
    assert [t.number for t in study.get_trials()] == [0, 1]

    # show --trial of the continuation: without the line, its first epochs read as trained with its params.
    step = study.storage.get_trial(study.id, 1).system_attrs["parent_step"]
    code, out, err = call_cli("show", "--study", "panda", "--storage", cfg.storage, "--trial", "1", "--trial", "0")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[2] == (f"started from trial 0's weights after epoch {step} (epochs 1-{step} trained there, with "
                        "that trial's settings: nntune show --trial 0); the params are what it trained with from there")
    assert not any(line.startswith("started from") for line in lines[3:])  # trial 0 trained from scratch
    code, out, err = call_cli("show", "--study", "panda", "--storage", cfg.storage, "--json")
    rows = {r["number"]: r for r in json.loads(out)["trials"]}
    assert (rows[0]["continued_from"], rows[1]["continued_from"]) == (None, {"trial": 0, "epoch": step}), err
