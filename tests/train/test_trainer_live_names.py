"""fit's ``changes`` refuses a name that cannot change while a model trains, in one line,
instead of writing it into the run's params while the model stays as built."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nntune.exceptions import ConfigError
from nntune.train.loop import fit
from nntune.train.splits import Splits

Params = Callable[..., dict[str, Any]]


@pytest.mark.parametrize("change", [{"units": 8}, {"optimizer": "sgd"}, {"learning_rate": 0.1}])
def test_a_structural_or_unknown_change_is_refused(digits: Splits, fast: Params, change: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as err:
        fit(fast(epochs=3), digits, changes=lambda epoch, hp: change if epoch == 1 else {})
    assert err.value.field == next(iter(change)) and "cannot change while a model trains" in str(err.value)
