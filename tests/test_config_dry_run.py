"""``nntune tune --dry-run`` refuses what the run would: a config other than a stored study's."""

from __future__ import annotations

import pytest


@pytest.mark.slow  # one short tuning run
def test_dry_run_refuses_resuming_a_study_with_other_fixed_values(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert call_cli("tune", "--trials", "1", "--set", "fixed.epochs=1", "--set", "space={}")[0] == 0
    before = (tmp_path / "nntune.db").stat().st_mtime_ns
    code, out, err = call_cli("tune", "--trials", "2", "--set", "fixed.epochs=2", "--set", "space={}", "--dry-run")
    assert (code, out) == (2, "")
    assert err.startswith("nntune: error: fixed.epochs: 2 here, 1 in the config study 'digits-mlp' was tuned with")
    assert err.count("\n") == 1 and (tmp_path / "nntune.db").stat().st_mtime_ns == before


def test_dry_run_of_a_new_study_creates_no_storage(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--set", "fixed.epochs=1", "--set", "space={}", "--dry-run")
    assert code == 0, err
    assert not (tmp_path / "nntune.db").exists()


def test_a_refused_resume_prints_no_warning_before_its_error(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert call_cli("tune", "--trials", "1", "--set", "fixed.epochs=1", "--storage", url)[0] == 0
    code, out, err = call_cli("tune", "--set", "fixed.epochs=2", "--set", "space={}", "--storage", url)
    assert code == 2 and err.startswith("nntune: error: fixed.epochs") and "warning" not in out + err
