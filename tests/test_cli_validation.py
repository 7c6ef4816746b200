"""Fixed values checked against the trainer before anything is written; failures shown."""

import json

import pytest
import yaml


@pytest.mark.parametrize("assignment, field", [
    ("fixed.epochs=zero", "fixed.epochs"),
    ("fixed.epochs=0", "fixed.epochs"),
    ("fixed.batch_size=abc", "fixed.batch_size"),
    ("fixed.dropout=2", "fixed.dropout"),
])
def test_a_bad_fixed_value_stops_before_the_study_exists(call_cli, tmp_path, monkeypatch, assignment, field):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", assignment, "--storage", f"sqlite:///{tmp_path / 's.db'}")
    assert code == 2
    assert err.strip().splitlines() == [err.strip()] and err.startswith(f"nntune: error: {field}: ")
    assert list(tmp_path.iterdir()) == []


def test_a_bad_bound_in_space_stops_too(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--set", "space.dropout={type: float, low: 0.0, high: 1.5}",
                            "--storage", f"sqlite:///{tmp_path / 's.db'}")
    assert code == 2 and "space.dropout.high" in err and not (tmp_path / "s.db").exists()


def test_failed_trials_show_their_first_error_in_tune_and_show(call_cli, tmp_path, monkeypatch):
    # Each value passes on its own; together they cannot train (batch norm needs batches of 2).
    # The model builds, so tune's check before the study lets them run.
    monkeypatch.chdir(tmp_path)
    cfg = {"study": "broken", "storage": f"sqlite:///{tmp_path / 's.db'}",
           "search": {"trials": 2, "seed": 0, "enqueue": [{"batch_size": 1}, {"batch_size": 1}]},
           "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-1, "log": True},
                     "batch_size": {"type": "choice", "values": [1, 32]}},
           "fixed": {"epochs": 1, "batchnorm": True}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    code, out, err = call_cli("tune", "c.yaml", "--json")
    assert code == 1, err  # no trial completed: the search failed, its report and JSON line still written
    assert json.loads(out.strip().splitlines()[-1])["trials"]["failed"] == 2
    assert (tmp_path / "reports" / "broken.html").is_file()
    assert "first failure: trial 0: ConfigError: batch_size:" in err
    code, out, err = call_cli("show", "--storage", cfg["storage"], "--study", "broken")
    assert code == 0, err
    assert "healthy" not in out and "2 trials failed or diverged" in out and "batch_size" in out
    code, out, _ = call_cli("show", "--storage", cfg["storage"], "--study", "broken", "--json")
    rows = json.loads(out)["trials"]
    assert [r["state"] for r in rows] == ["failed", "failed"] and all("batch_size" in r["error"] for r in rows)
