"""The skorch callback in real skorch fits: each epoch reported with the record the
diagnosis reads, trials stopped by the study's scheduler, a diverging one recorded as
diverged, a column that is not there refused in one line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

skorch = pytest.importorskip("skorch")

import nntune  # noqa: E402
from nntune.exceptions import ConfigError  # noqa: E402
from nntune.integration import SkorchPruningCallback  # noqa: E402
from nntune.integration._skorch import epoch_record  # noqa: E402
from nntune.trial import TrialState  # noqa: E402
from tests.integration.framework_contract import check_the_scheduler_stops_trials, check_tiny_and_huge_rates  # noqa: E402


class Classifier(nn.Module):
    def __init__(self, units: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, units), nn.ReLU(), nn.Linear(units, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def digits(n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x[:n] / 16.0).astype(np.float32), y[:n].astype(np.int64)


def fit(trial, lr: float, epochs: int, monitor: str = "valid_acc") -> float:
    torch.manual_seed(trial.number)
    net = skorch.NeuralNetClassifier(Classifier, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.SGD, lr=lr,
                                     max_epochs=epochs, batch_size=32, verbose=0,
                                     callbacks=[SkorchPruningCallback(trial, monitor)])
    x, y = digits()
    net.fit(x, y)
    return float(net.history[-1, "valid_acc"])


def test_each_epoch_is_reported_with_the_record_diagnosis_reads():
    study = nntune.create_study(direction="maximize", pruner=nntune.pruners.NopPruner())
    study.optimize(lambda t: fit(t, lr=t.suggest_float("lr", 0.5, 0.5), epochs=3), n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.COMPLETE and sorted(trial.intermediate_values) == [1, 2, 3]
    records = trial.metrics
    assert [r["step"] for r in records] == [1, 2, 3]
    last = records[-1]
    assert {"train_loss", "val_loss", "val_acc", "value", "lr", "epoch_time"} <= set(last)
    assert not any(k.endswith("_best") or k.startswith("valid_") or k == "batches" for k in last)
    assert last["value"] == last["val_acc"] == trial.intermediate_values[3] == pytest.approx(trial.value)
    assert last["lr"] == 0.5 and last["train_loss"] < records[0]["train_loss"] and last["epoch_time"] > 0
    assert trial.value > 0.5


def test_a_tiny_learning_rate_is_diagnosed_and_a_huge_one_diverges():
    check_tiny_and_huge_rates(lambda t, lr, epochs: fit(t, lr=lr, epochs=epochs), metric="acc")


def test_the_studys_scheduler_stops_trials_inside_fit():
    check_the_scheduler_stops_trials(lambda t, lr, epochs: fit(t, lr=lr, epochs=epochs), good_lr=0.5)


def test_a_column_the_history_lacks_is_one_line_naming_what_it_has():
    study = nntune.create_study(direction="maximize")
    trial = study.ask()
    with pytest.raises(ConfigError, match=r"^monitor: 'valid_f1' is not a column of the net's history; it has .*'valid_acc'"):
        fit(trial, lr=0.1, epochs=1, monitor="valid_f1")
    with pytest.raises(ConfigError, match=r"^monitor: expected the name of a history column"):
        SkorchPruningCallback(trial, "")


def test_an_epoch_row_becomes_the_record_diagnosis_reads():
    row = {"epoch": 2, "dur": 0.25, "batches": [{"train_loss": 1.0}], "train_batch_count": 4, "train_loss": 0.5,
           "train_loss_best": True, "valid_loss": np.float64(0.75), "valid_loss_best": False, "valid_acc": 0.8,
           "note": "text"}
    assert epoch_record(row) == {"train_loss": 0.5, "val_loss": 0.75, "val_acc": 0.8, "epoch_time": 0.25}


def test_a_study_of_several_objectives_records_each_epoch_and_runs_each_trial_to_its_end():
    study = nntune.create_study(directions=["maximize", "minimize"])
    study.optimize(lambda t: (fit(t, lr=t.suggest_float("lr", 0.5, 0.5), epochs=2), 1.0), n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.COMPLETE, trial.error
    assert sorted(trial.intermediate_values) == [1, 2] and "val_loss" in trial.metrics[-1]


def test_the_objective_runs_again_on_the_best_trial_as_in_optunas_recipe():
    # objective(study.best_trial) retrains the best model; the callback's report is taken
    # (and ignored) by the finished trial, whose should_prune is always False.
    study = nntune.create_study(direction="maximize", pruner=nntune.pruners.NopPruner())
    study.optimize(lambda t: fit(t, lr=t.suggest_float("lr", 0.5, 0.5), epochs=2), n_trials=1)
    best = study.best_trial
    assert fit(best, lr=best.suggest_float("lr", 0.5, 0.5), epochs=2) > 0.5
    assert study.best_trial.intermediate_values == best.intermediate_values  # nothing stored


def test_sklearns_clone_of_the_net_reports_to_the_same_trial(tmp_path):
    # cross_val_score and GridSearchCV clone the net, and with it its callbacks: the trial
    # (which holds an SQLite storage, and cannot be deep-copied) is shared, not copied.
    from sklearn.base import clone

    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 'clone.db'}", direction="maximize")
    trial = study.ask()
    net = skorch.NeuralNetClassifier(Classifier, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.SGD, lr=0.5,
                                     max_epochs=2, batch_size=32, verbose=0,
                                     callbacks=[("prune", SkorchPruningCallback(trial, "valid_acc"))])
    copy = clone(net)
    assert copy.callbacks[0][1].trial is trial and copy.callbacks[0][1] is not net.callbacks[0][1]
    copy.fit(*digits())
    assert sorted(study.storage.get_trial(study.id, trial.number).intermediate_values) == [1, 2]
    assert net.set_params(callbacks__prune__monitor="valid_loss").callbacks[0][1].monitor == "valid_loss"
