"""task.metric as a list of objectives and task.constraints: parsed, or one line naming the field."""

from __future__ import annotations

import pytest

from nntune.config import parse_config
from nntune.config_objectives import Bound, constraint_values
from nntune.exceptions import ConfigError


def task(**fields):
    return parse_config({"task": fields})


def test_a_list_of_metrics_takes_each_metrics_own_direction():
    cfg = task(metric=["accuracy", "params"])
    assert cfg.task.is_multi_objective and cfg.task.objectives == ["accuracy", "params"]
    assert cfg.task.directions == ["maximize", "minimize"] and cfg.task.trained_metric == "accuracy"
    assert cfg.task.costs == {"params"}
    cfg = task(metric=["latency_ms", "mse"])
    assert cfg.task.directions == ["minimize", "minimize"] and cfg.task.trained_metric == "mse"
    cfg = task(metric=["accuracy", "latency_ms"], direction=["maximize", "maximize"])
    assert cfg.task.directions == ["maximize", "maximize"]


def test_one_metric_stays_a_single_objective_and_a_constraint_asks_for_its_cost():
    cfg = task(metric="f1", constraints={"latency_ms": {"max": 2.5}})
    assert not cfg.task.is_multi_objective and cfg.task.directions == ["maximize"]
    assert cfg.task.costs == {"latency_ms"}


@pytest.mark.parametrize("fields, search, field, words", [
    ({"metric": ["accuracy"]}, {}, "task.metric", "two or more"),
    ({"metric": ["accuracy", "f1"]}, {}, "task.metric", "one trained metric"),
    ({"metric": ["params", "latency_ms"]}, {}, "task.metric", "one trained metric"),
    ({"metric": ["accuracy", "flops"]}, {}, "task.metric", "unknown metric 'flops'"),
    ({"metric": ["accuracy", "params", "params"]}, {}, "task.metric", "twice"),
    ({"metric": "params"}, {}, "task.metric", "unknown metric"),
    ({"metric": ["accuracy", "params"], "direction": "maximize"}, {}, "task.direction", "list of 2"),
    ({"metric": ["accuracy", "params"], "direction": ["maximize"]}, {}, "task.direction", "1 directions for 2"),
    ({"constraints": {"f1": {"max": 1}}}, {}, "task.constraints.f1", "trained metric (accuracy)"),
    ({"constraints": {"params": {}}}, {}, "task.constraints.params", "min, max or both"),
    ({"constraints": {"params": {"min": 9, "max": 1}}}, {}, "task.constraints.params", "above max"),
    ({"constraints": {"params": {"most": 9}}}, {}, "task.constraints.params.most", "unknown key"),
    ({"constraints": {"params": {"max": "many"}}}, {}, "task.constraints.params.max", "number"),
    ({"constraints": {"params": {"max": float("nan")}}}, {}, "task.constraints.params.max", "finite"),
    ({"constraints": {"accuracy": {"min": float("-inf")}}}, {}, "task.constraints.accuracy.min", "finite"),
    ({"metric": ["accuracy", "params"]}, {"scheduler": "asha"}, "search.scheduler", "undefined for 2 objectives"),
    ({"metric": ["accuracy", "params"]}, {"scheduler": "median"}, "search.scheduler", "undefined"),
    ({"metric": ["accuracy", "params"]}, {"patience": 3}, "search.patience", "one best value"),
    ({"metric": ["accuracy", "params"]}, {"ensemble": 3}, "search.ensemble", "one best value"),
    ({"metric": "recall", "beta": 2}, {}, "task.beta", "fbeta only"),
    ({"metric": ["accuracy", "params"], "beta": 0.5}, {}, "task.beta", "fbeta only"),
])
def test_bad_objectives_and_constraints_name_the_field(fields, search, field, words):
    with pytest.raises(ConfigError) as err:
        parse_config({"task": fields, "search": search})
    assert err.value.field == field and words in err.value.problem, str(err.value)


def test_constraint_values_are_at_most_zero_when_met_and_say_how_far_off_otherwise():
    bounds = {"params": Bound(max=1000), "accuracy": Bound(min=0.9, max=0.99)}
    assert constraint_values(bounds, {"params": 800, "accuracy": 0.95}) == pytest.approx([-200, -0.05, -0.04])
    assert constraint_values(bounds, {"params": 1500, "accuracy": 0.5}) == pytest.approx([500, 0.4, -0.49])
    assert constraint_values(bounds, {"accuracy": 0.95})[0] > 1e100  # never measured: not feasible


def test_a_scheduler_with_several_objectives_stops_the_cli_before_anything_is_written(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--set", "task.metric=[accuracy, params]", "--set", "task.direction=null",
                            "--scheduler", "hyperband", "--storage", f"sqlite:///{tmp_path / 's.db'}")
    assert code == 2, err
    assert err.strip().splitlines() == [err.strip()] and err.startswith("nntune: error: search.scheduler: ")
    assert list(tmp_path.iterdir()) == []


def test_beta_is_taken_with_fbeta_and_left_at_one_elsewhere():
    assert task(metric="fbeta", beta=2).task.beta == 2.0
    assert task(metric=["fbeta", "params"], beta=0.5).task.beta == 0.5
    assert task(metric="accuracy", beta=1.0).task.beta == 1.0  # as a stored config holds it


@pytest.mark.parametrize("task, message", [
    ({"data": "diabetes", "metric": "rmse", "direction": "maximize"}, "maximize rmse, where lower is better"),
    ({"data": "digits", "metric": "accuracy", "direction": "minimize"}, "minimize accuracy, where higher is better"),
    ({"data": "digits", "metric": ["accuracy", "params"], "direction": ["minimize", "minimize"]},
     "minimize accuracy"),
])
def test_a_direction_against_the_metrics_own_is_refused(task, message):
    from nntune.config import parse_config

    with pytest.raises(ConfigError, match=f"^task.direction: {message}"):
        parse_config({"task": task})
