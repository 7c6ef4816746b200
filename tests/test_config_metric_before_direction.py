"""The metric decides the direction, so a metric the data cannot be scored by is named before
a direction written for it: ``maximize rmse`` on iris once said to set minimize, and the
next run then refused rmse itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from nntune.config import parse_config
from nntune.config_objectives import BUNDLED_KINDS, known_task_type
from nntune.exceptions import ConfigError
from nntune.train.datasets import dataset_names


def _problem(task: dict) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config({"storage": "sqlite:///t.db", "task": task})
    return info.value


@pytest.mark.parametrize("task, kind", [
    ({"data": "iris", "metric": "rmse", "direction": "maximize"}, "classification"),
    ({"data": "iris", "metric": ["rmse", "params"], "direction": ["maximize", "minimize"]}, "classification"),
    ({"data": "diabetes", "metric": "accuracy", "direction": "minimize"}, "regression"),
    ({"data": "diabetes", "metric": ["accuracy", "params"], "direction": ["minimize"]}, "regression"),
    ({"data": {"kind": "csv", "path": "t.csv", "target": "y", "task": "regression"}, "metric": "f1",
      "direction": "minimize"}, "regression"),
])
def test_a_metric_of_the_other_kind_of_task_is_named_before_the_direction(task, kind):
    err = _problem(task)
    assert err.field == "task.metric", err
    assert f"is not a {kind} metric" in err.problem


def test_a_direction_against_a_metric_that_fits_the_data_is_still_refused():
    assert _problem({"data": "diabetes", "metric": "rmse", "direction": "maximize"}).field == "task.direction"
    assert _problem({"data": "iris", "metric": "accuracy", "direction": "minimize"}).field == "task.direction"


def test_tune_names_the_metric_and_writes_nothing(call_cli, tmp_path: Path):
    code, out, err = call_cli("tune", "--set", "task.data=iris", "--set", "task.metric=rmse",
                              "--set", "task.direction=maximize", "--storage", "sqlite:///t.db")
    assert (code, out) == (2, "")
    assert err.startswith("nntune: error: task.metric: 'rmse' is not a classification metric;") and \
        err.count("\n") == 1, err
    assert not list(tmp_path.iterdir())


def test_the_bundled_kinds_are_those_of_the_bundled_data():
    assert sorted(BUNDLED_KINDS) == sorted(dataset_names())
    from nntune.train.datasets import BUNDLED

    for name in ("digits", "breast_cancer", "wine", "iris", "diabetes"):  # read in a moment, no download
        assert BUNDLED[name]({}).task_type == BUNDLED_KINDS[name], name


def test_data_whose_kind_only_reading_tells_is_left_to_the_reading():
    assert known_task_type({"kind": "csv", "path": "t.csv", "target": "y"}) is None
    assert known_task_type("no_such_set") is None
    assert known_task_type({"kind": "csv", "task": "clustering"}) is None  # refused where the file is read
