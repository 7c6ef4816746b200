"""``nntune tune`` in which no trial has a value (every one diverged) says so in one line, as
``nntune show`` does, instead of a "top 0 trials" title over an empty table."""

from __future__ import annotations

import yaml


def test_a_search_with_no_value_prints_no_empty_leaderboard(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.yaml").write_text(yaml.safe_dump({
        "study": "div", "task": {"data": "digits", "train_size": 0.3},
        "space": {"lr": {"type": "float", "low": 1.0e3, "high": 1.0e6, "log": True}},  # every trial's loss blows up
        "fixed": {"epochs": 1, "optimizer": "sgd"}, "search": {"trials": 2}}))
    code, out, err = call_cli("tune", "d.yaml")
    assert code == 0, err
    assert "trials: 0 complete, 0 pruned, 0 failed, 2 diverged" in out
    assert "no trial of div has a value yet" in out.splitlines()
    assert "top 0 trials" not in out and "┏" not in out
