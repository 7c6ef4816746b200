"""``nntune studies``, ``export``, ``delete-study`` and ``dashboard`` on the command line."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pandas as pd
import pytest

from nntune.storage import NOTHING_STORED, SQLStorage
from nntune.trial import TrialState


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = SQLStorage(url)
    sid = store.create_study("s1", "maximize")
    for i, value in enumerate((0.5, 0.7)):
        n = store.create_trial(sid, params={"lr": 0.1 * (i + 1), "opt": "adam"}, distributions={})
        store.set_trial_user_attr(sid, n, "note", f"t{i}")
        store.report(sid, n, 1, value)
        store.finish_trial(sid, n, TrialState.COMPLETE, value)
    store.finish_trial(sid, store.create_trial(sid), TrialState.FAILED, error="boom")
    store.create_study("s2", "minimize")
    store.engine.dispose()
    return url


def test_studies_json(call_cli, db):
    code, out, err = call_cli("studies", "--storage", db, "--json")
    assert code == 0, err
    data = json.loads(out)
    first = data["studies"][0]
    assert [s["name"] for s in data["studies"]] == ["s1", "s2"]
    assert (first["n_trials"], first["best_value"], first["counts"]["failed"]) == (3, 0.7, 1)
    code, out, _ = call_cli("studies", "--storage", db)
    assert code == 0 and "s1" in out and "s2" in out


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_writes_one_row_per_trial(call_cli, db, tmp_path, fmt):
    target = tmp_path / f"out.{fmt}"
    code, _, err = call_cli("export", "--study", "s1", "--storage", db, "--format", fmt, "-o", str(target))
    assert code == 0, err
    frame = {"csv": pd.read_csv, "json": lambda p: pd.DataFrame(json.loads(p.read_text())),
             "parquet": pd.read_parquet}[fmt](target)
    assert list(frame.columns) == ["number", "value", "datetime_start", "datetime_complete", "duration",
                                   "params_lr", "params_opt", "user_attrs_note", "state"]
    assert list(frame["state"]) == ["COMPLETE", "COMPLETE", "FAIL"] and list(frame["number"]) == [0, 1, 2]


def test_export_to_stdout_and_bad_input(call_cli, db, tmp_path):
    code, out, _ = call_cli("export", "--study", "s1", "--storage", db)
    assert code == 0 and len(pd.read_csv(io.StringIO(out))) == 3
    code, _, err = call_cli("export", "--study", "s1", "--storage", db, "--format", "xml")
    assert code == 2 and err.strip().startswith("nntune: error: --format:") and len(err.strip().splitlines()) == 1
    code, _, err = call_cli("export", "--study", "nope", "--storage", db)
    assert code == 2 and "nope" in err
    missing = tmp_path / "missing.db"
    code, _, err = call_cli("studies", "--storage", f"sqlite:///{missing}")
    assert code == 2 and "storage" in err and not missing.exists()
    missing = tmp_path / "missing.log"
    code, _, err = call_cli("studies", "--storage", f"journal://{missing}")
    assert code == 2 and err == f"nntune: error: storage: no such journal file: {missing} {NOTHING_STORED}\n" and not missing.exists()


def test_export_takes_its_format_from_the_suffix_and_refuses_a_path_it_cannot_write(call_cli, db, tmp_path):
    code, _, err = call_cli("export", "--study", "s1", "--storage", db, "-o", str(tmp_path / "rows.parquet"))
    assert code == 0, err
    assert len(pd.read_parquet(tmp_path / "rows.parquet")) == 3  # the suffix chose parquet
    code, _, err = call_cli("export", "--study", "s1", "--storage", db, "-o", str(tmp_path / "rows.xlsx"))
    assert code == 2 and err.strip() == ("nntune: error: --format: cannot tell the format from 'rows.xlsx'; "
                                         "give --format csv | parquet | json")
    code, _, err = call_cli("export", "--study", "s1", "--storage", db, "--format", "json",
                            "-o", str(tmp_path / "rows.xlsx"))
    assert code == 0 and len(json.loads((tmp_path / "rows.xlsx").read_text())) == 3
    (tmp_path / "a_file").write_text("kept")
    for bad, says in ((tmp_path / "a_file" / "rows.csv", "a_file is a file, not a folder"),
                      (tmp_path, "is a folder; give a file name")):
        code, _, err = call_cli("export", "--study", "s1", "--storage", db, "-o", str(bad))
        assert code == 2 and err.startswith("nntune: error: --output: ") and says in err, err
        assert len(err.strip().splitlines()) == 1
    assert (tmp_path / "a_file").read_text() == "kept"


class Typed(io.StringIO):
    """Answers typed on a terminal: with no terminal, delete-study reads none (it refuses)."""

    def isatty(self) -> bool:
        return True


def test_delete_study_asks_first(call_cli, db, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Typed("n\n"))
    code, _, err = call_cli("delete-study", "--study", "s1", "--storage", db)
    assert code == 1 and "nothing deleted" in err and SQLStorage(db).load_study("s1") is not None
    code, out, err = call_cli("delete-study", "--study", "s1", "--storage", db, "--yes")
    assert code == 0, err
    assert SQLStorage(db).load_study("s1") is None and "3 trials" in out
    code, _, err = call_cli("delete-study", "--study", "s1", "--storage", db, "--yes")
    assert code == 2 and "s1" in err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dashboard(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "nntune.cli", "dashboard", "--no-browser", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = proc.stdout.readline()
    return proc, first


def wait_up(url: str) -> dict:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url) as res:
                return json.loads(res.read())
        except OSError:
            assert time.monotonic() < deadline, "the dashboard never answered"
            time.sleep(0.1)


@pytest.mark.slow
def test_dashboard_command_prints_its_address_and_guards_control_with_a_token(db):
    port = free_port()
    proc, line = start_dashboard("--storage", db, "--port", str(port), "--host", "0.0.0.0", "--allow-control")
    try:
        assert f"http://127.0.0.1:{port}/" in line and "control allowed" in line
        token = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
        assert len(token) >= 16
        data = wait_up(f"http://127.0.0.1:{port}/api/studies")
        assert [s["name"] for s in data["studies"]] == ["s1", "s2"] and data["control"] is True
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/delete?study=s2", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req)
        assert refused.value.code == 403
        req.add_header("X-NNTune-Token", token)
        with urllib.request.urlopen(req) as res:
            assert json.loads(res.read()) == {"deleted": "s2", "checkpoints_left": [], "note": "deleted study s2"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_dashboard_refuses_a_taken_port_and_a_missing_database(call_cli, db, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, _, err = call_cli("dashboard", "--storage", db, "--no-browser", "--port", str(taken.getsockname()[1]))
    assert code == 2 and err.startswith("nntune: error: --port: cannot listen on 127.0.0.1:") and "in use" in err
    code, _, err = call_cli("dashboard", "--storage", f"sqlite:///{tmp_path / 'none.db'}", "--no-browser")
    assert code == 2 and "storage" in err and not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("args, says", [
    (("--host", "999.1.1.1", "--port", "8123"), "--host: cannot resolve '999.1.1.1'"),
    (("--host", "no-such-host.invalid"), "--host: cannot resolve 'no-such-host.invalid'"),
    (("--host", "192.0.2.1"), "--host: cannot listen on 192.0.2.1:8080"),  # TEST-NET-1: never this machine's
    (("--port", "0"), "--port: must be between 1 and 65535, got 0"),
])
def test_dashboard_names_the_option_at_fault(call_cli, db, args, says):
    code, out, err = call_cli("dashboard", "--storage", db, "--no-browser", *args)
    assert code == 2 and err.startswith(f"nntune: error: {says}") and len(err.splitlines()) == 1, err


def strict(text: str) -> object:
    """JSON as a strict parser reads it: NaN or Infinity is an error."""
    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def api_db(tmp_path):
    """Studies made with nntune's API: ``one`` (one complete trial with a user attribute of
    inf, one failed, two diverged) and ``mo`` (accuracy maximized, cost minimized, named)."""
    import nntune

    url = f"sqlite:///{tmp_path / 'api.db'}"
    one = nntune.create_study(study_name="one", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial):  # noqa: ANN001, ANN202
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_user_attr("inf", float("inf"))
        if trial.number == 1:
            raise RuntimeError("boom")
        return x if trial.number == 0 else float("nan")

    one.optimize(objective, n_trials=4, catch=(RuntimeError,))
    mo = nntune.create_study(study_name="mo", storage=url, directions=["maximize", "minimize"],
                             sampler=nntune.samplers.RandomSampler(seed=0))
    mo.set_metric_names(["acc", "cost"])
    mo.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), t.suggest_int("y", 1, 10) * (1 - t.params["x"])),
                n_trials=6)
    return url


def table_row(text: str, name: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"│ {name} "))
    return [cell.strip() for cell in line.split("│")[1:-1]]


def test_studies_table_counts_diverged_apart_and_names_each_objective(call_cli, api_db, monkeypatch):
    import nntune

    monkeypatch.setenv("COLUMNS", "250")  # rich's width off a terminal: no cell cut short
    code, out, err = call_cli("studies", "--storage", api_db)
    assert code == 0, err
    header = table_row(out.replace("┃", "│"), "study")
    assert header[3:9] == ["complete", "pruned", "failed", "diverged", "running", "waiting"]
    assert table_row(out, "one")[2:9] == ["4", "1", "0", "1", "2", "0", "0"]
    front = len(nntune.load_study(study_name="mo", storage=api_db).best_trials)
    mo = table_row(out, "mo")
    assert mo[1] == "2 objectives: maximize acc, minimize cost" and mo[9] == f"front of {front}"
    code, out, _ = call_cli("studies", "--storage", api_db, "--json")
    rows = {s["name"]: s for s in strict(out)["studies"]}
    assert rows["one"]["counts"]["diverged"] == 2 and rows["one"]["objectives"] is None
    assert rows["mo"]["objectives"] == {"names": ["acc", "cost"], "directions": ["maximize", "minimize"],
                                        "front": front}


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_of_several_objectives_has_every_objective_as_trials_dataframe_names_it(call_cli, api_db, tmp_path,
                                                                                     fmt):
    import nntune

    target = tmp_path / f"mo.{fmt}"
    code, _, err = call_cli("export", "--study", "mo", "--storage", api_db, "-o", str(target))
    assert code == 0, err
    frame = {"csv": pd.read_csv, "json": lambda p: pd.DataFrame(strict(p.read_text())),
             "parquet": pd.read_parquet}[fmt](target)
    study = nntune.load_study(study_name="mo", storage=api_db)
    expected = study.trials_dataframe(attrs=("number", "value", "datetime_start", "datetime_complete", "duration",
                                             "params", "user_attrs", "state"))
    assert list(frame.columns) == list(expected.columns)
    assert list(frame.columns[1:3]) == ["values_acc", "values_cost"]
    for col in ("values_acc", "values_cost"):
        assert list(frame[col]) == pytest.approx(list(expected[col]))


def test_export_writes_strict_json(call_cli, api_db):
    code, out, err = call_cli("export", "--study", "one", "--storage", api_db, "--format", "json")
    assert code == 0, err
    rows = strict(out)
    assert [r["user_attrs_inf"] for r in rows] == [None] * 4 and rows[0]["value"] is not None
