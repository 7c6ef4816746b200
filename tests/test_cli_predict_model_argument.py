"""``nntune predict MODEL INPUTS``: a model file that is missing or not one is named as the
argument the user gave, model, not as load_model's parameter (path)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize("given, problem", [
    ("gone.pt", "no model file at gone.pt"),
    ("rows.csv", "rows.csv is not an nntune model file (nntune-model/1)"),
])
def test_a_bad_model_file_is_named_as_the_model_argument(call_cli, tmp_path: Path, given, problem):
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n")
    code, out, err = call_cli("predict", given, "rows.csv")
    assert (code, out, err) == (2, "", f"nntune: error: model: {problem}\n")
