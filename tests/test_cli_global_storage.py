"""Optuna's global ``--storage`` and ``--storage-class`` (given before the command) and its
``OPTUNA_STORAGE`` variable reach the study commands: the command's own ``--storage`` wins
over the global one, which wins over the variable."""

from __future__ import annotations

import json

import pytest

import nntune
from nntune.cli_study import global_storage_defaults


@pytest.fixture
def urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no nntune.db here: the default storage is missing
    monkeypatch.delenv("OPTUNA_STORAGE", raising=False)
    here, there = f"sqlite:///{tmp_path / 'here.db'}", f"sqlite:///{tmp_path / 'there.db'}"
    nntune.create_study(study_name="s", storage=here, direction="maximize")
    nntune.create_study(study_name="t", storage=there)
    return here, there


def test_the_global_storage_reaches_the_study_commands(call_cli, urls):
    here, _ = urls
    code, out, err = call_cli("--storage", here, "trials", "--study-name", "s", "-f", "json")
    assert (code, json.loads(out)) == (0, []), err
    code, out, err = call_cli("--storage", here, "study-names")
    assert (code, out.split()) == (0, ["s"]), err
    code, out, err = call_cli("--storage", here, "study", "set-user-attr", "--study-name", "s", "-k", "a",
                              "--value", "b")
    assert code == 0, err
    assert nntune.load_study(study_name="s", storage=here).user_attrs == {"a": "b"}
    code, _, err = call_cli("--storage", here, "storage", "upgrade")
    assert code == 0, err


def test_the_variable_and_the_order_of_precedence(call_cli, urls, monkeypatch):
    here, there = urls
    monkeypatch.setenv("OPTUNA_STORAGE", there)
    code, out, err = call_cli("study-names")
    assert (code, out.split()) == (0, ["t"]), err
    code, out, err = call_cli("--storage", here, "study-names")  # the global option over the variable
    assert (code, out.split()) == (0, ["s"]), err
    code, out, err = call_cli("--storage", there, "study-names", "--storage", here)  # the command's own first
    assert (code, out.split()) == (0, ["s"]), err


def test_a_missing_storage_and_other_commands_are_one_line(call_cli, urls):
    code, _, err = call_cli("trials", "--study-name", "s")  # nothing given: nntune.db, which is not here
    assert code == 2 and err.count("\n") == 1 and "nntune.db" in err, err
    code, _, err = call_cli("--storage", urls[0], "show")
    assert code == 2 and err.startswith("nntune: error: --storage: ") and err.count("\n") == 1, err


def test_the_global_storage_class_reads_a_journal_path(call_cli, tmp_path, urls):
    code, out, err = call_cli("--storage-class", "JournalFileBackend", "--storage", str(tmp_path / "j.log"),
                              "create-study", "--study-name", "j")
    assert (code, out.strip()) == (0, "j"), err
    assert nntune.get_all_study_names(f"journal://{tmp_path / 'j.log'}") == ["j"]


def test_defaults_without_anything_given():
    assert global_storage_defaults(None, None, {}) == {}
    assert global_storage_defaults(None, None, {"OPTUNA_STORAGE": ""}) == {}
    made = global_storage_defaults(None, None, {"OPTUNA_STORAGE": "sqlite:///e.db"})
    assert made["ask"] == {"storage": "sqlite:///e.db"}
    assert made["storage"] == {"upgrade": {"storage": "sqlite:///e.db"}}
    assert "tune" not in made and "show" not in made
