"""``nntune dashboard journal://FILE``: an nntune journal is served as any storage; Optuna's
own journal file, which nntune cannot read, is refused in one line naming the storage (exit
2). It was served, with a traceback from the thread that first read it and a page whose every
request failed."""

from __future__ import annotations

import subprocess

import pytest

import nntune
from tests.dashboard.test_cli import free_port, start_dashboard, wait_up

pytestmark = pytest.mark.slow


def test_optuna_s_journal_is_refused_in_one_line_before_anything_is_served(tmp_path):
    optuna = pytest.importorskip("optuna")
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = tmp_path / "optuna.log"
    optuna.create_study(study_name="s1", storage=JournalStorage(JournalFileBackend(str(path))))
    proc, first = start_dashboard(f"journal://{path}", "--port", str(free_port()))
    try:
        code = proc.wait(timeout=30)
        rest = proc.stdout.read()
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(timeout=10)
        pytest.fail(f"the dashboard served Optuna's journal: {first}")
    assert code == 2 and rest == ""
    assert first.strip() == (f"nntune: error: storage: {path} is Optuna's journal, not an nntune journal "
                             "(nntune reads only the lines it writes)")


def test_an_nntune_journal_is_served(tmp_path):
    url = f"journal://{tmp_path / 'nntune.log'}"
    nntune.create_study("j", url).optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    port = free_port()
    proc, line = start_dashboard(url, "--port", str(port))
    try:
        assert f"over {url} " in line
        studies = wait_up(f"http://127.0.0.1:{port}/api/studies")["studies"]
        assert [(s["name"], s["n_trials"]) for s in studies] == [("j", 2)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
