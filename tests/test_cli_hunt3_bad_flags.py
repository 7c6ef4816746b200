"""Bad flag values refused in one line that names the flag and says what is wrong, with exit
code 2, before anything is written: an empty path (an unset shell variable) is not taken
for the current folder, and ``ask`` with a parameter of another kind than the study's
earlier trials starts no trial to fail."""

from __future__ import annotations

import pytest

import nntune


def _study_with_a_float_x(call_cli, url: str) -> None:
    assert call_cli("create-study", "--storage", url, "--study-name", "s")[0] == 0
    code, _, err = call_cli("ask", "--storage", url, "--study-name", "s", "--search-space",
                            '{"x": {"type": "float", "low": 0, "high": 1}}')
    assert code == 0, err
    assert call_cli("tell", "--storage", url, "--study-name", "s", "--trial-number", "0", "--values", "0.5")[0] == 0


def test_ask_with_another_kind_of_parameter_names_the_space_and_starts_no_trial(tmp_path, call_cli):
    url = f"sqlite:///{tmp_path / 's.db'}"
    _study_with_a_float_x(call_cli, url)
    code, out, err = call_cli("ask", "--storage", url, "--study-name", "s", "--search-space",
                              '{"x": {"type": "int", "low": 0, "high": 5}}')
    assert code == 2 and out == ""
    assert err.strip() == ("nntune: error: --search-space.x: asked as int where earlier trials of this study "
                           "asked float; use another name for the other kind")
    trials = nntune.load_study(study_name="s", storage=url).trials
    assert [t.state.name for t in trials] == ["COMPLETE"]  # no failed trial left behind


@pytest.mark.parametrize("command", ["ask", "create-study"])
def test_an_empty_search_space_is_said_to_be_empty(tmp_path, call_cli, command):
    url = f"sqlite:///{tmp_path / 's.db'}"
    _study_with_a_float_x(call_cli, url)
    name = "s" if command == "ask" else "new"
    code, out, err = call_cli(command, "--storage", url, "--study-name", name, "--search-space", "")
    assert code == 2 and out == ""
    assert err.strip() == ("nntune: error: --search-space: must not be empty; give a mapping of parameter names "
                           "to distributions, or a file")
    assert nntune.get_all_study_names(storage=url) == ["s"]
    assert len(nntune.load_study(study_name="s", storage=url).trials) == 1


@pytest.mark.parametrize("flag", ["--report", "--model-file"])
def test_tune_refuses_an_empty_output_path_before_the_study(tmp_path, monkeypatch, call_cli, flag):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", "task.data=iris", "--trials", "1", "--storage",
                              f"sqlite:///{tmp_path / 't.db'}", flag, "")
    assert code == 2 and out == ""
    assert err.strip() == f"nntune: error: {flag}: must not be empty; give a file name"
    assert list(tmp_path.iterdir()) == []  # no storage, no report, no model


def test_report_refuses_an_empty_output_path(tmp_path, monkeypatch, call_cli):
    url = f"sqlite:///{tmp_path / 's.db'}"
    _study_with_a_float_x(call_cli, url)
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("report", "--storage", url, "--study", "s", "-o", "")
    assert code == 2 and out == ""
    assert err.strip() == "nntune: error: --output: must not be empty; give a file name, or - for stdout"
    assert not [p.name for p in tmp_path.iterdir() if not p.name.startswith("s.db")]  # no page, no reports/


def test_a_study_name_too_long_for_sql_leaves_no_empty_database(tmp_path, monkeypatch, call_cli):
    monkeypatch.chdir(tmp_path)
    name = "x" * 600
    problem = "is 600 characters long; an SQL storage keeps names of at most 512"
    code, out, err = call_cli("tune", "--set", "task.data=iris", "--trials", "1", "--storage",
                              f"sqlite:///{tmp_path / 't.db'}", "--study", name)
    assert (code, out, err.strip()) == (2, "", f"nntune: error: study: {problem}")
    code, out, err = call_cli("create-study", "--storage", f"sqlite:///{tmp_path / 'c.db'}", "--study-name", name)
    assert (code, out, err.strip()) == (2, "", f"nntune: error: --study-name: {problem}")
    assert list(tmp_path.iterdir()) == []  # neither database file was made
