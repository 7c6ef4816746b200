"""Median stopping that can stop no trial in the configured epochs says so."""

from __future__ import annotations


def _tune(call_cli, tmp_path, *args: str) -> str:
    code, out, err = call_cli("tune", "--set", "task.data=iris", "--scheduler", "median", "--storage",
                              f"sqlite:///{tmp_path / 's.db'}", "--dry-run", *args)
    assert code == 0, err
    return " ".join((out + err).split())


def test_median_within_its_warmup_warns_that_it_stops_nothing(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # 4 epochs, judged only after the 5th: trials at a third of the best ran to the end unstopped
    text = _tune(call_cli, tmp_path, "--set", "fixed.epochs=4")
    assert ("warning: median stopping judges a trial only after its first 5 epochs "
            "(search.scheduler_options.n_warmup_steps), and fixed.epochs is 4: it will stop no trial") in text
    assert "median stopping" not in _tune(call_cli, tmp_path, "--set", "fixed.epochs=8")
    assert "median stopping" not in _tune(call_cli, tmp_path, "--set", "fixed.epochs=4",
                                          "--set", "search.scheduler_options={n_warmup_steps: 1}")


def test_successive_halving_over_one_epoch_warns_that_it_stops_nothing(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for scheduler in ("asha", "hyperband", "bohb"):
        code, out, err = call_cli("tune", "--set", "task.data=iris", "--scheduler", scheduler, "--storage",
                                  f"sqlite:///{tmp_path / 's.db'}", "--dry-run", "--set", "fixed.epochs=1")
        assert code == 0, err
        assert f"warning: {scheduler} judges a trial first after epoch 1" in " ".join((out + err).split())
    code, out, err = call_cli("tune", "--set", "task.data=iris", "--scheduler", "asha", "--storage",
                              f"sqlite:///{tmp_path / 's.db'}", "--dry-run", "--set", "fixed.epochs=2")
    assert code == 0 and "judges a trial first" not in out + err
