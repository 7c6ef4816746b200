"""A define-by-run trial stopped from outside while it trains (``nntune trial stop``, the
dashboard's stop, ``study.stop_trial``): its ``should_prune()`` says so, as the Optuna idiom
``if trial.should_prune(): raise TrialPruned()`` expects, and it ends pruned by the user."""

import itertools

import nntune
from nntune.trial import TrialState


def ticking() -> "itertools.count[int]":
    """A study clock one second on at each reading: should_prune looks for a stop each time."""
    return itertools.count()


def test_should_prune_takes_a_stop_written_while_the_trial_runs(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(study_name="s", storage=url, clock=ticking().__next__)

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        for epoch in range(5):
            trial.report(x + epoch, epoch)
            if epoch == 1:  # another handle on the storage writes the stop row, as the CLI does
                nntune.load_study(study_name="s", storage=url).stop_trial(trial.number)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return x

    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED
    assert sorted(trial.intermediate_values) == [0, 1]
    assert trial.system_attrs["stopped_by"] == "user"
    assert [(c.param, c.epoch) for c in study.param_changes(0)] == [("stop", 1)]


def test_should_prune_without_a_stop_asks_the_scheduler_as_before(tmp_path):
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", pruner=nntune.pruners.NopPruner(),
                                clock=ticking().__next__)
    trial = study.ask()
    trial.report(1.0, 0)
    assert not trial.should_prune()
    study.stop_trial(trial.number)
    assert trial.should_prune()
    assert not study.param_changes(trial.number)[0].pending


def test_a_stop_is_looked_for_at_most_once_a_second_by_the_studys_clock(tmp_path):
    now = [0.0]
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", pruner=nntune.pruners.NopPruner(),
                                clock=lambda: now[0])
    trial = study.ask()
    trial.report(1.0, 0)
    assert not trial.should_prune()  # the first look
    study.stop_trial(trial.number)
    now[0] = 0.9
    assert not trial.should_prune()  # not looked for again yet: no storage read at every step
    now[0] = 1.0
    assert trial.should_prune()
