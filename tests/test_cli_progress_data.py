"""``nntune tune``'s first line names the data a run tunes on: a built-in set by its name,
a file of the user's by its kind and its path, as the config gives them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from nntune.cli_progress import tune_header
from nntune.config import parse_config


def _header(data: object) -> str:
    console = Console(file=io.StringIO(), width=200, record=True)
    console.print(tune_header(parse_config({"study": "s", "task": {"data": data}}), "sqlite:///nntune.db",
                              "maximize validation accuracy"))
    return console.export_text().strip()


def test_a_built_in_data_set_is_named():
    assert _header("iris") == "study s in sqlite:///nntune.db: mlp on iris, maximize validation accuracy"


@pytest.mark.parametrize("path", ["data/a.npz", "runs [1]/b.npz"])
def test_a_file_of_ones_own_is_named_by_its_kind_and_its_path(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / path).parent.mkdir(parents=True)
    np.savez(tmp_path / path, x=np.zeros((10, 2)), y=np.arange(10) % 2)
    assert _header({"kind": "npz", "path": path}) == (
        f"study s in sqlite:///nntune.db: mlp on npz {path}, maximize validation accuracy")
