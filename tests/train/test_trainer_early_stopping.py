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
