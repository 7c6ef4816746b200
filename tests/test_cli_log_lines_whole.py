"""Into a log (no terminal), ``nntune lab``'s verdict and ``nntune ensemble``'s lines are
printed whole: wrapped at 80 columns, "-> held" fell apart over two lines and a grep for a
test metric missed its line."""

from __future__ import annotations

import re


def test_a_labs_verdict_is_one_line(call_cli, tmp_path):
    code, out, err = call_cli("lab", "search-scale", "--quick", "--out", str(tmp_path / "labs"))
    assert code == 0, err
    verdict = out.splitlines()[0]
    assert verdict.startswith("search-scale: ") and re.search(r" -> held \([0-9.]+s\)$", verdict), out


def test_an_ensembles_lines_are_whole(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--trials", "2", "--set", "fixed.epochs=1", "--set", "task.train_size=0.3")
    assert code == 0, err
    code, out, err = call_cli("ensemble", "--study", "digits-mlp", "--top", "2")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3 and all("balanced_accuracy" in line for line in lines[:2]), out
    assert lines[2] == "the test split has now been evaluated 2 times"
