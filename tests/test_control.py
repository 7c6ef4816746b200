"""Changes made by another process reach a running trial at its next epoch boundary, under
the serial and the worker-process executors; refused requests exit 2 and write nothing."""

import subprocess
import sys
import time

import pytest
import yaml

from nntune.storage import SQLStorage
from nntune.study import load_study
from nntune.trial import TrialState

CONFIG = {
    "study": "c",
    "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
    "search": {"trials": 1},
    "fixed": {"epochs": 3000, "layers": 1, "units": 16, "batch_size": 32, "lr": 0.01},
}


def wait_for(check, what: str, proc=None, timeout: float = 120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"nntune ended (rc {proc.returncode}) before {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def nntune(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    """The command run in this process: (exit code, stdout, stderr)."""
    from nntune import cli

    monkeypatch.setattr(sys, "argv", ["nntune", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow
@pytest.mark.parametrize("executor", [[], ["--trial-timeout", "600"]], ids=["serial", "workers"])
def test_a_change_from_another_process_takes_effect_at_the_next_epoch(tmp_path, executor):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**CONFIG, "storage": url}))
    log = (tmp_path / "tune.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "nntune.cli", "tune", str(path), "--report",
                             str(tmp_path / "r.html"), *executor], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        store = wait_for(lambda: (tmp_path / "c.db").exists() and SQLStorage(url), "the database", proc)
        study = wait_for(lambda: store.load_study("c") and load_study("c", store), "the study", proc)
        wait_for(lambda: any(t.state == TrialState.RUNNING and t.intermediate_values
                             for t in study.get_trials(deepcopy=False)), "the first epoch", proc)
        study.set_trial_params(0, {"lr": 0.00123})  # from this process, through storage only
        change = wait_for(lambda: [c for c in study.param_changes(0) if not c.pending], "the change taken", proc)[0]
        wait_for(lambda: max(study.storage.get_trial(study.id, 0, with_metrics=False).intermediate_values)
                 > change.epoch, "an epoch after the change", proc)
        study.stop_trial(0)
        assert proc.wait(timeout=120) == 0, (tmp_path / "tune.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    trial = study.storage.get_trial(study.id, 0)
    lr = {r["step"]: r["lr"] for r in trial.metrics}
    assert (change.param, change.old, change.new, change.who) == ("lr", 0.01, 0.00123, "user")
    assert lr[change.epoch] == 0.01 and lr[change.epoch + 1] == pytest.approx(0.00123)
    assert all(v == pytest.approx(0.00123) for s, v in lr.items() if s > change.epoch)
    assert trial.state == TrialState.PRUNED and trial.system_attrs["stopped_by"] == "user"
    assert max(lr) < 3000
    stop = [c for c in study.param_changes(0) if c.param == "stop"][0]
    assert stop.epoch == max(lr)


def test_refused_changes_exit_2_and_write_nothing(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = SQLStorage(url)
    sid = store.create_study("r", "maximize")
    running = store.create_trial(sid)
    from nntune.space import Float

    store.set_trial_params(sid, running, {"lr": 0.01}, {"lr": Float(1e-4, 0.1, log=True)})
    finished = store.create_trial(sid)
    store.finish_trial(sid, finished, TrialState.COMPLETE, 0.9)
    cases = [
        (["set", "--trial", str(finished), "lr=0.001"], "trial: trial 1 of study 'r' is complete"),
        (["set", "--trial", "9", "lr=0.001"], "trial: no trial 9 in study 'r'"),
        (["set", "--trial", str(running), "lr=0.5"], "lr: 0.5 is outside the trial's declared range"),
        (["set", "--trial", str(running), "units=64"], "units: cannot change while a model trains"),
        (["set", "--trial", str(running), "lr"], "changes: expected NAME=VALUE"),
        (["set", "--trial", str(running), "lr="], "lr: no value after '=' in 'lr='; give NAME=VALUE"),
        (["stop", "--trial", str(finished)], "trial: trial 1 of study 'r' is complete"),
        (["fork", "--trial", str(running), "--from-epoch", "1"], "study: study 'r' was not started by nntune babysit"),
    ]
    for args, message in cases:
        code, _, err = nntune(capsys, monkeypatch, "trial", args[0], "--study", "r", "--storage", url, *args[1:])
        assert code == 2, (args, err)
        assert len(err.strip().splitlines()) == 1 and err.startswith(f"nntune: error: {message}"), err
    assert store.get_param_changes(sid) == [] and len(store.get_trials(sid)) == 2
    code, _, err = nntune(capsys, monkeypatch, "trial", "stop", "--study", "r", "--trial", "0", "--storage",
                          f"sqlite:///{tmp_path / 'none.db'}")
    assert code == 2 and not (tmp_path / "none.db").exists()

    code, out, _ = nntune(capsys, monkeypatch, "trial", "set", "--study", "r", "--trial", "0", "--storage", url,
                          "lr=3e-4", "early_stopping=true")
    # A study of a Python objective (not nntune's trainer): no promise about its next epoch.
    assert code == 0 and "lr = 0.0003 when its objective calls trial.take_changes" in out
    assert [(c.param, c.new, c.pending) for c in store.get_param_changes(sid)] == [
        ("lr", 3e-4, True), ("early_stopping", True, True)]
    code, out, _ = nntune(capsys, monkeypatch, "trial", "changes", "--study", "r", "--storage", url, "--json")
    assert code == 0 and [r["param"] for r in __import__("json").loads(out)] == ["lr", "early_stopping"]
