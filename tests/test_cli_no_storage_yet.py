"""A command that reads a study, run where nothing has been tuned yet, says what to do first."""

import pytest

FIRST_STEP = ("nntune: error: storage: no such SQLite file: nntune.db (no study is stored there yet: "
              "run nntune tune first, or give --storage an existing storage's URL)\n")


@pytest.mark.parametrize("command", [
    ["show"], ["report"], ["dashboard", "--no-browser"], ["test"], ["studies"], ["study-names"],
    ["export", "--study", "digits-mlp"], ["trials", "--study", "digits-mlp"],
    ["ensemble", "--study", "digits-mlp"], ["export-model", "--study", "digits-mlp"],
    ["trial", "changes", "--study", "digits-mlp", "--trial", "0"],
])
def test_an_empty_folder_is_told_to_tune_first_and_keeps_empty(call_cli, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli(*command)
    assert (code, out, err) == (2, "", FIRST_STEP)
    assert list(tmp_path.iterdir()) == []  # no empty nntune.db left behind


def test_a_missing_journal_is_told_the_same(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("show", "--storage", "journal://runs.log")
    assert code == 2 and err == FIRST_STEP.replace("SQLite file: nntune.db", "journal file: runs.log")
    assert list(tmp_path.iterdir()) == []
