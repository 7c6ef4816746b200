"""``nntune ask --sampler X --sampler-kwargs JSON`` that cannot draw the space (a grid that
lacks a parameter, a keyword argument of the wrong shape): one line naming the option, and
no trial started."""

from __future__ import annotations

import json

import pytest


def test_a_grid_without_a_parameter_of_the_space_is_refused_before_a_trial(call_cli, tmp_path):
    study = ("--storage", f"sqlite:///{tmp_path / 'g.db'}", "--study-name", "g")
    assert call_cli("create-study", *study)[0] == 0
    code, _, err = call_cli("ask", *study, "--sampler", "GridSampler", "--sampler-kwargs",
                            json.dumps({"search_space": {"z": [0, 1]}}),
                            "--search-space", json.dumps({"x": {"type": "int", "low": 0, "high": 1}}))
    assert code == 2
    assert err.strip() == ("nntune: error: --sampler-kwargs.search_space: has no values for x of the search space "
                           "(the grid holds z)")
    code, out, _ = call_cli("trials", *study, "-f", "json")
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize(("sampler", "kwargs", "line"), [
    ("GridSampler", {"search_space": "abc"},
     '--sampler-kwargs.search_space: expected a mapping of parameter names to lists of values, got "abc"'),
    ("GridSampler", {"search_space": {"x": 3}},
     '--sampler-kwargs.search_space: expected a mapping of parameter names to lists of values, got {"x": 3}'),
    ("QMCSampler", {"seed": -1}, "--sampler-kwargs: QMCSampler: "),
])
def test_sampler_kwargs_its_constructor_lets_through_are_one_line(call_cli, tmp_path, sampler, kwargs, line):
    study = ("--storage", f"sqlite:///{tmp_path / 'k.db'}", "--study-name", "k")
    assert call_cli("create-study", *study)[0] == 0
    code, _, err = call_cli("ask", *study, "--sampler", sampler, "--sampler-kwargs", json.dumps(kwargs),
                            "--search-space", json.dumps({"x": {"type": "float", "low": 0, "high": 1}}))
    assert code == 2 and err.startswith(f"nntune: error: {line}") and len(err.strip().splitlines()) == 1
    code, out, _ = call_cli("trials", *study, "-f", "json")
    assert code == 0 and json.loads(out) == []
