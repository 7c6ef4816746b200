"""The best trial's line when the config searches nothing: no dangling "with"."""

from __future__ import annotations

import re

import yaml


def test_a_study_without_a_space_says_its_best_trial_has_no_searched_parameters(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"task": {"data": "iris"}, "search": {"trials": 1}, "fixed": {"epochs": 1}}))
    code, out, err = call_cli("tune", str(config), "--storage", f"sqlite:///{tmp_path / 's.db'}", "--study", "s",
                              "--report", str(tmp_path / "r.html"), "--model-file", str(tmp_path / "m.pt"))
    assert code == 0, err
    line = " ".join((out + err).split())
    assert re.search(r"best trial 0: validation accuracy [0-9.]+ \(no searched parameters\)", line), line
    assert " with test (0)" not in line
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert re.search(r"best trial 0: validation accuracy [0-9.]+ \(no searched parameters\)", page)
