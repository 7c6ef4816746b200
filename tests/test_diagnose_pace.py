"""How much a learning rate found too small should be raised: read from how far its curve
moved over its epochs, on constructed curves and on real SGD runs on digits at 1e-5 and 1e-3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from _diagnose_runs import one_thread_digits, trained
from nntune._diagnose_pace import rate_orders
from nntune.diagnose import ADVICE, diagnose
from nntune.diagnose_rules import learning_rate_findings

EPOCHS = 15


def slow(loss: np.ndarray) -> Any:
    found = [f for f in learning_rate_findings(loss) if f.kind == "lr_too_small"]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("end", "orders", "words"), [
    (2.3018, 4, "raise it by about 4 orders of magnitude (10,000-fold)"),  # SGD 1e-5 on digits
    (2.28, 2, "raise it about a hundredfold (two orders of magnitude)"),
    (2.0, 1, "raise it about tenfold (one order of magnitude)"),
])
def test_a_curve_that_barely_moved_is_told_by_how_much_to_raise_the_rate(end: float, orders: int, words: str) -> None:
    f = slow(np.linspace(2.302, end, EPOCHS))
    assert f.evidence["rate_factor"] == 10.0 ** orders and words in f.advice, f.advice
    assert "a little" not in f.advice and "of its starting value" in f.summary


def test_a_curve_that_covered_much_of_its_start_keeps_the_notes_advice_to_raise_it_a_little() -> None:
    f = slow(np.linspace(2.3, 0.9, EPOCHS))  # 61% of its start, still falling straight
    assert f.advice == ADVICE["lr_too_small"] and "a little" in f.advice
    assert f.evidence["rate_factor"] == 1.0 and "starting value" not in f.summary


def test_the_factor_is_the_share_moved_in_powers_of_ten() -> None:
    assert [rate_orders(s) for s in (8.8e-5, 8.8e-4, 8.8e-3, 0.127, 0.25, 0.4, 0.9)] == [4, 3, 2, 1, 1, 0, 0]
    assert rate_orders(0.0) == 0


def test_a_slow_reported_accuracy_is_read_on_its_size() -> None:
    """A define-by-run trial reporting accuracy is read negated: 0.12 -> 0.15 moved a quarter of it."""
    f = slow(-np.linspace(0.12, 0.15, EPOCHS))
    assert f.evidence["moved_share"] == pytest.approx(0.25) and "tenfold" in f.advice


@pytest.fixture(scope="module")
def digits() -> Iterator[Any]:
    yield from one_thread_digits()


def test_sgd_at_1e_5_and_1e_3_on_digits_are_told_to_raise_the_rate_by_orders_of_magnitude(digits: Any) -> None:
    """Plain SGD reaches 95% on this MLP at 1e-1: from 1e-5 that is four orders of magnitude, from 1e-3 two."""
    said = {}
    for lr in (1e-5, 1e-3):
        t = trained({"model": "mlp", "layers": 2, "units": 64, "optimizer": "sgd", "lr": lr, "epochs": EPOCHS}, digits)
        found = diagnose(t, study_best=0.97)
        assert [f.kind for f in found] == ["lr_too_small"], found
        said[lr] = found[0]
    assert said[1e-5].evidence["rate_factor"] == 1e4 and "4 orders of magnitude" in said[1e-5].advice
    assert said[1e-3].evidence["rate_factor"] == 1e2 and "hundredfold" in said[1e-3].advice
