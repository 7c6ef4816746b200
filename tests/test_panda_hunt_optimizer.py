"""A change the trial's optimizer would not read (momentum for adam), or could not train
with (nesterov without momentum), is refused in one line as it is asked, nothing written:
taken at an epoch boundary it did nothing, or failed the trial hours in."""

import re

import pytest

import nntune
from nntune.changes import check_for_optimizer
from nntune.exceptions import ConfigError
from nntune.panda import open_babysit_study, queue_fork, queue_new, train_queued
from nntune.trial import TrialState
from tests.test_panda_cli_end import config  # the babysit study of one small MLP


@pytest.mark.parametrize("optimizer, change, message", [
    ("adam", {"momentum": 0.5}, "momentum: the trial trains with optimizer adam, which does not use momentum "
                                "(its settings: beta1, beta2, eps)"),
    ("sgd", {"eps": 1e-6}, "eps: the trial trains with optimizer sgd, which does not use eps"),
    ("rmsprop", {"beta1": 0.8}, "beta1: the trial trains with optimizer rmsprop, which does not use beta1"),
    ("nesterov", {"momentum": 0.0}, "momentum: nesterov needs momentum > 0"),
])
def test_a_setting_the_optimizer_does_not_take_is_refused(optimizer, change, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}"):
        check_for_optimizer(change, optimizer)


def test_accepted_settings_and_unknown_optimizers_pass():
    check_for_optimizer({"momentum": 0.5, "lr": 0.1}, "nesterov")
    check_for_optimizer({"beta1": 0.8, "eps": 1e-7}, "adamw")
    check_for_optimizer({"momentum": 0.5}, "my_own")  # not the built-in trainer's name: not its business


def test_a_babysat_nesterov_trial_refuses_zero_momentum_instead_of_failing(tmp_path, call_cli):
    cfg = config(tmp_path, optimizer="nesterov")
    study = open_babysit_study(cfg)
    said: list[tuple[int, str, str]] = []

    def ask(trial, epoch, record):
        if epoch == 1:  # from another terminal while it trains
            said.append(call_cli("trial", "set", "momentum=0", "--study", "panda", "--trial", str(trial.number),
                                 "--storage", cfg.storage))

    done = train_queued(study, cfg, queue_new(study, cfg), on_epoch=ask).trial
    code, out, err = said[0]
    assert code == 2 and err == "nntune: error: momentum: nesterov needs momentum > 0\n" and out == ""
    assert done.state == TrialState.COMPLETE, done.error  # it failed at epoch 2 when the change was taken
    assert study.storage.get_param_changes(study.id, done.number) == []
    with pytest.raises(ConfigError, match="^momentum: nesterov needs momentum > 0"):
        queue_fork(study, cfg, done.number, 1, {"momentum": 0.0})
    assert len(study.get_trials()) == 1


def test_the_default_optimizer_of_a_babysat_trial_is_adam(tmp_path):
    cfg = config(tmp_path)
    study = open_babysit_study(cfg)
    number = queue_new(study, cfg)  # waiting: a change asked now is checked the same way
    with pytest.raises(ConfigError, match="^momentum: the trial trains with optimizer adam"):
        study.set_trial_params(number, {"momentum": 0.5})
    assert [c.param for c in study.set_trial_params(number, {"beta1": 0.8})] == ["beta1"]


def test_a_python_objectives_own_names_are_not_checked(tmp_path):
    study = nntune.create_study(study_name="own", storage=f"sqlite:///{tmp_path / 'o.db'}")
    trial = study.ask()
    trial.suggest_float("momentum", 0.0, 0.99)
    assert [c.param for c in study.set_trial_params(trial.number, {"momentum": 0.5})] == ["momentum"]
