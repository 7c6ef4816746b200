"""What ``nntune trial set|stop`` and the dashboard's controls say will happen: "from its
next epoch" only where nntune's own trainer runs the trial; a Python objective takes a
change only where it calls trial.take_changes, a stop also where it calls trial.should_prune."""

import sys

import pytest

import nntune.cli
from nntune.dashboard.control import act
from nntune.storage import SQLStorage


def cli(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["nntune", "trial", *args])
    code = 0
    try:
        nntune.cli.main()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, capsys.readouterr().out


@pytest.mark.parametrize("attrs, when, stops", [
    ({}, "when its objective calls trial.take_changes (an objective that never does trains on unchanged)",
     "stops when its objective next calls trial.should_prune() or trial.take_changes "
     "(an objective that calls neither runs to its end)"),
    ({"config": {"study": "s"}}, "from its next epoch", "stops after its current epoch"),
])
def test_the_cli_and_the_dashboard_promise_only_what_the_trainer_does(tmp_path, monkeypatch, capsys,
                                                                       attrs, when, stops):
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = SQLStorage(url)
    sid = store.create_study("s", "minimize")
    for key, value in attrs.items():
        store.set_study_attr(sid, key, value)
    running = store.create_trial(sid)
    code, out = cli(monkeypatch, capsys, "set", "--study", "s", "--trial", str(running), "--storage", url, "lr=0.01")
    assert code == 0 and out == f"trial 0 of study s: lr = 0.01 {when}\n"
    code, out = cli(monkeypatch, capsys, "stop", "--study", "s", "--trial", str(running), "--storage", url)
    assert code == 0 and out == f"trial 0 of study s {stops}\n"
    rec = store.load_study("s")
    assert act(store, rec, running, "set", {"lr": ["0.02"]})["note"] == f"trial 0: lr {when}"
    assert act(store, rec, running, "stop", {})["note"] == f"trial 0 {stops}"
