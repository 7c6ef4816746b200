"""Early stopping switched on or off while a member trains (``nntune trial set``), taken as
``fit`` takes it: switched on, it judges from that epoch on; switched off, the member ends
with its last epoch's weights."""

from __future__ import annotations

from typing import Any

import torch

from nntune.train.loop import fit
from nntune.train.splits import Splits
from nntune.train.stack import Stack, StackResult

# Its validation accuracy peaks at epoch 4, falls, and rises again at epoch 7.
CONFIG: dict[str, Any] = {"layers": 1, "units": 8, "batch_size": 200, "optimizer": "momentum", "momentum": 0.9,
                          "lr": 1.0, "epochs": 9, "patience": 1}
AT = 6  # the switch, after the best epoch so far


def trained(config: dict[str, Any], digits: Splits, change: dict[str, Any] | None = None) -> StackResult:
    stack = Stack(config, digits, capacity=1)
    slot = stack.add(config, seed=0)
    if change is not None:
        for _ in range(AT):
            stack.run_epoch()
        stack.change_params(slot, change)
    (result,) = stack.run()
    return result


def same_weights(a: StackResult, b: StackResult) -> bool:
    sa, sb = a.model.state_dict(), b.model.state_dict()
    return all(torch.equal(sa[k], sb[k]) for k in sb)


def test_early_stopping_switched_on_judges_from_the_switch_as_fit_does(digits: Splits) -> None:
    change = {"early_stopping": True}
    solo = fit(CONFIG, digits, seed=0, changes=lambda epoch, hp: dict(change) if epoch == AT else {})
    result = trained(CONFIG, digits, change)
    assert (result.epochs, result.best_epoch) == (solo.epochs, solo.best_epoch) == (8, 7)
    assert same_weights(result, trained({**CONFIG, "epochs": 7}, digits))  # the best epoch's weights


def test_early_stopping_switched_off_ends_with_the_last_epochs_weights(digits: Splits) -> None:
    result = trained({**CONFIG, "early_stopping": True, "patience": 5}, digits, {"early_stopping": False})
    assert result.epochs == 9
    assert same_weights(result, trained(CONFIG, digits))
