"""A storage URL whose folder is a file: ``nntune tune`` says that file is no folder, in
one line with exit code 2, instead of SQLite's "unable to open database file" read as a
missing folder, or the OS's bare "File exists"; and nothing is made."""

from __future__ import annotations

import pytest

CONFIG = """\
study: s
task: {data: diabetes, model: mlp, metric: rmse, direction: minimize}
space:
  lr: {type: float, low: 1.0e-3, high: 1.0e-1, log: true}
fixed: {epochs: 1}
"""


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/afile/x.db", "sqlite:///{tmp}/afile/sub/x.db",
                                 "journal://{tmp}/afile/j.log", "journal://{tmp}/afile/sub/j.log"])
def test_a_storage_under_a_file_names_the_file(call_cli, tmp_path, monkeypatch, url):
    pytest.importorskip("sqlalchemy")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg.yaml").write_text(CONFIG)
    (tmp_path / "afile").write_text("kept\n")
    code, out, err = call_cli("tune", "cfg.yaml", "--trials", "1", "--storage", url.format(tmp=tmp_path))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [err.strip()] and err.startswith("nntune: error: storage: ")
    assert f"{tmp_path / 'afile'} is a file, not a folder" in err
    assert "does not exist" not in err and "File exists" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "cfg.yaml"]
    assert (tmp_path / "afile").read_text() == "kept\n"


def test_a_missing_folder_is_still_said_missing(call_cli, tmp_path, monkeypatch):
    pytest.importorskip("sqlalchemy")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg.yaml").write_text(CONFIG)
    code, _, err = call_cli("tune", "cfg.yaml", "--trials", "1", "--storage", f"sqlite:///{tmp_path}/no/x.db")
    assert code == 2 and f"the folder {tmp_path / 'no'} does not exist" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cfg.yaml"]
