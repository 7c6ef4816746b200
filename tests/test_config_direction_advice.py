"""The embedded default's direction follows the metric put in its place; a direction set
against the metric is told how to change it."""

from __future__ import annotations

import json


def test_the_default_tasks_metric_changed_brings_its_own_direction(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # the embedded default's direction is accuracy's own: a metric set in its place is
    # optimized its own way, with no direction of the user's to leave out
    code, out, err = call_cli("tune", "--set", "task.data=diabetes", "--set", "task.metric=rmse",
                              "--storage", f"sqlite:///{tmp_path / 's.db'}", "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["directions"] == ["minimize"]
    # a direction of the user's own against the metric is still refused
    code, _, err = call_cli("tune", "--set", "task.data=diabetes", "--set", "task.metric=rmse",
                            "--set", "task.direction=maximize", "--storage", f"sqlite:///{tmp_path / 's.db'}",
                            "--dry-run")
    assert code == 2
    line = " ".join(err.split())
    assert line.startswith("nntune: error: task.direction: maximize rmse, where lower is better")
    code, out, err = call_cli("tune", "--set", "task.data=diabetes", "--set", "task.metric=rmse",
                              "--set", "task.direction=minimize", "--storage", f"sqlite:///{tmp_path / 's.db'}",
                              "--dry-run")
    assert code == 0, err
