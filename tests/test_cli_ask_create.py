"""``nntune create-study --skip-if-exists`` on a study that exists: a space or directions
that differ from the stored ones are refused in one line naming the option given."""

from __future__ import annotations

import json

import pytest

X = json.dumps({"x": {"type": "float", "low": 0, "high": 1}})
X_OPTUNA = json.dumps({"x": {"name": "FloatDistribution", "attributes": {"low": 0, "high": 1}}})
Y = json.dumps({"y": {"type": "float", "low": 0, "high": 1}})


@pytest.fixture
def study(tmp_path):
    return ("--storage", f"sqlite:///{tmp_path / 'c.db'}", "--study-name", "s")


def test_skip_if_exists_refuses_a_space_the_study_would_not_use(call_cli, study):
    assert call_cli("create-study", *study, "--search-space", X)[0] == 0
    for same in (X, X_OPTUNA):  # the same space in either shape: the study is used
        code, out, err = call_cli("create-study", *study, "--skip-if-exists", "--search-space", same)
        assert (code, out.strip()) == (0, "s"), err
    code, _, err = call_cli("create-study", *study, "--skip-if-exists", "--search-space", Y)
    assert code == 2 and err.startswith("nntune: error: --search-space: study 's' exists with another space")
    code, out, _ = call_cli("ask", *study)
    assert code == 0 and list(json.loads(out)["params"]) == ["x"]


def test_skip_if_exists_names_directions_when_they_differ(call_cli, study):
    assert call_cli("create-study", *study)[0] == 0
    code, _, err = call_cli("create-study", *study, "--skip-if-exists", "--directions", "minimize", "maximize")
    assert code == 2 and err.startswith("nntune: error: --directions: study 's' was created to minimize")
    code, _, err = call_cli("create-study", *study, "--skip-if-exists", "--search-space", X)
    assert code == 2 and "exists with no space" in err


@pytest.mark.parametrize("storage", ["memory", "sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_storage_is_refused_rather_than_a_study_that_vanishes(call_cli, storage):
    code, out, err = call_cli("create-study", "--storage", storage, "--study-name", "gone")
    assert code == 2 and out == ""
    assert err.startswith("nntune: error: --storage: an in-memory study ends with the command")


def test_an_empty_study_name_is_refused_not_replaced_by_a_generated_one(call_cli, tmp_path):
    # Optuna stores a study named "": nntune's configs refuse that name, and a report of it
    # would be reports/.html, so the name is refused before the storage is made.
    url = f"sqlite:///{tmp_path / 'e.db'}"
    code, out, err = call_cli("create-study", "--storage", url, "--study-name", "")
    assert (code, out) == (2, "") and err == "nntune: error: --study-name: must not be empty; leave it out for " \
                                            "a generated name\n"
    assert not (tmp_path / "e.db").exists()
