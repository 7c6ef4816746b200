"""A change of a setting the trial's schedule or early stopping does not read (lr_min under a
constant rate, patience without early stopping) is refused in one line as it is asked,
nothing written, as a setting its optimizer does not read is: taken at an epoch boundary it
did nothing. Changed together with the schedule, or after it, it is taken."""

import re

import pytest

from nntune.changes import DECIDER_DEFAULTS, READ_UNDER, check_for_schedule
from nntune.exceptions import ConfigError
from nntune.panda import open_babysit_study, queue_fork, queue_new, train_queued
from nntune.unread_settings import READ_BY
from tests.test_panda_cli_end import config  # the babysit study of one small MLP


@pytest.mark.parametrize("current, change, message", [
    ({}, {"lr_min": 1e-5}, "lr_min: the trial trains with lr_schedule constant, which does not read lr_min "
                           "(read with lr_schedule plateau or cosine); change lr_schedule with it"),
    ({"lr_schedule": "cosine"}, {"lr_gamma": 0.5}, "lr_gamma: the trial trains with lr_schedule cosine"),
    ({"lr_schedule": "step"}, {"lr_schedule": "exponential", "lr_step_epochs": 3}, "lr_step_epochs: the trial "
                                                                                   "trains with lr_schedule exponential"),
    ({}, {"patience": 3}, "patience: the trial trains with early_stopping false, which does not read patience "
                          "(read with early_stopping true)"),
])
def test_a_setting_the_schedule_does_not_read_is_refused(current, change, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}"):
        check_for_schedule(change, current.get)


def test_settings_read_by_the_schedule_pass():
    check_for_schedule({"lr_min": 1e-5, "lr_schedule": "cosine"}, {}.get)  # changed together
    check_for_schedule({"lr_factor": 0.5}, {"lr_schedule": "plateau"}.get)
    check_for_schedule({"min_delta": 0.01, "lr": 0.1}, {"early_stopping": True}.get)


def test_the_rules_are_the_trainers_and_the_configs():
    from nntune.train.basics import LOOP_DEFAULTS
    from nntune.train.optim import OPTIM_DEFAULTS

    assert DECIDER_DEFAULTS == {"lr_schedule": OPTIM_DEFAULTS["lr_schedule"],
                                "early_stopping": LOOP_DEFAULTS["early_stopping"]}
    assert READ_UNDER == {k: v for k, v in READ_BY.items() if v[0] in DECIDER_DEFAULTS}


def test_a_babysat_trial_takes_lr_min_once_its_schedule_reads_it(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)  # waiting: a change asked now is checked the same way
    with pytest.raises(ConfigError, match="^lr_min: the trial trains with lr_schedule constant"):
        study.set_trial_params(number, {"lr_min": 1e-5})
    assert study.param_changes(number) == []
    study.set_trial_params(number, {"lr_schedule": "cosine"})
    assert [c.param for c in study.set_trial_params(number, {"lr_min": 1e-5})] == ["lr_min"]
    train_queued(study, cfg, number)
    with pytest.raises(ConfigError, match="^patience: the trial trains with early_stopping false"):
        queue_fork(study, cfg, number, 1, {"patience": 2})
    assert len(study.get_trials()) == 1  # no fork written
    queue_fork(study, cfg, number, 1, {"patience": 2, "early_stopping": True})
