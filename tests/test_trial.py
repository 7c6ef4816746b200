"""Ranking trials: ties of the validation value go to the lower validation loss, then to
fewer epochs, then to the lower number. A finished trial as a trial an objective runs on,
as Optuna's FrozenTrial."""

import datetime
import inspect
import warnings

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.report.data import rank
from nntune.show import ranked_rows
from nntune.trial import FrozenTrial, TrialState, best_trial, ranked, tie_break, validation_loss


def trial(number, value, *, loss=None, epochs=10, state=TrialState.COMPLETE, in_metrics=False):
    t = FrozenTrial(number, state, value=value, intermediate_values={e: value for e in range(1, epochs + 1)})
    if loss is not None and in_metrics:
        t.metrics = [{"epoch": epochs - 1, "value": value - 0.1, "val_loss": 9.0},
                     {"epoch": epochs, "value": value, "val_loss": loss}]
    elif loss is not None:
        t.user_attrs["val_loss"] = loss
    return t


def four_tied():
    return [trial(0, 0.9694, loss=0.30), trial(1, 0.9694, loss=0.12, epochs=27),
            trial(2, 0.9694, loss=0.12, epochs=12), trial(3, 0.9694, loss=0.21), trial(4, 0.95, loss=0.01)]


def test_ties_go_to_lower_validation_loss_then_fewer_epochs():
    trials = four_tied()
    assert [t.number for t in ranked(trials, "maximize")] == [2, 1, 3, 0, 4]
    assert best_trial(trials, "maximize").number == 2
    assert [t.number for t in ranked(trials, "minimize")] == [4, 2, 1, 3, 0]


def test_loss_read_from_the_epoch_records_when_not_stored_as_an_attribute():
    t = trial(0, 0.9, loss=0.4, in_metrics=True)
    assert validation_loss(t) == 0.4
    assert validation_loss(trial(1, 0.9)) is None
    assert tie_break(trial(1, 0.9, epochs=3)) == (float("inf"), 3, 1)


def test_a_known_loss_beats_an_unknown_one_and_complete_beats_pruned():
    trials = [trial(0, 0.9), trial(1, 0.9, loss=5.0), trial(2, 0.9, loss=0.1, state=TrialState.PRUNED)]
    assert [t.number for t in ranked(trials, "maximize")] == [1, 0, 2]


def test_show_and_report_rank_as_the_leaderboard_does():
    trials = four_tied()
    rows = [{"number": t.number, "state": t.state.value, "value": t.value, "epochs": t.epochs,
             "val_loss": validation_loss(t)} for t in trials]
    order = [t.number for t in ranked(trials, "maximize")]
    assert [r["number"] for r in ranked_rows({"direction": "maximize", "trials": rows})] == order
    assert [t.number for t in rank(trials, "maximize")] == order


def test_epochs_count_the_reports_whether_steps_start_at_0_or_1():
    assert FrozenTrial(0, TrialState.COMPLETE, intermediate_values={e: 0.5 for e in range(10)}).epochs == 10
    assert FrozenTrial(1, TrialState.COMPLETE, intermediate_values={e: 0.5 for e in range(1, 11)}).epochs == 10
    assert FrozenTrial(2, TrialState.PRUNED, intermediate_values={0: 0.5}).epochs == 1
    assert FrozenTrial(3, TrialState.FAILED).epochs == 0


def detailed_objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    for epoch in range(3):
        trial.report(lr * (epoch + 1), epoch, metrics={"val_loss": lr, "lr": lr})
        if trial.should_prune():
            raise nntune.TrialPruned()
    trial.set_user_attr("act", act)
    return lr * layers + (act == "tanh")


def test_an_objective_runs_again_on_the_best_trial():
    # Optuna's tutorial 20_recipes/010_reuse_best_trial: detailed_objective(study.best_trial).
    study = nntune.create_study(sampler=nntune.samplers.TPESampler(seed=0, n_startup_trials=4))
    study.optimize(detailed_objective, n_trials=8)
    best = study.best_trial
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every value lies in what the objective asks
        assert detailed_objective(best) == study.best_value
    assert best.user_attrs["act"] == best.params["act"] and best.intermediate_values == \
        study.best_trial.intermediate_values  # report did nothing
    best.set_user_attr("note", 1)
    best.set_system_attr("seen", True)
    assert best.user_attrs["note"] == 1 and best.system_attrs["seen"] is True
    assert "note" not in study.best_trial.user_attrs  # set on the object, never in storage
    assert best.suggest_loguniform("lr", 1e-4, 1e-1) == best.params["lr"]
    # The lr was drawn on a log scale: asked on a linear one (uniform, discrete uniform) it
    # raises, as Optuna's FrozenTrial does (check_distribution_compatibility).
    with pytest.raises(ValueError, match="lr: suggested with log=False after log=True"):
        best.suggest_uniform("lr", 1e-4, 1e-1)
    with pytest.raises(ValueError, match="lr: suggested with log=False after log=True"):
        best.suggest_discrete_uniform("lr", 0.0, 1.0, 1e-4)


