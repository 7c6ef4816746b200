"""Lab ``early-stopping``: the full run overfits, the stopped run keeps its best epoch."""

from nntune.labs import regularization, run_lab


def test_stops_a_patience_after_the_best_epoch_and_keeps_it(tmp_path):
    result = run_lab("early-stopping", tmp_path, seed=0, quick=True)
    n = result.numbers
    full, stopped = n["full_run"], n["early_stopped"]
    assert n["n_train"] == 300 and n["monitored"] == "val_accuracy"
    assert full["lowest_val_loss_epoch"] <= n["epochs"] // 2 and full["final_val_loss"] >= 1.05 * full["min_val_loss"]
    assert stopped["stopped_at_epoch"] == stopped["best_epoch"] + n["patience"] < n["epochs"]
    assert stopped["epochs_saved"] == n["epochs"] - stopped["stopped_at_epoch"]
    # Same seed, same training: the stopped run's best epoch is the full run's epoch of that number.
    assert stopped["best_val_accuracy"] == n["val_accuracy"][stopped["best_epoch"] - 1]
    assert stopped["val_loss_at_best"] == n["val_loss"][stopped["best_epoch"] - 1] < full["final_val_loss"]
    assert result.held
    assert (tmp_path / "early-stopping.png").is_file() and (tmp_path / "early-stopping.html").is_file()


def test_a_patience_that_never_runs_out_fails_the_claim(monkeypatch):
    monkeypatch.setattr(regularization, "PATIENCE", 1000)
    result = run_lab("early-stopping", seed=0, quick=True)
    assert not result.held
    assert [k for k, v in result.numbers["checks"].items() if not v] == [
        "early stopping ends the run 1000 epochs (the patience) after its best validation accuracy, before the last epoch"]
