"""``task.metric: loss`` (KerasTuner's ``objective="val_loss"``): the validation loss the
trainer computes each epoch as the study's objective, minimized, end to end."""

from __future__ import annotations

import math

import pytest
import torch

from nntune.builtin import model_loss, rebuild_model
from nntune.config import parse_config
from nntune.diagnose import diagnose_trials
from nntune.exceptions import ConfigError
from nntune.runner import prepare, run_tune
from nntune.show import show_data
from nntune.study import load_study
from nntune.trial import TrialState

LR = {"lr": {"type": "float", "low": 1e-3, "high": 0.3, "log": True}}


def config(task=None, search=None, fixed=None, space=None, storage="memory"):
    return parse_config({"study": "loss", "storage": storage,
                         "task": {"data": "digits", "model": "mlp", "metric": "loss", **(task or {})},
                         "search": {"trials": 4, "seed": 0, **(search or {})},
                         "fixed": {"epochs": 3, "layers": 1, "units": 32, **(fixed or {})},
                         "space": LR if space is None else space})


def trials_of(summary):
    study = load_study(summary.study, summary.storage)
    return study, study.storage.get_trials(study.id, with_metrics=True)


# ---------------------------------------------------------------- the config


def test_loss_and_kerastuners_val_loss_name_the_same_minimized_objective():
    for name in ("loss", "val_loss"):
        task = config({"metric": name}).task
        assert task.metric == "loss" and task.trained_metric == "loss" and task.directions == ["minimize"]
    several = config({"metric": ["val_loss", "params"]}).task
    assert several.objectives == ["loss", "params"] and several.directions == ["minimize", "minimize"]
    for name in ("loss", "val_loss"):
        assert config({"constraints": {name: {"max": 0.5}}}).task.constraints["loss"].max == 0.5


@pytest.mark.parametrize("task, search, space, field, words", [
    ({"direction": "maximize"}, {}, None, "task.direction", "maximize loss, where lower is better"),
    ({"metric": "val_los"}, {}, None, "task.metric", "did you mean 'loss'"),
    ({}, {}, {**LR, "loss": {"type": "choice", "values": ["cross_entropy", "mse"]}}, "space.loss",
     "task.metric loss compares"),
    ({}, {"ensemble": 2}, None, "search.ensemble", "task.metric loss"),
    ({"constraints": {"loss": {"max": 1.0}, "val_loss": {"max": 2.0}}}, {}, None, "task.constraints",
     "bounds loss twice"),
])
def test_a_loss_objective_the_search_could_not_rank_is_refused_in_one_line(task, search, space, field, words):
    with pytest.raises(ConfigError) as err:
        config(task, search, space=space)
    assert err.value.field == field and words in err.value.problem and "\n" not in str(err.value)


def test_searching_hubers_delta_is_refused_only_where_the_loss_is_huber():
    delta = {**LR, "huber_delta": {"type": "float", "low": 0.5, "high": 2.0}}
    with pytest.raises(ConfigError, match="space.huber_delta"):
        config({"data": "diabetes"}, fixed={"loss": "huber"}, space=delta)
    assert config({"data": "diabetes"}, fixed={"loss": "mse"}, space=delta).task.metric == "loss"


def test_default_priors_of_a_regression_loss_study_resolve_its_regression_loss():
    from nntune.builtin import default_priors

    cfg = config({"data": "diabetes"}, {"default_priors": True}, {"loss": "huber"},
                 {**LR, "optimizer": {"type": "choice", "values": ["sgd", "adam"]}})
    assert default_priors(cfg, cfg.build_space()) == {"lr": 1e-3, "optimizer": "adam"}


