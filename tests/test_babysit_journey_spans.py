"""A fork from an epoch with no kept checkpoint names the kept epochs as runs (1..300), not
as hundreds of numbers on its one line."""

from pathlib import Path

import pytest

from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.panda import checkpoint_dir, epoch_spans, open_babysit_study, queue_fork, queue_new


@pytest.mark.parametrize("epochs, text", [([], ""), ([3], "3"), ([1, 2], "1, 2"), ([1, 2, 3], "1..3"),
                                          ([5, 1, 2, 3, 9, 10], "1..3, 5, 9, 10")])
def test_epochs_read_as_runs(epochs, text):
    assert epoch_spans(epochs) == text


def test_a_fork_from_a_missing_epoch_names_the_kept_ones_as_runs(tmp_path: Path):
    cfg = parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "fixed": {"epochs": 400, "lr": 0.01},
    })
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)
    trial = study.storage.claim_trial(study.id, waiting_only=True, number=number)
    assert trial is not None
    folder = checkpoint_dir(cfg, study)
    folder.mkdir(parents=True)
    for epoch in range(1, 301):
        study.storage.report(study.id, number, epoch, 0.5)
        (folder / f"trial-{number}-epoch-{epoch}.pt").write_bytes(b"")
    with pytest.raises(ConfigError) as err:
        queue_fork(study, cfg, number, 0)
    assert str(err.value).endswith("(kept: 1..300)")
