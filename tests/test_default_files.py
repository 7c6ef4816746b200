"""Two study names that differ only in what ``safe_name`` replaces (``a b``, ``a_b``) share
their default files (``models/a_b.pt``, ``reports/a_b.html``): tuning one replaced the other's
best model and report without a word. A study's default file that another study's file holds
is now written under its name with a digest of the whole name; a study keeps the files it had."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
import yaml

import nntune
from nntune._default_files import model_file_study, model_path_for, report_path_for, report_study
from nntune.exceptions import ConfigError

DIGEST = hashlib.sha256(b"a_b").hexdigest()[:12]


def _model(path: Path, study: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": "nntune-model", "study": study}, path)


def _report(path: Path, study: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!DOCTYPE html><html><head><title>nntune report: {study}</title></head></html>")


def test_a_default_path_another_study_holds_gets_the_name_with_its_digest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert model_path_for("a_b", "--model-file") == Path("models/a_b.pt")  # nothing there: the name as before
    _model(tmp_path / "models/a_b.pt", "a b")
    _report(tmp_path / "reports/a_b.html", "a b")
    assert model_path_for("a_b", "--model-file") == Path(f"models/a_b-{DIGEST}.pt")
    assert report_path_for("a_b", "--report") == Path(f"reports/a_b-{DIGEST}.html")
    # the study whose files they are keeps them where they are, a name with a space included
    assert model_path_for("a b", "--model-file") == Path("models/a_b.pt")
    assert report_path_for("a b", "--report") == Path("reports/a_b.html")


def test_a_pareto_fronts_files_beside_the_default_count_as_its_studys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _model(tmp_path / "models/a_b-trial3.pt", "a b")  # several objectives: no models/a_b.pt, its front beside
    assert model_path_for("a_b", "--model-file") == Path(f"models/a_b-{DIGEST}.pt")
    assert model_path_for("a b", "--model-file") == Path("models/a_b.pt")


def test_a_file_of_no_study_is_no_other_studys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models/a_b.pt").write_text("mine")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/a_b.html").write_text("<html><title>my page</title></html>")
    assert model_file_study(tmp_path / "models/a_b.pt") is None and report_study(tmp_path / "reports/a_b.html") is None
    assert model_path_for("a_b", "--model-file") == Path("models/a_b.pt")
    assert report_path_for("a_b", "--report") == Path("reports/a_b.html")


def test_both_paths_held_is_one_line_naming_the_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _model(tmp_path / "models/a_b.pt", "a b")
    _model(tmp_path / f"models/a_b-{DIGEST}.pt", f"a_b-{DIGEST}")
    with pytest.raises(ConfigError) as err:
        model_path_for("a_b", "--model-file")
    assert str(err.value) == (f"--model-file: models/a_b.pt and models/a_b-{DIGEST}.pt are study 'a_b-{DIGEST}''s; "
                              "give --model-file a path for study 'a_b'")


def test_a_report_title_is_read_as_the_study_named(tmp_path):
    _report(tmp_path / "r.html", "a &amp; b &lt;1&gt;")
    assert report_study(tmp_path / "r.html") == "a & b <1>"


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "task": {"data": "breast_cancer"}, "search": {"trials": 1},
        "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True}}, "fixed": {"epochs": 1}}))
    return f"sqlite:///{tmp_path / 's.db'}"


def test_tuning_a_name_that_shares_a_safe_name_keeps_the_others_files(call_cli, tmp_path, config):
    for study in ("a b", "a_b", "a b"):
        code, out, err = call_cli("tune", "c.yaml", "--study", study, "--storage", config)
        assert code == 0, err
    assert nntune.load_model(tmp_path / "models/a_b.pt").meta["study"] == "a b"
    assert nntune.load_model(tmp_path / f"models/a_b-{DIGEST}.pt").meta["study"] == "a_b"
    assert report_study(tmp_path / "reports/a_b.html") == "a b"
    assert report_study(tmp_path / f"reports/a_b-{DIGEST}.html") == "a_b"
    code, out, err = call_cli("report", "--study", "a_b", "--storage", config)
    assert (code, out.strip()) == (0, f"report written to reports/a_b-{DIGEST}.html"), err
    code, out, err = call_cli("export-model", "--study", "a_b", "--storage", config)
    assert code == 0 and f"written to models/a_b-{DIGEST}.pt" in out, err
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [f"a_b-{DIGEST}.pt", "a_b.pt"]


def test_the_python_api_keeps_the_others_files_too(tmp_path, config):
    for study in ("a b", "a_b"):
        summary = nntune.tune("c.yaml", set={"study": study, "storage": config})
    assert summary.model_path == Path(f"models/a_b-{DIGEST}.pt")
    assert summary.report_path == Path(f"reports/a_b-{DIGEST}.html")
    assert nntune.load_model(tmp_path / "models/a_b.pt").meta["study"] == "a b"
