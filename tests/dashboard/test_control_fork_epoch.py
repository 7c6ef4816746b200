"""A fork asked from the page names its ``epoch`` in its errors, the query parameter the page
sent (the command line calls it --from-epoch), and queues nothing; a fork queued says how to
train it on the dashboard's storage (the command it gave lacked --storage, and looked for the
study in the default sqlite:///nntune.db)."""

from __future__ import annotations

import pytest

from nntune.dashboard import RunningServer, create_app
from nntune.panda import open_babysit_study, queue_new, train_queued
from nntune.trial import TrialState

from tests.dashboard.test_api import get
from tests.test_panda_refusals import config


def test_a_fork_from_an_epoch_without_a_checkpoint_names_the_epoch(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)
    with RunningServer(create_app(study.storage, allow_control=True)) as server:
        code, body, _ = get(f"{server.url}/api/trial/control?study=panda&number={number}&action=fork&epoch=3", "POST")
    assert code == 400 and body["error"].startswith(f"epoch: no checkpoint of trial {number} at epoch 3 "), body
    assert [t.state for t in study.storage.get_trials(study.id)] == [TrialState.WAITING]


@pytest.mark.slow  # trains a trial for its checkpoints (two seconds)
def test_a_fork_queued_from_the_page_says_how_to_train_it_on_this_storage(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    with RunningServer(create_app(study.storage, allow_control=True)) as server:
        code, body, _ = get(f"{server.url}/api/trial/control?study=panda&number=0&action=fork&epoch=1&lr=0.02", "POST")
    assert code == 200, body
    assert body["note"] == (f"queued; train it with: nntune babysit --resume --study panda --trial {body['forked']} "
                            f"--storage {cfg.storage}")
