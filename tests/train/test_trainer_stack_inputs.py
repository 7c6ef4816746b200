"""A stack takes splits made from numpy arrays as they come (float64) as fit takes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nntune.train.loop import fit
from nntune.train.splits import Splits
from nntune.train.stack_run import fit_stack

Params = Callable[..., dict[str, Any]]


def test_a_stack_trains_float64_features_as_fit_does(digits: Splits, fast: Params) -> None:
    wide = Splits(digits.x_train.double(), digits.y_train, digits.x_val.double(), digits.y_val, digits.test,
                  "classification", n_classes=10)
    (member,) = fit_stack([fast()], wide, seeds=[0])
    solo = fit(fast(), wide, seed=0)
    assert [r["val_loss"] for r in member.history] == pytest.approx([r["val_loss"] for r in solo.history], rel=1e-4)
