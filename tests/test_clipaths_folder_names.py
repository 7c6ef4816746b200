"""An output file named with a trailing separator (``--model-file out/``, ``-o reports/``)
is a folder the user had in mind: it is refused in one line, before anything runs. It was
written as a file named ``out``, beside the folder the user meant."""

from __future__ import annotations

import pytest

from nntune._files import given_path
from nntune.exceptions import ConfigError

COMMANDS = [
    (["tune", "--trials", "1", "--model-file", "out/"], "--model-file: out/ names a folder"),
    (["tune", "--trials", "1", "--report", "out/"], "--report: out/ names a folder"),
    (["report", "--study", "s", "-o", "out/"], "--output: out/ names a folder"),
    (["export", "--study", "s", "-o", "out/"], "--output: out/ names a folder"),
    (["export-model", "--study", "s", "-o", "out/"], "--output: out/ names a folder"),
    (["predict", "m.pt", "rows.csv", "-o", "out/"], "--output: out/ names a folder"),
]


@pytest.mark.parametrize("args, said", COMMANDS, ids=[" ".join(a[:1] + a[-2:-1]) for a, _ in COMMANDS])
def test_a_file_name_ending_in_a_separator_is_refused(call_cli, tmp_path, monkeypatch, args, said):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli(*args)
    assert (code, out) == (2, ""), err
    assert len(err.splitlines()) == 1 and err.startswith(f"nntune: error: {said} (it ends with /)"), err
    assert not list(tmp_path.iterdir())  # no study, no model file, no report


def test_only_a_file_s_path_is_refused_so():
    with pytest.raises(ConfigError, match=r"^--out: out/ names a folder \(it ends with /\); give a file$"):
        given_path("out/", "--out", "give a file", file=True)
    assert str(given_path("photos/", "inputs", "give a folder")) == "photos"  # a folder to read stays one
    assert str(given_path("out.pt", "--out", "give a file", file=True)) == "out.pt"
