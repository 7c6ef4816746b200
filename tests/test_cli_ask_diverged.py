"""A trial of several objectives told a nan (diverged) on the command line: ``trials`` and
``export`` show it with empty values, as Optuna shows its failed trial, and ``tell`` says
what it was given."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'mo.db'}"


def test_trials_and_export_show_a_diverged_trial_of_two_objectives(call_cli, url):
    S = ("--storage", url, "--study-name", "mo")
    assert call_cli("create-study", *S, "--directions", "maximize", "minimize")[0] == 0
    assert call_cli("ask", *S, "--search-space", '{"x": {"type": "float", "low": 0, "high": 1}}')[0] == 0
    code, _, err = call_cli("tell", *S, "--trial-number", "0", "--values", "1", "nan")
    assert code == 0 and "diverged with 1 nan" in err
    code, out, err = call_cli("trials", *S, "-f", "json")
    assert code == 0, err
    row = json.loads(out)[0]
    assert row["state"] == "DIVERGED" and row["values"] == [None, None]
    code, out, err = call_cli("export", "--storage", url, "--study", "mo")
    assert code == 0, err
    header, first = out.splitlines()[:2]
    assert header.startswith("number,values_0,values_1,") and first.startswith("0,,,")
