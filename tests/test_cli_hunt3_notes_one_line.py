"""``nntune tune > file`` or ``| grep``: the notes and warnings around the leaderboard are one
line each, not wrapped at 80 columns or at the table's width; a class named like markup
(``[rare]``) is printed as named."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import nntune_command

CONFIG = ("study: s\ntask: {data: {kind: csv, path: data/x.csv, target: y}}\n"
          "search: {trials: 2, seed: 0}\nfixed: {epochs: 1, units: 4, layers: 1}\n")


def _imbalanced(folder) -> None:
    """200 rows, 3% of them of the class ``[rare]``: accuracy draws the long imbalance note."""
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    table["y"] = np.where(table.a > 1.7, "[rare]", "common")
    (folder / "data").mkdir()
    table.to_csv(folder / "data" / "x.csv", index=False)
    (folder / "c.yaml").write_text(CONFIG)


def _assert_one_line_each(out: str) -> None:
    lines = out.splitlines()
    imbalance = [line for line in lines if "accuracy rewards ignoring it" in line]
    assert len(imbalance) == 1, out
    assert imbalance[0].startswith("warning: class 0 ([rare]) is only 3% of the training samples")
    assert imbalance[0].endswith("or balanced_accuracy"), out  # the whole note on its one line
    no_space = [line for line in lines if line.startswith("warning: the config has no space")]
    assert len(no_space) == 1 and no_space[0].endswith("(see the README)"), out
    summary = [line for line in lines if line.startswith("trials: 2 complete")]
    assert len(summary) == 1 and summary[0].endswith("the study holds 2 trials"), out


@pytest.mark.slow
def test_tune_into_a_pipe_prints_each_note_on_one_line(tmp_path):
    _imbalanced(tmp_path)
    done = subprocess.run([*nntune_command(), "tune", "c.yaml", "--storage", f"sqlite:///{tmp_path / 't.db'}"],
                          cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "60"})
    assert done.returncode == 0, done.stderr
    _assert_one_line_each(done.stdout)


@pytest.mark.slow
def test_tune_json_puts_the_unwrapped_notes_on_stderr(tmp_path, monkeypatch, call_cli):
    _imbalanced(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "c.yaml", "--storage", f"sqlite:///{tmp_path / 't.db'}", "--json")
    assert code == 0, err
    _assert_one_line_each(err)
    assert out.count("\n") == 1 and out.startswith("{")
