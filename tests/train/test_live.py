"""Hyperparameters changed at an epoch boundary of a running fit."""

from pathlib import Path
from typing import Any, Callable

import pytest
import torch

from nntune.changes import SCHEDULES, check_change, check_changes, fold
from nntune.exceptions import ConfigError
from nntune.space import Float
from nntune.train import Splits, fit
from nntune.train import optim

Params = Callable[..., dict[str, Any]]


def without_times(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "epoch_time"} for r in history]


def at(epoch: int, change: dict[str, Any]) -> Callable[[int, dict], dict[str, Any]]:
    return lambda e, hp: change if e == epoch else {}


def test_a_change_at_an_epoch_boundary_equals_resuming_there_with_it(digits: Splits, fast: Params,
                                                                     tmp_path: Path) -> None:
    params = fast(epochs=4, dropout=0.2, lr_schedule="step", lr_step_epochs=1, lr_gamma=0.5, weight_decay=1e-4)
    change = {"lr": 0.003, "dropout": 0.4, "weight_decay": 1e-3, "beta1": 0.8}
    live = fit(params, digits, changes=at(2, change))
    path = tmp_path / "two.pt"
    first = fit({**params, "epochs": 2}, digits, checkpoint_path=path)
    rest = fit({**params, **change}, digits, resume_from=path)
    assert without_times(live.history) == without_times(first.history + rest.history)
    # The schedule's progress (x0.25 after two steps) carries over to the new rate.
    assert [r["lr"] for r in live.history] == pytest.approx([0.01, 0.005, 0.003 * 0.25, 0.003 * 0.125])
    assert {m.p for m in live.model.modules() if isinstance(m, torch.nn.Dropout)} == {0.4}


def test_epochs_extend_and_shorten_while_training(digits: Splits, fast: Params) -> None:
    assert len(fit(fast(epochs=2), digits, changes=at(1, {"epochs": 4})).history) == 4
    assert len(fit(fast(epochs=6), digits, changes=at(2, {"epochs": 3})).history) == 3
    stopped = fit(fast(epochs=8), digits, changes=at(1, {"early_stopping": True, "patience": 1, "min_delta": 10.0}))
    assert stopped.stopped_early and stopped.epochs == 2


def test_a_new_schedule_counts_its_steps_from_the_change(digits: Splits, fast: Params) -> None:
    params = fast(epochs=3, lr=0.01)
    result = fit(params, digits, changes=at(1, {"lr_schedule": "step", "lr_step_epochs": 1, "lr_gamma": 0.5}))
    assert [r["lr"] for r in result.history] == pytest.approx([0.01, 0.01, 0.005])


@pytest.mark.parametrize("change", [{"lr_schedule": "constant"}, {"lr_schedule": "constant", "lr": 0.02}])
def test_a_new_schedule_starts_at_the_base_rate_as_a_resume_with_it_does(
        digits: Splits, fast: Params, tmp_path: Path, change: dict[str, Any]) -> None:
    params = fast(epochs=4, optimizer="sgd", lr=0.01, lr_schedule="step", lr_step_epochs=1, lr_gamma=0.5)
    live = fit(params, digits, changes=at(2, change))
    # Not the 0.0025 the step schedule had decayed to, nor that rate in place of a new lr.
    lr = change.get("lr", 0.01)
    assert [r["lr"] for r in live.history] == pytest.approx([0.01, 0.005, lr, lr])
    path = tmp_path / "two.pt"
    first = fit({**params, "epochs": 2}, digits, checkpoint_path=path)
    rest = fit({**params, **change}, digits, resume_from=path)
    assert without_times(live.history) == without_times(first.history + rest.history)


def test_checks_refuse_structure_bad_values_and_values_outside_the_declared_range() -> None:
    assert SCHEDULES == optim.SCHEDULES
    with pytest.raises(ConfigError, match="units: cannot change while a model trains"):
        check_change("units", 64)
    for name, value in (("lr", 0.0), ("dropout", 1.0), ("momentum", -0.1), ("epochs", 0),
                        ("early_stopping", 1), ("lr_schedule", "linear"), ("lr", "fast")):
        with pytest.raises(ConfigError, match=f"^{name}: "):
            check_change(name, value)
    with pytest.raises(ConfigError, match="outside the trial's declared range"):
        check_changes({"lr": 0.5}, {"lr": Float(1e-4, 1e-1, log=True)})
    assert check_changes({"lr": 1, "epochs": 5}, {}) == {"lr": 1.0, "epochs": 5}
    assert fold({"lr": 0.1, "epochs": 3}, [("lr", 0.2), ("stop", True), ("lr", 0.3)]) == {"lr": 0.3, "epochs": 3}
