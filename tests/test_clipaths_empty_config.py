"""An empty config argument (an unset shell variable: ``nntune tune "$CFG"``) is refused as
empty, not read as ".", the current folder, and nothing is started or written."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError

EMPTY = "nntune: error: config: must not be empty; give a YAML file, or leave the argument out"


@pytest.mark.parametrize("command", [["tune"], ["tune", "--dry-run"], ["test"], ["ensemble", "--study", "s"],
                                     ["babysit"], ["export-model"]])
def test_an_empty_config_argument_is_refused_as_empty(tmp_path, monkeypatch, call_cli, command):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli(*command, "", "--storage", f"sqlite:///{tmp_path / 's.db'}")
    assert (code, out, err.strip()) == (2, "", EMPTY)
    assert list(tmp_path.iterdir()) == []  # no storage, no report, no model


def test_the_current_folder_as_config_is_still_said_to_be_a_folder(tmp_path, monkeypatch, call_cli):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", ".")
    assert (code, err.strip()) == (2, "nntune: error: config: . is a folder, not a YAML file")


def test_tune_from_python_refuses_an_empty_config_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^config: must not be empty; give a YAML file"):
        nntune.tune("")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["tune", "test", "ensemble", "babysit", "export-model"])
def test_the_config_argument_is_still_shown_as_a_path(call_cli, command):
    code, out, _ = call_cli(command, "--help")
    assert code == 0
    assert any(line.split()[1:3] == ["config", "<path>"] for line in out.splitlines())  # not <str>


@pytest.mark.parametrize("args, says", [
    (["export-model", "--storage", "{url}", "--study", "s", "-o", ""], "--output: must not be empty; give a file name"),
    (["export", "--storage", "{url}", "--study", "s", "-o", ""],
     "--output: must not be empty; give a file name, or leave it out for stdout"),
    (["predict", "m.pt", "rows.csv", "-o", ""],
     "--output: must not be empty; give a file name, or leave it out for stdout"),
    (["predict", "", "rows.csv"], "model: must not be empty; give a model file"),
    (["predict", "m.pt", ""], "inputs: must not be empty; give a CSV, an .npz file, an image or a folder of images"),
])
def test_an_empty_path_of_the_model_and_export_commands_is_refused_as_empty(tmp_path, monkeypatch, call_cli, args,
                                                                            says):
    """As a Path, "" was ".": "--output: . is a folder", or -o "" read as no -o at all."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'store' / 's.db'}"
    code, out, err = call_cli(*(a.format(url=url) for a in args))
    assert (code, out, err.strip()) == (2, "", f"nntune: error: {says}")
    assert list(tmp_path.iterdir()) == []