def frozen():
    return nntune.trial.create_trial(params={"x": 0.5, "n": 3, "kind": "a"}, value=1.0,
                                     distributions={"x": nntune.distributions.FloatDistribution(0.0, 1.0),
                                                    "n": nntune.distributions.IntDistribution(1, 5),
                                                    "kind": nntune.distributions.CategoricalDistribution(["a", "b"])})


def test_a_frozen_trial_answers_as_optunas_does():
    trial = frozen()
    with pytest.raises(ValueError, match=r"^y: not among this trial's parameters \(x, n, kind\)$"):
        trial.suggest_float("y", 0.0, 1.0)
    with pytest.warns(UserWarning, match=r"x: the given value 0.5 is outside \[0.6, 1\]") as seen:
        assert trial.suggest_float("x", 0.6, 1.0) == 0.5
    assert seen[0].filename == __file__  # the objective's line
    assert trial.distributions["x"] == nntune.distributions.FloatDistribution(0.6, 1.0)  # as asked, as Optuna
    with pytest.raises(ConfigError, match=r"kind: suggested with choices \['b', 'c'\] after \['a', 'b'\]"):
        trial.suggest_categorical("kind", ["b", "c"])  # Optuna: no changing choices either
    with pytest.raises(ConfigError, match="n: suggested as float after int"):
        trial.suggest_float("n", 1.0, 5.0)
    assert trial.suggest_int("n", 1, 5) == 3 and trial.should_prune() is False
    assert trial.report(0.3, 1) is None and trial.intermediate_values == {}


def test_the_same_mistakes_raise_and_warn_as_in_optuna():
    optuna = pytest.importorskip("optuna")
    theirs = optuna.trial.create_trial(params={"x": 0.5, "n": 3}, value=1.0,
                                       distributions={"x": optuna.distributions.FloatDistribution(0.0, 1.0),
                                                      "n": optuna.distributions.IntDistribution(1, 5)})
    for trial in (theirs, frozen()):
        with pytest.raises(ValueError):
            trial.suggest_float("y", 0.0, 1.0)
        with pytest.warns(UserWarning):
            assert trial.suggest_float("x", 0.6, 1.0) == 0.5
        with pytest.raises(ValueError):
            trial.suggest_float("n", 1.0, 5.0)
        with pytest.raises(ValueError):
            trial.suggest_categorical("x", [0.5])
    for name in ("suggest_float", "suggest_int", "suggest_categorical", "suggest_uniform", "suggest_loguniform",
                 "suggest_discrete_uniform", "report", "should_prune", "set_user_attr", "set_system_attr"):
        if not hasattr(optuna.trial.FrozenTrial, name):
            continue  # set_system_attr: deprecated in Optuna 3.1, gone in 5 (nntune keeps it)
        wanted = set(inspect.signature(getattr(optuna.trial.FrozenTrial, name)).parameters)
        assert wanted <= set(inspect.signature(getattr(FrozenTrial, name)).parameters), name


def test_duration_is_seconds_and_answers_optunas_total_seconds():
    import json

    study = nntune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    duration = study.trials[0].duration
    assert isinstance(duration, float) and duration >= 0
    assert duration.total_seconds() == float(duration)
    assert json.loads(json.dumps({"d": duration}))["d"] == float(duration)
    running = study.ask()
    assert study.storage.get_trial(study.id, running.number).duration is None


def test_a_frozen_trial_is_built_with_optunas_keywords():
    from datetime import datetime

    from nntune.space import Float
    from nntune.trial import FrozenTrial, TrialState

    now = datetime.now()
    common = dict(number=3, state=TrialState.COMPLETE, datetime_start=now, datetime_complete=now, params={"x": 0.5},
                  distributions={"x": Float(0, 1)}, user_attrs={}, system_attrs={}, intermediate_values={1: 0.2},
                  trial_id=12)
    one = FrozenTrial(value=0.2, **common)
    two = FrozenTrial(value=None, values=[0.2, 7.0], **common)
    assert one.values == [0.2] and one._trial_id == 12 and one.last_step == 1
    assert two.value == 0.2 and two.values == [0.2, 7.0] and two.system_attrs == {"values": [0.2, 7.0]}
    assert common["system_attrs"] == {}  # the caller's dict is left as it was
    assert FrozenTrial(number=4, state=TrialState.RUNNING)._trial_id == 4
    with pytest.raises(ValueError, match="value or values"):
        FrozenTrial(value=1.0, values=[1.0, 2.0], **common)


def test_a_user_attribute_json_cannot_hold_is_refused_naming_its_key(tmp_path):
    # It raised "datetime is not JSON serializable", naming no attribute.
    for storage in (None, f"sqlite:///{tmp_path / 'a.db'}"):
        study = nntune.create_study(storage=storage)
        trial = study.ask()
        with pytest.raises(TypeError, match=r"^user attribute 'when': datetime is not JSON serializable; store"):
            trial.set_user_attr("when", datetime.datetime(2024, 1, 1))
        with pytest.raises(TypeError, match=r"^user attribute 'pair': keys must be str, .* not tuple; store"):
            trial.set_user_attr("pair", {(1, 2): 3})  # a key JSON refuses: named too
        trial.set_user_attr("ok", 1)
        assert study.trials[0].user_attrs == trial.user_attrs == {"ok": 1}  # nothing half-written
