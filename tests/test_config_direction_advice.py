"""A metric whose direction contradicts the embedded default's is told how to change it."""

from __future__ import annotations


def test_the_default_tasks_maximize_is_refused_with_the_direction_to_set(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # the embedded default holds direction: maximize, so "leave direction out" alone cannot be done
    code, _, err = call_cli("tune", "--set", "task.data=diabetes", "--set", "task.metric=rmse",
                            "--storage", f"sqlite:///{tmp_path / 's.db'}", "--dry-run")
    assert code == 2
    line = " ".join(err.split())
    assert line.startswith("nntune: error: task.direction: maximize rmse, where lower is better")
    assert line.endswith("or set it to minimize")
    code, out, err = call_cli("tune", "--set", "task.data=diabetes", "--set", "task.metric=rmse",
                              "--set", "task.direction=minimize", "--storage", f"sqlite:///{tmp_path / 's.db'}",
                              "--dry-run")
    assert code == 0, err
