"""A network whose ReLU units died is not also told its rate is too small: the loss that
crawls down while a dead layer passes no gradient is the output layer's bias fitting the
class frequencies, which a larger rate would not turn into learning. On findings built by
hand, on the recorded run of a one-unit-wide MLP on wine, and on one trained on digits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from _diagnose_runs import one_thread_digits, recorded, trained
from nntune.diagnose import diagnose
from nntune.diagnose_causes import dead_over_slow_rate
from nntune.diagnose_findings import finding

# The default MLP narrowed to one unit a layer on wine, SGD at 0.01, 30 epochs (seed 1),
# alone in its study: fc2's unit is zero for every input from the first epoch, fc1 and fc2
# get no gradient, and the validation loss falls from 1.164 to 1.137 (2.3%) at chance (33%).
WINE_ONE_UNIT = [  # per epoch: train_loss, val_loss, train_accuracy, val_accuracy
    (1.1635, 1.1636, 0.3302, 0.3333), (1.1623, 1.1624, 0.3302, 0.3333), (1.1611, 1.1613, 0.3302, 0.3333),
    (1.16, 1.1602, 0.3302, 0.3333), (1.1588, 1.1592, 0.3302, 0.3333), (1.1578, 1.1581, 0.3302, 0.3333),
    (1.1566, 1.157, 0.3302, 0.3333), (1.1555, 1.1559, 0.3302, 0.3333), (1.1544, 1.1549, 0.3302, 0.3333),
    (1.1533, 1.1539, 0.3302, 0.3333), (1.1523, 1.1529, 0.3302, 0.3333), (1.1512, 1.1519, 0.3302, 0.3333),
    (1.1502, 1.1509, 0.3302, 0.3333), (1.1492, 1.1499, 0.3302, 0.3333), (1.1482, 1.149, 0.3302, 0.3333),
    (1.1472, 1.1482, 0.3302, 0.3333), (1.1463, 1.1473, 0.3302, 0.3333), (1.1454, 1.1463, 0.3302, 0.3333),
    (1.1444, 1.1454, 0.3302, 0.3333), (1.1434, 1.1445, 0.3302, 0.3333), (1.1425, 1.1437, 0.3302, 0.3333),
    (1.1416, 1.1428, 0.3302, 0.3333), (1.1408, 1.142, 0.3302, 0.3333), (1.1399, 1.1413, 0.3302, 0.3333),
    (1.1391, 1.1405, 0.3302, 0.3333), (1.1383, 1.1397, 0.3302, 0.3333), (1.1375, 1.139, 0.3302, 0.3333),
    (1.1368, 1.1383, 0.3302, 0.3333), (1.136, 1.1375, 0.3302, 0.3333), (1.1353, 1.1369, 0.3302, 0.3333),
]
WINE_LAYERS = {epoch: [("fc1", 0.0, 0.086, 0.13, 0.55), ("fc2", 0.0, 0.0, 0.0, 1.0), ("head", 0.25, -0.22, 0.33, 0.0)]
               for epoch in (28, 29, 30)}


def test_dead_units_drop_a_slow_rate_and_nothing_else() -> None:
    slow, dead = finding("lr_too_small", {}, "slow"), finding("dead_relus", {}, "dead")
    overfit = finding("overfitting", {}, "gap")
    assert [f.kind for f in dead_over_slow_rate([slow, overfit, dead])] == ["overfitting", "dead_relus"]
    assert [f.kind for f in dead_over_slow_rate([slow, overfit])] == ["lr_too_small", "overfitting"]


def test_a_one_unit_mlp_whose_unit_died_is_told_so_not_to_raise_its_rate() -> None:
    t = recorded(WINE_ONE_UNIT, WINE_LAYERS, {"units": 1, "activation": "relu", "optimizer": "sgd", "lr": 0.01})
    # Alone in its study, it is the best trial: its errors are not "high" against anything.
    assert [f.kind for f in diagnose(t, study_best=WINE_ONE_UNIT[-1][3])] == ["dead_relus"]


@pytest.fixture(scope="module")
def digits() -> Iterator[Any]:
    yield from one_thread_digits()


def test_a_trained_one_unit_mlp_with_a_dead_layer_is_not_told_to_raise_its_rate(digits: Any) -> None:
    t = trained({"units": 1, "optimizer": "adam", "lr": 1e-3, "epochs": 30}, digits, seed=1)
    kinds = [f.kind for f in diagnose(t, study_best=t.value)]
    assert "dead_relus" in kinds and "lr_too_small" not in kinds, kinds
