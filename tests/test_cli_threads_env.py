"""A bad ``NNTUNE_THREADS`` is bad input: one line naming it and exit 2 before a study is
made, not a failed trial for every trial of the search."""

from pathlib import Path


def test_tune_refuses_a_bad_nntune_threads_before_any_trial(call_cli, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NNTUNE_THREADS", "x")
    code, out, err = call_cli("tune", "--trials", "1", "--storage", f"sqlite:///{tmp_path / 't.db'}")
    assert (code, out) == (2, "")
    assert err == "nntune: error: NNTUNE_THREADS: must be auto or an integer >= 1, got 'x'\n"
    assert not (tmp_path / "t.db").exists()
