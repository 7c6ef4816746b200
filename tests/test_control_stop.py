"""``nntune trial stop`` of a trial that waits: it ends at once, pruned by the user, before
any executor trains an epoch of it (babysit did so already; nntune tune trained one)."""

import nntune
from nntune.trial import TrialState


def test_a_waiting_trial_stopped_never_runs_under_optimize(tmp_path):
    study = nntune.create_study(study_name="s", storage=f"sqlite:///{tmp_path / 's.db'}", direction="minimize")
    study.enqueue_trial({"x": 0.5})
    study.set_trial_params(0, {"lr": 0.01})  # asked while it waits, then stopped
    stop = study.stop_trial(0)
    assert not stop.pending and stop.epoch == 0
    ran: list[int] = []

    def objective(trial):
        ran.append(trial.number)
        return trial.suggest_float("x", 0.0, 1.0)

    study.optimize(objective, n_trials=1)
    assert ran == [1]
    stopped = study.storage.get_trial(study.id, 0)
    assert stopped.state == TrialState.PRUNED and stopped.system_attrs["stopped_by"] == "user"
    assert not stopped.intermediate_values
    assert [(c.param, c.epoch) for c in study.param_changes(0)] == [("lr", 0), ("stop", 0)]


def test_a_running_trial_stopped_takes_it_at_its_next_epoch_boundary(tmp_path):
    study = nntune.create_study(study_name="s", storage=f"sqlite:///{tmp_path / 's.db'}")
    trial = study.ask()
    assert study.stop_trial(trial.number).pending
    assert study.storage.get_trial(study.id, trial.number).state == TrialState.RUNNING