@pytest.mark.parametrize("fixed, space, field", [
    ({"loss": "cross_entropy"}, LR, "fixed.loss"),
    ({}, {**LR, "loss": {"type": "choice", "values": ["cross_entropy", "mse"], "prior": "cross_entropy"}},
     "space.loss.prior"),
])
def test_default_priors_name_the_config_entry_of_a_loss_the_task_cannot_take(fixed, space, field):
    # A regression metric's priors resolve a regression loss: the entry to change is the
    # config's, not a bare "loss" no config holds.
    from nntune.builtin import default_priors

    cfg = config({"data": "diabetes", "metric": "rmse"}, {"default_priors": True}, fixed, space)
    with pytest.raises(ConfigError) as err:
        default_priors(cfg, cfg.build_space())
    assert err.value.field == field and "unknown 'cross_entropy' for regression" in err.value.problem


# ---------------------------------------------------------------- tuning on it


def test_a_digits_tune_minimizes_the_validation_loss_and_the_test_look_reports_the_test_loss():
    p = prepare(config(search={"trials": 4}))
    summary = run_tune(p)
    study, trials = trials_of(summary)
    assert study.direction.value == "minimize"
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 4
    for t in complete:
        records = sorted(t.metrics, key=lambda r: r["epoch"])
        # No early stopping: the value is the last epoch's validation loss, and the epoch's
        # metric pair is the loss pair itself (no other score).
        assert t.value == records[-1]["val_loss"] == records[-1]["value"] == t.user_attrs["val_loss"]
        assert all(r["train_loss"] > 0 and r["value"] == r["val_loss"] for r in records)
        assert list(t.intermediate_values.values()) == [r["val_loss"] for r in records]
    assert summary.best.value == min(t.value for t in complete)
    metrics = summary.test.metrics
    assert {"accuracy", "f1", "confusion_matrix", "loss"} <= set(metrics)
    # The test loss is the validation loss's measure on the other split: the rebuilt model's
    # validation loss measured so equals the value the trial recorded.
    model = rebuild_model(study, p.cfg, p.splits, summary.best)
    params = {**p.cfg.hyperparameters(), **summary.best.params}
    assert model_loss(p.cfg, p.splits, model, params, p.splits.x_val, p.splits.y_val) == \
        pytest.approx(summary.best.value, rel=1e-6)
    assert 0 < metrics["loss"] < math.log(10)  # below a uniform guess's cross-entropy
    assert metrics["loss"] == study.storage.get_test_evaluations(study.id)[-1]["metrics"]["loss"]


def test_early_stopping_on_the_loss_keeps_the_lowest_validation_loss():
    p = prepare(config(search={"trials": 2}, fixed={"epochs": 12, "early_stopping": True, "patience": 1},
                       space={"lr": {"type": "float", "low": 0.2, "high": 0.5, "log": True}}))
    _, trials = trials_of(run_tune(p, evaluate_test=False))
    for t in trials:
        losses = {r["epoch"]: r["val_loss"] for r in t.metrics}
        best = t.user_attrs["best_epoch"]
        assert t.value == losses[best] == min(losses.values())
        # It stopped after one epoch without a lower loss (patience 1), or at the last epoch.
        assert max(losses) in (best + 1, 12)


