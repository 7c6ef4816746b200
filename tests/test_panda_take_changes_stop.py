"""A define-by-run objective that takes its changes at each epoch boundary and then asks
``should_prune`` (the README's loop) ends as stopped by the user when stopped: the stop that
``take_changes`` took (and returned beside the changes) makes the next ``should_prune``
answer True. It used to be taken there and lost, so the trial ran to its end and completed."""

import nntune as optuna
from nntune.control import change_rows
from nntune.trial import TrialState


def test_a_stop_taken_with_the_changes_makes_should_prune_answer_true(tmp_path) -> None:
    study = optuna.create_study(study_name="dbr", storage=f"sqlite:///{tmp_path / 'o.db'}",
                                pruner=optuna.pruners.NopPruner())
    trained: list[int] = []

    def objective(trial: optuna.Trial) -> float:
        current = {"lr": trial.suggest_float("lr", 1e-4, 1e-1, log=True)}
        for epoch in range(1, 8):
            trained.append(epoch)
            trial.report(current["lr"], epoch)
            if epoch == 2:  # asked from another terminal while epoch 2 trains
                study.set_trial_params(trial.number, {"lr": 0.05})
                study.stop_trial(trial.number)
            taken = trial.take_changes(epoch, current)
            assert taken.pop("stop", True) is True  # returned beside the changes, as documented
            current.update(taken)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return current["lr"]

    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED and trained == [1, 2]
    assert trial.system_attrs.get("stopped_by") == "user"
    rows = change_rows(study.storage, study.id, 0)
    # Taken beside the stop, lr reached no epoch: the run ended there.
    assert [(r["param"], r["epoch"], r["status"]) for r in rows] == [("lr", 2, "dropped"), ("stop", 2, "applied")]
