"""``nntune trial fork --from-epoch E`` with no checkpoint at E names the command's option,
``--from-epoch``, not the Python argument ``from_epoch``; nothing is queued."""

from __future__ import annotations

from nntune.panda import open_babysit_study, queue_new, train_queued

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
