"""A change or a stop asked of a trial that has ended: the stop said "fork it instead" (a
fork is no stop), and a change said so on studies whose trials keep no checkpoint to fork
from (nntune tune's, a Python objective's), where nntune trial fork refuses the study. A
fork is offered only where it works: a study of nntune babysit, from a trial with epochs."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError


def _study(tmp_path, babysat: bool) -> nntune.Study:
    study = nntune.create_study(study_name="s", storage=f"sqlite:///{tmp_path / 's.db'}")
    if babysat:  # as nntune babysit marks its studies, with the config it trains from
        study.storage.set_study_attr(study.id, "babysit", {"config": {}})

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number == 0:
            trial.report(x, 1)
        return x

    study.optimize(objective, n_trials=2)
    return study


@pytest.mark.parametrize("babysat", [False, True])
def test_a_stop_of_an_ended_trial_says_it_has_ended(tmp_path, babysat):
    study = _study(tmp_path, babysat)
    with pytest.raises(ConfigError, match="^trial: trial 0 of study 's' is complete: it has already ended$"):
        study.stop_trial(0)


def test_a_change_offers_a_fork_only_where_the_study_keeps_checkpoints(tmp_path, call_cli):
    study = _study(tmp_path, babysat=False)
    with pytest.raises(ConfigError, match="^trial: trial 0 of study 's' is complete; only a waiting or running "
                                          "trial can change$"):
        study.set_trial_params(0, {"lr": 0.1})
    study.storage.set_study_attr(study.id, "babysit", {"config": {}})
    with pytest.raises(ConfigError, match=r"can change; fork it from one of its epochs instead: nntune trial fork "
                                          r"--study s --trial 0 --from-epoch N --set NAME=VALUE$"):
        study.set_trial_params(0, {"lr": 0.1})
    # Trial 1 reported no epoch: nothing to fork it from.
    with pytest.raises(ConfigError, match="can change$"):
        study.set_trial_params(1, {"lr": 0.1})
    code, out, err = call_cli("trial", "set", "--study", "s", "--trial", "0", "--storage",
                              f"sqlite:///{tmp_path / 's.db'}", "lr=0.1")
    assert code == 2 and err.strip().endswith("--from-epoch N --set NAME=VALUE") and len(err.strip().splitlines()) == 1
