"""Early stopping's patience counts epochs without improvement, as Keras and Lightning count them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nntune.train.epochs import EarlyStopping
from nntune.train.loop import fit
from nntune.train.splits import Splits
from nntune.train.stack_run import fit_stack

Params = Callable[..., dict[str, Any]]


def stopped_after(values: list[float], patience: int) -> int:
    """The epoch at which a run with these validation accuracies stops (len(values): never)."""
    stopping = EarlyStopping("maximize", 1.0, patience=patience, enabled=True)
    for epoch, value in enumerate(values, 1):
        stopping.update(epoch, value)
        if stopping.should_stop(value):
            return epoch
    return len(values)


def test_patience_zero_stops_at_the_first_epoch_without_improvement() -> None:
    assert stopped_after([0.5, 0.6, 0.7, 0.7, 0.8], patience=0) == 4
    assert stopped_after([0.5, 0.6, 0.7, 0.8], patience=0) == 4  # every epoch improved: it ran them all
    assert stopped_after([0.5, 0.6, 0.6, 0.6, 0.8], patience=2) == 4
    assert stopped_after([0.5, 0.6, 0.6, 0.7, 0.6, 0.6], patience=2) == 6


def test_fit_and_a_stack_with_patience_zero_train_while_they_improve(digits: Splits, fast: Params) -> None:
    params = fast(epochs=4, lr=1e-3, early_stopping=True, patience=0)  # a slow rate: it improves at first
    solo = fit(params, digits)
    first = [r["value"] for r in solo.history]
    assert len(first) >= 2 and first[1] > first[0]
    (member,) = fit_stack([params], digits, seeds=[0])
    assert len(member.history) >= 2


def test_early_stopping_switched_on_mid_run_judges_from_then_and_returns_the_weights_it_names(
        digits: Splits, fast: Params) -> None:
    from nntune.train.basics import evaluate

    def on_at_epoch_4(epoch: int, hp: dict[str, Any]) -> dict[str, Any]:
        return {"early_stopping": True, "patience": 2} if epoch == 4 else {}

    # A rate too large to keep improving: its best epoch before 4 would have spent the patience at once.
    params = fast(epochs=10, lr=0.5, optimizer="sgd")
    result = fit(params, digits, changes=on_at_epoch_4)
    assert result.best_epoch >= 4 and len(result.history) >= 4 + 1  # not stopped at the switch itself
    shown = evaluate(result.model, digits.x_val, digits.y_val, task_type="classification", metrics=["accuracy"],
                     n_classes=10)["accuracy"]
    assert shown == result.best_value  # the weights returned are the best epoch's since the switch

    def off_at_epoch_2(epoch: int, hp: dict[str, Any]) -> dict[str, Any]:
        return {"early_stopping": False} if epoch == 2 else {}

    last = fit(fast(epochs=4, lr=0.5, optimizer="sgd", early_stopping=True, patience=5), digits,
               changes=off_at_epoch_2)
    shown = evaluate(last.model, digits.x_val, digits.y_val, task_type="classification", metrics=["accuracy"],
                     n_classes=10)["accuracy"]
    assert shown == last.history[-1]["value"]  # switched off: the last epoch's weights
