"""A network too narrow for its task is named so from its own curve: in a study of one trial
(its own best) a hidden layer of fewer units than its classes need, far from fitting, is
underfitting with the advice to widen it, not a learning rate too small. On the rule's pure
functions, on constructed curves, on the recorded run of `nntune tune --set fixed.units=2`,
and on two real runs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from _diagnose_runs import linear_summary as summary, trained
from nntune._diagnose_narrow import NARROW_ADVICE, Bottleneck, bottleneck, too_narrow, trained_far
from nntune.diagnose import diagnose
from nntune.diagnose_rules import fit_findings
from nntune.trial import FrozenTrial, TrialState

# `nntune tune --set space.units=null --set fixed.units=2 --set search.trials=1` on digits:
# two layers of 2 units, Momentum 0.978 at lr 0.00127, cosine schedule, batch 32, 30 epochs.
# Its validation loss falls until the schedule spends the rate, at 81% error on both splits.
CLI_UNITS2 = [  # per epoch: train_loss, val_loss, train_accuracy, val_accuracy, lr
    (2.337, 2.335, 0.1075, 0.09749, 0.001274), (2.325, 2.319, 0.1233, 0.1253, 0.001271), (2.31, 2.304, 0.1437, 0.1393, 0.00126),
    (2.296, 2.292, 0.1557, 0.1448, 0.001243), (2.284, 2.28, 0.1585, 0.1532, 0.001219), (2.272, 2.269, 0.1594, 0.1616, 0.001189),
    (2.259, 2.255, 0.1733, 0.1866, 0.001152), (2.244, 2.241, 0.1807, 0.1727, 0.00111), (2.228, 2.223, 0.1761, 0.1727, 0.001063),
    (2.208, 2.204, 0.1798, 0.1811, 0.001011), (2.187, 2.183, 0.2141, 0.1755, 0.0009555), (2.164, 2.16, 0.2048, 0.1783, 0.0008961),
    (2.142, 2.139, 0.2076, 0.1811, 0.0008339), (2.119, 2.118, 0.1965, 0.1755, 0.0007695), (2.098, 2.098, 0.1956, 0.1783, 0.0007036),
    (2.079, 2.08, 0.1965, 0.1783, 0.000637), (2.061, 2.063, 0.1974, 0.1922, 0.0005704), (2.046, 2.05, 0.1974, 0.1978, 0.0005046),
    (2.032, 2.038, 0.1965, 0.2006, 0.0004402), (2.021, 2.028, 0.1974, 0.195, 0.0003779), (2.012, 2.02, 0.1965, 0.195, 0.0003185),
    (2.004, 2.013, 0.1965, 0.195, 0.0002626), (1.998, 2.008, 0.1946, 0.1978, 0.0002108), (1.994, 2.004, 0.1946, 0.195, 0.0001636),
    (1.99, 2.002, 0.1918, 0.195, 0.0001217), (1.988, 2, 0.1891, 0.1922, 8.535e-05), (1.986, 1.998, 0.1881, 0.1922, 5.507e-05),
    (1.985, 1.998, 0.1881, 0.1922, 3.118e-05), (1.984, 1.997, 0.1881, 0.1922, 1.392e-05), (1.984, 1.997, 0.1881, 0.1922, 3.49e-06),
]
CLI_VALUE = 0.1922  # the study's best: the trial itself


def recorded(curves: Sequence[tuple[float, ...]], widths: Sequence[int], params: dict[str, Any]) -> FrozenTrial:
    """A completed trial of these epochs (train_loss, val_loss, train and validation accuracy,
    and the epoch's learning rate where given) and the model summary of these widths."""
    records = []
    for epoch, row in enumerate(curves, start=1):
        rec = {"step": epoch, "epoch": epoch, "train_loss": row[0], "val_loss": row[1], "train_accuracy": row[2],
               "val_accuracy": row[3], "value": row[3]}
        records.append(rec | ({"lr": row[4]} if len(row) > 4 else {}))
    return FrozenTrial(number=0, state=TrialState.COMPLETE, params=params, value=curves[-1][3],
                       intermediate_values={r["epoch"]: r["value"] for r in records}, metrics=records,
                       user_attrs={"model_summary": summary(*widths)})


def falling(start: float, end: float, accuracy: tuple[float, float], epochs: int = 30) -> list[tuple[float, ...]]:
    """A loss falling in a straight line from ``start`` to ``end`` at these (training,
    validation) accuracies: still falling at the end, as a rate too small leaves it."""
    return [(float(loss) * 1.01, float(loss), *accuracy) for loss in np.linspace(start, end, epochs)]


def kinds(t: FrozenTrial, **kw: Any) -> list[str]:
    return [f.kind for f in diagnose(t, **kw)]


# ---------------------------------------------------------------- the rule's pieces


def test_a_bottleneck_is_a_third_of_the_classes_or_fewer() -> None:
    assert bottleneck(summary(2, 2, 10)) == Bottleneck("fc1", 2, 10)
    assert bottleneck(summary(64, 3, 10)) == Bottleneck("fc2", 3, 10)
    assert bottleneck(summary(1, 3)) == Bottleneck("fc1", 1, 3)
    assert bottleneck(summary(128, 128, 10)) is None and bottleneck(summary(16, 1)) is None
    assert bottleneck(None) is None and bottleneck(summary(10)) is None
    # Fewer units than classes only fit slowly (4 units reach 97% on digits); a third of them caps the error.
    assert bottleneck(summary(64, 4, 10)) is None and bottleneck(summary(2, 3)) is None
    assert bottleneck(summary(1, 2)) is None


def test_a_curve_shows_what_a_network_can_fit_once_it_moved() -> None:
    assert trained_far(np.array([2.4, 2.2, 2.0]))
    assert not trained_far(np.array([2.35, 2.345, 2.34]))  # 0.4%: a rate far too small
    assert not trained_far(np.array([2.0, 2.1, 2.3])) and not trained_far(np.array([2.0]))
    assert trained_far(np.array([2.4, np.nan, 2.0]))
    neck = Bottleneck("fc1", 2, 10)
    assert too_narrow(neck, np.array([2.4, 2.0])) and not too_narrow(None, np.array([2.4, 2.0]))


def test_too_narrow_makes_errors_high_against_its_own_best() -> None:
    loss = np.linspace(2.37, 1.97, 15)
    train_error, val_error = np.full(15, 0.70), np.full(15, 0.70)
    kw: dict[str, Any] = dict(bounded=True, best_error=0.70, still_falling=True, narrow=True)
    # Its own best is no yardstick: nothing was "high" against it.
    assert fit_findings(train_error, val_error, loss * 1.01, loss, **kw) == []
    found = fit_findings(train_error, val_error, loss * 1.01, loss, too_narrow=True, **kw)
    assert [f.kind for f in found] == ["underfitting"]
    assert found[0].summary == "training error 70.0% and validation error 70.0% are both high"
    # Against a better trial the best is named, as before.
    found = fit_findings(train_error, val_error, loss * 1.01, loss, too_narrow=True, **{**kw, "best_error": 0.03})
    assert found[0].summary.endswith("(best trial: 3.0%)")
    # Under UNDERFIT_ABS_ERROR the network fits well enough for its width to hold nothing back.
    low = np.full(15, 0.08)
    assert fit_findings(low, low, loss * 1.01, loss, too_narrow=True, **kw) == []


# ---------------------------------------------------------------- whole trials


def test_the_one_trial_study_of_a_2_unit_net_is_told_to_widen_it_not_to_raise_its_rate() -> None:
    # Before: lr_too_small ("the schedule decays too early"), the network's width unnamed.
    t = recorded(CLI_UNITS2, (2, 2, 10), {"layers": 2, "optimizer": "momentum", "lr_schedule": "cosine"})
    found = diagnose(t, study_best=CLI_VALUE)
    assert [f.kind for f in found] == ["underfitting"]
    assert found[0].summary == ("training error 81.2% and validation error 80.8% are both high: "
                                "fc1 has 2 units for 10 outputs")
    assert found[0].advice == NARROW_ADVICE and "Widen that layer" in found[0].advice
    assert found[0].evidence["hidden_units"] == 2 and found[0].evidence["outputs"] == 10
    # Against a wide network's best, as before, with the best named.
    assert diagnose(t, study_best=0.972)[0].summary.endswith("(best trial: 2.8%): fc1 has 2 units for 10 outputs")
    # The same curve from a full-width network is left to the rate's rules.
    wide = recorded(CLI_UNITS2, (128, 128, 10), {})
    assert "underfitting" not in kinds(wide, study_best=CLI_VALUE)


def test_a_narrow_net_whose_loss_barely_moved_keeps_its_rate_too_small() -> None:
    # Adam at 1e-5: 2 units on digits at chance, the loss 0.4% down: its errors say nothing
    # yet of its width (at Adam 1e-2 the same network reaches 64-73%).
    t = recorded(falling(2.35, 2.34, (0.10, 0.10)), (2, 2, 10), {"optimizer": "adam", "lr": 1e-5})
    assert kinds(t, study_best=0.10) == ["lr_too_small"]


def test_four_units_for_ten_classes_still_falling_are_a_rate_too_small() -> None:
    # 4 units on digits at Adam 1e-3 end at 55-75% after 30 epochs, still falling; at Adam
    # 1e-2 or 3e-2 they reach 94% (median): the rate, not the width, holds them back.
    t = recorded(falling(2.3, 1.0, (0.70, 0.70)), (4, 10), {"optimizer": "adam", "lr": 1e-3})
    assert kinds(t, study_best=0.70) == ["lr_too_small"]


def test_one_unit_for_two_classes_still_learning_is_no_bottleneck() -> None:
    # A 1-unit breast_cancer MLP at Adam 1e-3 (seed 1) still at the majority class after 30
    # epochs, its loss falling from 0.69 to 0.43: other seeds reach 94-96%, the width 99%.
    t = recorded(falling(0.685, 0.43, (0.628, 0.623)), (1, 2), {"optimizer": "adam", "lr": 1e-3})
    assert kinds(t, study_best=0.623) == ["lr_too_small"]


@pytest.fixture(scope="module")
def one_thread() -> Iterator[dict[str, Any]]:
    import torch

    from nntune.train import load_splits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield {"digits": load_splits("digits"), "wine": load_splits("wine")}
    torch.set_num_threads(before)


def test_a_trained_2_unit_mlp_alone_in_its_study_is_underfitting(one_thread: dict[str, Any]) -> None:
    t = trained({"layers": 1, "units": 2, "optimizer": "adam", "lr": 1e-3, "epochs": 30}, one_thread["digits"], seed=0)
    assert kinds(t, study_best=t.value) == ["underfitting"]  # before: lr_too_small


def test_a_collapsed_one_unit_layer_is_not_told_to_raise_the_rate(one_thread: dict[str, Any]) -> None:
    # Wine, two layers of one unit (Adam 1e-3, seed 2): fc2's unit outputs a near constant
    # (std 0.007) and the loss creeps 5% down at chance. Before: lr_too_small beside it.
    t = trained({"layers": 2, "units": 1, "epochs": 30}, one_thread["wine"], seed=2)
    found = diagnose(t, study_best=t.value)
    assert [f.kind for f in found] == ["collapsed_activations"]
    assert "are both high" in found[0].summary
