"""``nntune tune`` ends by naming the commands that read the study further: ``show`` for the
trials' diagnoses (which the summary does not give) and the dashboard. Each is one to
paste: run as printed, it opens the study just tuned."""

from __future__ import annotations

import re
import shlex

import yaml

from nntune.cli_summary import next_steps


def _tune(call_cli, tmp_path, *args: str) -> str:
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"task": {"data": "iris"}, "search": {"trials": 1},
                                                     "fixed": {"epochs": 2}}))
    code, out, err = call_cli("tune", "c.yaml", *args)
    assert code == 0, err
    return out


def _commands(out: str) -> list[list[str]]:
    line = next(line for line in out.splitlines() if line.startswith("next: "))
    return [shlex.split(found) for found in re.findall(r"(nntune (?:show|dashboard)(?: (?:--\S+ (?:'[^']*'|\S+)))*)",
                                                      line)]


def test_a_first_run_is_told_where_its_trials_diagnoses_are(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = _tune(call_cli, tmp_path)
    show, dashboard = _commands(out)
    assert show == ["nntune", "show", "--study", "digits-mlp"]  # the default storage needs no flag
    assert dashboard == ["nntune", "dashboard"]
    code, shown, err = call_cli(*show[1:])
    assert code == 0, err
    assert "top 1 trial of digits-mlp" in shown


def test_the_commands_name_a_storage_of_its_own_and_quote_the_study(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'my runs.db'}"
    out = _tune(call_cli, tmp_path, "--storage", url, "--study", "iris run")
    show, dashboard = _commands(out)
    assert show == ["nntune", "show", "--study", "iris run", "--storage", url]
    assert dashboard == ["nntune", "dashboard", "--storage", url]
    code, shown, err = call_cli(*show[1:])
    assert code == 0, err
    assert "of iris run" in shown


def test_a_password_in_the_storage_is_not_printed():
    line = next_steps("s", "postgresql://tuner:secret@dbhost/nntune")
    assert "secret" not in line and "--storage 'postgresql://tuner:***@dbhost/nntune'" in line
