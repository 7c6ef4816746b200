"""``babysit --resume`` of a trial still marked running in another process: refused while
that process's heartbeat is fresh, continued once it is silent past the grace period."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.panda import STALE_SECONDS, open_babysit_study, queue_new, queue_resume, train_queued
from nntune.storage._base import utcnow
from nntune.trial import TrialState

ELSEWHERE = {"pid": 4242, "host": "another-machine"}


def config(tmp_path: Path):
    return parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "fixed": {"epochs": 3, "layers": 1, "units": 16, "batch_size": 128, "lr": 0.01},
    })


class Vanished(BaseException):
    """The process ends mid-trial without telling it (kill -9): it stays running."""


def test_a_trial_training_on_another_machine_is_not_resumed_while_it_beats(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    refusals: list[str] = []

    def resume_from_elsewhere(trial, epoch, record):
        if epoch == 1:  # as if babysat on another machine sharing the storage
            study.storage.set_trial_system_attr(study.id, trial.number, "babysit", ELSEWHERE)
            with pytest.raises(ConfigError) as err:
                queue_resume(study, cfg, trial.number)
            refusals.append(str(err.value))

    done = train_queued(study, cfg, queue_new(study, cfg), on_epoch=resume_from_elsewhere).trial
    assert done.state == TrialState.COMPLETE  # trained on, not failed under it
    assert len(refusals) == 1 and "\n" not in refusals[0]
    assert refusals[0].startswith("trial: trial 0 is still training elsewhere (process 4242 on another-machine)")
    assert [t.number for t in study.get_trials()] == [0]  # no second trial queued


def test_a_trial_silent_past_the_grace_period_is_failed_and_continued(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)

    def vanish(trial, epoch, record):
        if epoch == 2:
            raise Vanished()

    with pytest.raises(Vanished):
        train_queued(study, cfg, queue_new(study, cfg), on_epoch=vanish)
    study.storage.set_trial_system_attr(study.id, 0, "babysit", ELSEWHERE)
    assert study.storage.get_trial(study.id, 0).state == TrialState.RUNNING
    engine = sa.create_engine(cfg.storage)
    with engine.begin() as conn:  # its last beat, a while ago
        silent = utcnow() - timedelta(seconds=STALE_SECONDS + 5)
        conn.execute(sa.text("UPDATE trials SET heartbeat = :t"), {"t": silent})
    engine.dispose()
    child = queue_resume(study, cfg, 0)
    assert study.storage.get_trial(study.id, 0).state == TrialState.FAILED
    assert train_queued(study, cfg, child).trial.state == TrialState.COMPLETE