def test_asha_prunes_on_the_validation_loss_keeping_the_lowest():
    p = prepare(config(search={"trials": 6, "scheduler": "asha"}, fixed={"epochs": 9},
                       space={"lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True}}))
    _, trials = trials_of(run_tune(p, evaluate_test=False))
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    assert pruned
    for t in pruned:  # each was pruned where a kept trial's loss at the same rung was lower
        step = max(t.intermediate_values)
        at_rung = [o.intermediate_values[step] for o in trials if o.state == TrialState.COMPLETE
                   and step in o.intermediate_values]
        assert at_rung and min(at_rung) < t.intermediate_values[step]


def test_the_population_executor_trains_stacks_on_the_loss():
    p = prepare(config(search={"trials": 4, "executor": "population"}))
    summary = run_tune(p)
    _, trials = trials_of(summary)
    for t in trials:
        records = sorted(t.metrics, key=lambda r: r["epoch"])
        assert t.value == records[-1]["val_loss"] == records[-1]["value"]
    assert summary.best.value == min(t.value for t in trials) and "loss" in summary.test.metrics


def test_executions_per_trial_average_the_executions_validation_losses():
    p = prepare(config(search={"trials": 2, "executions_per_trial": 2}))
    _, trials = trials_of(run_tune(p, evaluate_test=False))
    for t in trials:
        kept = [e["value"] for e in t.user_attrs["executions"]]
        assert t.value == pytest.approx(sum(kept) / 2) and t.value == pytest.approx(t.user_attrs["val_loss"])


def test_a_regression_tune_minimizes_its_standardized_training_loss():
    p = prepare(config({"data": "diabetes"}, {"trials": 3}, {"loss": "huber"}))
    summary = run_tune(p)
    study, trials = trials_of(summary)
    for t in trials:
        assert t.value == sorted(t.metrics, key=lambda r: r["epoch"])[-1]["val_loss"]
    metrics = summary.test.metrics
    assert {"mse", "r2", "loss"} <= set(metrics)
    # huber on standardized targets: far below the mse in the target's own units
    assert 0 < metrics["loss"] < 1 < metrics["mse"]


def test_a_loss_study_of_several_objectives_and_a_constraint_on_the_loss():
    summary = run_tune(prepare(config({"metric": ["val_loss", "params"], "constraints": {"loss": {"max": 1.0}}},
                                      {"trials": 3})))
    assert summary.front and all(t.values[0] == t.user_attrs["val_loss"] for t in summary.front)
    assert all("loss" in look.metrics for look in summary.front_tests)


# ---------------------------------------------------------------- show and diagnosis


def test_a_loss_study_is_shown_and_diagnosed_on_its_loss_pair_once(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    run_tune(prepare(config(search={"trials": 3}, fixed={"epochs": 6, "units": 64},
                            space={"lr": {"type": "float", "low": 0.05, "high": 0.3, "log": True}},
                            storage=storage)), evaluate_test=False)
    data = show_data(storage, "loss")
    assert data["metric"] == "loss" and data["direction"] == "minimize"
    study = load_study("loss", storage)
    trials = study.storage.get_trials(study.id, with_metrics=True)
    by_metric = diagnose_trials(trials, "minimize", "loss")
    assert by_metric == diagnose_trials(trials, "minimize")  # read off the records without the name
    for findings in by_metric.values():
        kinds = [f.kind for f in findings]
        assert len(kinds) == len(set(kinds))
        for f in findings:
            assert "error" not in f.summary  # the errors are the losses, called so
    # Adam at these rates drives the validation loss far above the training loss: one
    # overfitting finding each, its gap between the two losses stated once.
    fits = [f for fs in by_metric.values() for f in fs if f.kind == "overfitting"]
    assert fits and all(f.summary.count("vs validation loss") == 1 for f in fits)
    assert all(f.evidence["val_error"] > f.evidence["train_error"] for f in fits)


def test_the_reports_learning_curves_draw_a_loss_objective_once():
    from nntune.report.figures import learning_curves_figure

    curve = {"number": 0, "epoch": [1, 2], "train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7],
             "train_metric": [1.0, 0.5], "val_metric": [1.1, 0.7]}
    assert len(learning_curves_figure([curve], "loss").data) == 2
    assert len(learning_curves_figure([curve], "accuracy").data) == 4


def test_the_loss_is_measured_not_scored_from_predictions():
    from nntune.train.metrics import check_metric, score

    check_metric("loss", "classification")
    check_metric("loss", "regression")
    with pytest.raises(ConfigError, match="task.metric"):
        score("loss", "classification", torch.zeros(3).numpy(), torch.zeros(3).numpy(), 2)


def test_the_terminator_reads_the_loss_curves_noise():
    from nntune.terminator import AutoErrorEvaluator

    summary = run_tune(prepare(config(search={"trials": 5, "terminator": {"min_trials": 3}})), evaluate_test=False)
    assert summary.counts["complete"] >= 3
    _, trials = trials_of(summary)
    error = AutoErrorEvaluator(359, "loss")
    # A loss is no proportion of the validation samples: its noise is the curves' own.
    assert error.evaluate(trials, "minimize") > 0 and error.source.startswith("the epoch-to-epoch noise")
