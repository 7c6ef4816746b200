"""``search.executions_per_trial``: KerasTuner's executions of a trial, trained as one stack."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest
import torch

import nntune
from nntune._trial import derive_seed
from nntune.builtin_repeats import (epoch_rows, execution_seeds, kept_execution, kept_record, kept_value,
                                    mean_record, representative, value_words)
from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.storage import get_storage
from nntune.study import load_study
from nntune.train.stack_member import StackResult
from nntune.trial import TrialState

SPACE = {"lr": {"type": "float", "low": 1e-3, "high": 0.3, "log": True}}


def config(tmp_path: Path, executions: int | None, **search: Any) -> dict[str, Any]:
    more = {} if executions is None else {"executions_per_trial": executions}
    return {"study": "reps", "storage": f"sqlite:///{tmp_path / 'reps.db'}",
            "task": {"data": "digits"}, "space": SPACE, "fixed": {"epochs": 3, "batch_size": 128},
            "search": {"trials": 2, "seed": 0, "checkpoint_dir": str(tmp_path / "runs"), **more, **search}}


def trials(tmp_path: Path) -> list:
    study = load_study("reps", get_storage(f"sqlite:///{tmp_path / 'reps.db'}"))
    return study.get_trials(deepcopy=False, with_metrics=True)


def result(history: list[dict[str, Any]], best_epoch: int, best_value: float, *,
           stopped_early: bool = False) -> StackResult:
    return StackResult(model=torch.nn.Linear(1, 1), history=history, epochs=len(history), iterations=0,
                       best_epoch=best_epoch, best_value=best_value, stopped_early=stopped_early)


# ------------------------------------------------------------------ the parts


def test_execution_seeds_start_with_the_trials_own_and_are_all_different():
    seeds = execution_seeds(1234, 4)
    assert seeds[0] == 1234 and len(set(seeds)) == 4
    assert seeds == execution_seeds(1234, 4)  # a rerun trains the same executions
    assert execution_seeds(1234, 1) == [1234]


def test_an_execution_is_worth_its_last_epoch_unless_early_stopping_kept_its_best():
    history = [{"epoch": 1, "value": 0.5, "val_loss": 2.0}, {"epoch": 2, "value": 0.9, "val_loss": 1.0},
               {"epoch": 3, "value": 0.7, "val_loss": 1.5}]
    assert kept_record(result(history, 2, 0.9), {}) == (0.7, history[2])
    assert kept_record(result(history, 2, 0.9), {"early_stopping": True}) == (0.9, history[1])
    assert kept_record(result(history[:2], 2, 0.9, stopped_early=True), {}) == (0.9, history[1])


def test_an_epochs_record_is_the_mean_of_the_executions_and_its_time_their_sum():
    rows = [{"epoch": 2, "value": 0.8, "val_loss": 1.0, "lr": 0.1, "epoch_time": 0.5,
             "layers": [{"name": "fc1", "grad_norm": 1.0}]},
            {"epoch": 2, "value": 0.6, "val_loss": 3.0, "lr": 0.1, "epoch_time": 0.5,
             "layers": [{"name": "fc1", "grad_norm": 3.0}]}]
    record = mean_record(rows, 2, epoch_time=1.0)
    layers = record.pop("layers")
    assert record == pytest.approx({"epoch": 2, "value": 0.7, "val_loss": 2.0, "lr": 0.1, "epoch_time": 1.0})
    assert layers == [{"name": "fc1", "grad_norm": pytest.approx(2.0)}]


def test_an_execution_that_stopped_early_counts_with_the_weights_it_kept():
    stopped = result([{"epoch": 1, "value": 0.9}, {"epoch": 2, "value": 0.4}], 1, 0.9, stopped_early=True)
    rows = epoch_rows(2, {1: {"epoch": 3, "value": 0.6}}, {0: stopped}, {})
    assert [r["value"] for r in rows] == [0.9, 0.6]
    assert mean_record(rows, 3)["value"] == pytest.approx(0.75) and mean_record(rows, 3)["epoch"] == 3


def test_the_kept_value_is_the_kept_executions_own_not_the_trials_mean():
    attrs = {"executions": [{"seed": 1, "value": 0.9}, {"seed": 2, "value": 0.7}], "execution_kept": 1}
    assert kept_value(attrs) == 0.7
    assert kept_value({}) is None and kept_value({"executions": [], "execution_kept": 0}) is None


def test_a_trials_value_in_words_says_what_its_model_scores_beside_the_mean():
    attrs = {"executions": [{"seed": 1, "value": 0.9}, {"seed": 2, "value": 0.7}], "execution_kept": 1}
    assert value_words(attrs, "loss", 0.8) == "validation loss 0.8, the mean of 2 executions; this model's 0.7"
    assert value_words({}, "accuracy", 0.95) == "validation accuracy 0.95"


def test_the_kept_execution_is_read_whole_or_not_at_all():
    first, second = {"seed": 1, "value": 0.9}, {"seed": 2, "value": 0.7}
    assert kept_execution({"executions": [first, second], "execution_kept": 1}) is second
    assert kept_execution({"executions": [first, second]}) is first  # stored before execution_kept was
    for attrs in ({}, {"executions": [first], "execution_kept": 1}, {"executions": [first], "execution_kept": -1},
                  {"executions": "x"}, {"executions": [3]}):
        assert kept_execution(attrs) is None, attrs


def test_the_kept_execution_is_the_one_closest_to_the_mean():
    assert representative([0.90, 0.94, 0.99]) == 1
    assert representative([0.5, 0.7]) == 0  # equally close: the first
    assert representative([0.8]) == 0


# ------------------------------------------------------------------ the config


def test_the_config_key_defaults_to_one_and_refuses_what_is_not_a_count():
    assert parse_config({}).search.executions_per_trial == 1
    assert parse_config({"search": {"executions_per_trial": 3}}).search.executions_per_trial == 3
    for bad in (0, -1, True, 1.5, "two"):
        with pytest.raises(ConfigError) as err:
            parse_config({"search": {"executions_per_trial": bad}})
        assert err.value.field == "search.executions_per_trial"


@pytest.mark.parametrize("setting, problem", [
    ("search.executions_per_trial=0", "greater than or equal to 1"),
    ("search.executor=population", "the population executor stacks trials"),
    ("search.scheduler=pbt", "population-based training"),
    ("task.model=resnet18", "not 'resnet18'"),
    ("fixed.pretrained_weights=w.pt", "pretrained_weights"),
])
def test_what_cannot_run_several_executions_is_refused_in_one_line(call_cli, tmp_path, monkeypatch, setting, problem):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", "search.executions_per_trial=2", "--set", setting, "--dry-run")
    assert (code, out) == (2, "")
    assert err.startswith("nntune: error: search.executions_per_trial: ") and problem in err
    assert err.count("\n") == 1 and not (tmp_path / "nntune.db").exists()


def test_tune_refuses_it_too_and_babysitting_objectives_refuse_it(tmp_path):
    with pytest.raises(ConfigError, match="search.executions_per_trial: the population executor"):
        nntune.tune(config(tmp_path, 2, executor="population"), report=False, model_file=False)
    assert not (tmp_path / "reps.db").exists()
    from nntune.builtin import make_objective

    cfg = parse_config(config(tmp_path, 2))
    with pytest.raises(ConfigError, match="search.executions_per_trial: a trial checkpointed"):
        make_objective(cfg, cfg.build_space(), None, checkpoints=tmp_path / "ck")  # nntune babysit's objective


# ------------------------------------------------------------------ real tuning runs


def test_a_trial_is_worth_the_mean_of_its_executions_and_keeps_the_closest_model(tmp_path, monkeypatch):
    from nntune.builtin import load_task_splits, rebuild_model
    from nntune.train import evaluate

    monkeypatch.chdir(tmp_path)
    summary = nntune.tune(config(tmp_path, 3, trials=4), report=False, model_file=False)
    done = trials(tmp_path)
    assert [t.state for t in done] == [TrialState.COMPLETE] * 4
    spreads = []
    for t in done:
        runs = t.user_attrs["executions"]
        values = [r["value"] for r in runs]
        assert t.value == pytest.approx(statistics.fmean(values))
        seeds = [r["seed"] for r in runs]
        assert seeds[0] == derive_seed(0, t.number) and len(set(seeds)) == 3
        spreads.append(max(values) - min(values))
        # No early stopping: every execution is worth its last epoch, so the curve's last
        # mean is the trial's value, and there is one record per epoch.
        assert sorted(t.intermediate_values) == [1, 2, 3]
        assert t.intermediate_values[3] == pytest.approx(t.value)
        assert [m["epoch"] for m in t.metrics] == [1, 2, 3] and "val_loss" in t.metrics[-1]
        assert t.user_attrs["execution_kept"] == representative(values)
    assert max(spreads) > 0  # the seeds made different models
    # The test look and export-model use the kept execution's own weights.
    best = summary.best
    cfg = parse_config(config(tmp_path, 3))
    splits = load_task_splits(cfg)
    study = load_study("reps", get_storage(cfg.storage))
    assert Path(best.system_attrs["checkpoint"]).is_file()
    model = rebuild_model(study, cfg, splits, best)
    accuracy = evaluate(model, splits.x_val, splits.y_val, task_type="classification", metrics=("accuracy",),
                        n_classes=splits.n_classes)["accuracy"]
    kept = best.user_attrs["executions"][best.user_attrs["execution_kept"]]
    assert accuracy == pytest.approx(kept["value"])
    # Its model file gives that model's own validation value, not the trial's mean.
    from nntune.builtin import save_trial_model

    saved = nntune.load_model(save_trial_model(tmp_path / "best.pt", model, study, cfg, splits, best))
    assert saved.meta["validation"] == pytest.approx(kept["value"])
    assert summary.test is not None and summary.test.trial == best.number
    # Without its saved model a trial is retrained with its kept execution's seed (without
    # dropout or augmentation, the stack's member exactly), and says so.
    assert any(t.user_attrs["execution_kept"] != 0 for t in done)
    for t in done:
        Path(t.system_attrs["checkpoint"]).unlink()
        with pytest.warns(UserWarning, match="it trained in a stack of executions"):
            model = rebuild_model(study, cfg, splits, t)
        accuracy = evaluate(model, splits.x_val, splits.y_val, task_type="classification", metrics=("accuracy",),
                            n_classes=splits.n_classes)["accuracy"]
        assert accuracy == pytest.approx(t.user_attrs["executions"][t.user_attrs["execution_kept"]]["value"])


def test_one_execution_is_exactly_a_trial_as_before(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nntune.tune(config(tmp_path, None), report=False, model_file=False)
    before = [(t.value, t.intermediate_values) for t in trials(tmp_path)]
    (tmp_path / "reps.db").unlink()
    nntune.tune(config(tmp_path, 1), report=False, model_file=False)
    after = trials(tmp_path)
    assert [(t.value, t.intermediate_values) for t in after] == before
    assert all("executions" not in t.user_attrs and "checkpoint" not in t.system_attrs for t in after)


def test_asha_prunes_every_execution_of_a_trial_together(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = config(tmp_path, 2, trials=6, scheduler="asha", sampler="random")
    raw["space"] = {"lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": True}}
    nntune.tune(raw, report=False, model_file=False)
    done = trials(tmp_path)
    pruned = [t for t in done if t.state is TrialState.PRUNED]
    assert pruned, [t.state for t in done]
    for t in pruned:
        last = max(t.intermediate_values)
        assert last < 3 and {r["epochs"] for r in t.user_attrs["executions"]} == {last}
        assert "checkpoint" not in t.system_attrs  # no model kept for a pruned trial


def test_early_stopping_executions_are_worth_their_best_epochs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = config(tmp_path, 3, trials=1)
    raw["space"] = {}
    raw["fixed"] = {"epochs": 8, "batch_size": 128, "lr": 0.01, "optimizer": "adam", "early_stopping": True,
                    "patience": 1}
    nntune.tune(raw, report=False, model_file=False)
    (t,) = trials(tmp_path)
    runs = t.user_attrs["executions"]
    assert t.value == pytest.approx(statistics.fmean(r["value"] for r in runs))
    assert len({r["epochs"] for r in runs}) > 1  # the seeds stopped at different epochs
    assert max(t.intermediate_values) == max(r["epochs"] for r in runs)  # the curve runs until the last ends
    # Each execution is worth its best epoch, whenever it stopped: held against the same
    # configuration and seed trained alone (the stack's member is that model, see test_stack_fit).
    from nntune.builtin import load_task_splits, trial_hyperparameters
    from nntune.train import fit

    cfg = parse_config(raw)
    splits = load_task_splits(cfg)
    alone = [fit(trial_hyperparameters(cfg, t.params), splits, metric="accuracy", report=None, seed=r["seed"])
             for r in runs]
    for r, solo in zip(runs, alone):
        assert (r["epochs"], r["best_epoch"]) == (solo.epochs, solo.best_epoch)
        assert r["value"] == pytest.approx(solo.best_value, abs=1.5 / len(splits.y_val))
    # and the best epoch is not simply the last one: at least one execution fell back after it
    assert any(solo.history[-1]["value"] < solo.best_value - 1.5 / len(splits.y_val) for solo in alone)


def test_a_diverging_execution_makes_the_trial_diverge(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = config(tmp_path, 2, trials=1)
    raw["space"] = {}
    raw["fixed"] = {"epochs": 2, "batch_size": 128, "lr": 1e6, "optimizer": "sgd"}
    nntune.tune(raw, report=False, model_file=False)
    (t,) = trials(tmp_path)
    assert t.state is TrialState.DIVERGED and "execution " in (t.error or "")


def executions_objective(tmp_path: Path):
    from nntune.builtin import load_task_splits, make_objective

    raw = config(tmp_path, 2, trials=1)
    raw["space"] = {}
    raw["fixed"] = {"epochs": 3, "batch_size": 128, "lr": 0.001}
    cfg = parse_config(raw)
    study = nntune.create_study(study_name="reps", storage=cfg.storage, direction="maximize")
    return study, make_objective(cfg, cfg.build_space(), load_task_splits(cfg))


def test_a_change_reaches_every_execution_at_the_next_epoch(tmp_path):
    study, objective = executions_objective(tmp_path)
    trial = study.ask()
    study.set_trial_params(trial.number, {"lr": 0.05})  # nntune trial set, taken after epoch 1
    study.tell(trial, objective(trial))
    (t,) = trials(tmp_path)
    assert [m["lr"] for m in t.metrics] == pytest.approx([0.001, 0.05, 0.05])


def test_a_stop_ends_every_execution_at_the_next_epoch(tmp_path):
    study, objective = executions_objective(tmp_path)
    trial = study.ask()
    study.stop_trial(trial.number)  # nntune trial stop
    with pytest.raises(nntune.TrialPruned):
        objective(trial)
    stored = study.storage.get_trial(study.id, trial.number)
    assert stored.system_attrs["stopped_by"] == "user" and list(stored.intermediate_values) == [1]
    assert [r["epochs"] for r in stored.user_attrs["executions"]] == [1, 1]
