"""``nntune trial stop`` on a trial of a define-by-run objective written for Optuna: its
next ``trial.should_prune()`` says True, whatever the pruner, and the stop is recorded as
taken after the last reported step, by the user; the CLI says so as it is asked."""

import itertools

import nntune as optuna
from nntune.control import change_rows
from nntune.trial import TrialState


def test_trial_stop_reaches_a_define_by_run_objective_through_should_prune(tmp_path, call_cli):
    url = f"sqlite:///{tmp_path / 'o.db'}"
    ticks = itertools.count()  # a second on at each reading: should_prune looks for a stop each time
    study = optuna.create_study(study_name="dbr", storage=url, pruner=optuna.pruners.NopPruner(),
                                clock=ticks.__next__)
    said: list[tuple[int, str, str]] = []

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(1, 6):
            trial.report(x + step, step)
            if step == 2:  # from another terminal while it trains
                said.append(call_cli("trial", "stop", "--study", "dbr", "--trial", str(trial.number),
                                     "--storage", url))
            if trial.should_prune():
                raise optuna.TrialPruned()
        return x

    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED and sorted(trial.intermediate_values) == [1, 2]
    assert trial.system_attrs.get("stopped_by") == "user"
    code, out, err = said[0]
    assert code == 0 and out == ("trial 0 of study dbr stops when its objective next calls trial.should_prune() "
                                 "or trial.take_changes (an objective that calls neither runs to its end)\n"), err
    rows = change_rows(study.storage, study.id, 0)
    assert [(r["param"], r["epoch"], r["status"]) for r in rows] == [("stop", 2, "applied")]


def test_an_objective_that_never_asks_runs_to_its_end(tmp_path, call_cli):
    url = f"sqlite:///{tmp_path / 'o.db'}"
    study = optuna.create_study(study_name="dbr", storage=url)

    def objective(trial: optuna.Trial) -> float:
        for step in range(1, 4):
            trial.report(float(step), step)
            if step == 1:
                call_cli("trial", "stop", "--study", "dbr", "--trial", str(trial.number), "--storage", url)
        return 0.5

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.COMPLETE
    assert [r["status"] for r in change_rows(study.storage, study.id, 0)] == ["dropped"]
