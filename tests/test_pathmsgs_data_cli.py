"""``nntune tune`` with a ``task.data.path`` that is empty, a named pipe or a device: one
line naming the field and what the path is (never "a folder"), exit code 2, nothing made,
also under --dry-run."""

from __future__ import annotations

import os

import pytest

CONFIG = """\
study: s
storage: sqlite:///s.db
task:
  data: {{kind: csv, path: {path}, target: y, task: regression}}
  model: mlp
  metric: rmse
  direction: minimize
space:
  lr: {{type: float, low: 1.0e-3, high: 1.0e-1, log: true}}
fixed: {{epochs: 1}}
"""


@pytest.mark.parametrize("dry", [True, False])
@pytest.mark.parametrize("path, says", [
    ("''", "task.data.path: must not be empty"),
    ("rows.csv", "rows.csv is a named pipe, not a regular file"),
    (os.devnull, f"{os.devnull} is a character device, not a regular file"),
])
def test_a_data_path_that_is_no_file_is_one_line(call_cli, tmp_path, monkeypatch, path, says, dry):
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "rows.csv")
    (tmp_path / "cfg.yaml").write_text(CONFIG.format(path=path))
    code, out, err = call_cli("tune", "cfg.yaml", "--trials", "1", *(["--dry-run"] if dry else []))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [err.strip()] and err.startswith("nntune: error: task.data.path: ")
    assert says in err and " is a folder" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cfg.yaml", "rows.csv"]
