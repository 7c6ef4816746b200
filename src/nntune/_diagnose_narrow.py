"""Networks too narrow for their task: a hidden layer of a third as many units as the output
has classes, or fewer (2 units for digits' 10 classes), is a bottleneck no rate or number
of epochs gets past. A wider layer with fewer units than classes is none: it only fits
slowly, and is read as any other network, against the study's best trial.

:func:`nntune.diagnose.diagnose` reads the bottleneck from the trial's model summary and
asks :func:`too_narrow` whether the trial's own curve shows it, which lets
:func:`nntune.diagnose_rules.fit_findings` call its errors high with no best trial to
compare with (a study of one trial is its own best); :func:`narrow_words` names the layer
in the underfitting found, with the advice to widen it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from nntune.diagnose_findings import Finding

# Fewer units than classes is not yet a cap: the best training accuracy over Adam 1e-3,
# 1e-2 and 3e-2, RMSprop 1e-2 and SGD 0.3 (seeds 0-2, 60 epochs, 1-3 layers of that width)
# is 41%, 73% and 91% for 1, 2 and 3 units on digits (10 classes) but 97% for 4 and 100%
# for 8; 84% for 1 unit on wine (3 classes; 67% in two layers) but 99-100% for 2; 99% for 1
# unit on breast_cancer (2 classes); 4 units on a 2,000-image Fashion-MNIST subset reach 89%
# (Adam 1e-2, 40 epochs), where 128 reach 95% and the 4-unit net overfits. A layer of a
# third of the classes or fewer caps the error far from fitting; a wider one only fits
# slowly (4 units at Adam 1e-3 end at 55-75% after 30 epochs, and at 94% median at the
# larger rates), which lr_too_small is there for, so it is no bottleneck.
CLASSES_PER_UNIT = 3
# Underfitting's own advice offers more layers first; more layers of the same width keep the
# bottleneck (2 units on digits: 73%, 66% and 48% at best in 1, 2 and 3 layers), so a
# network too narrow is told to widen the layer.
NARROW_ADVICE = ("A hidden layer has too few units for the output's classes, so whatever the "
                 "network learns must pass through too few numbers, however long it trains and "
                 "at whatever rate. Widen that layer, to at least as many units as outputs "
                 "(more layers of the same width will not help); weaken the regularization if "
                 "there is any; more data will not help.")
# A narrow network's errors say what it can fit only once training got somewhere: its
# validation loss fell by 10^-1.5 (3.2%) of its start or more, where lr_too_small stops
# saying to raise the rate a hundredfold or more (nntune._diagnose_pace). Networks of 1-2
# units on digits and 1 on wine (30 epochs, seeds 0-2) fell by 0.0-0.9% at Adam 1e-5, still
# at chance, and by 4-47% at Adam 1e-3, Momentum 1e-3 and SGD 0.1 where they learned.
NARROW_MIN_MOVED = 10 ** -1.5


@dataclass(frozen=True)
class Bottleneck:
    """The narrowest hidden Linear layer, narrow enough to cap the error (CLASSES_PER_UNIT)."""

    layer: str
    units: int
    outputs: int


def bottleneck(summary: Any) -> Bottleneck | None:
    """The narrowest hidden Linear layer of a model summary (the built-in trainer's rows:
    name, type, output_shape) when it has a third as many units as the output layer or
    fewer (see CLASSES_PER_UNIT); else None."""
    if not isinstance(summary, Sequence):
        return None
    rows = [(str(row.get("name", "")), row["output_shape"][-1]) for row in summary
            if isinstance(row, Mapping) and row.get("type") == "Linear"
            and isinstance(row.get("output_shape"), list) and row["output_shape"]
            and type(row["output_shape"][-1]) is int]
    if len(rows) < 2:
        return None
    name, units = min(rows[:-1], key=lambda r: r[1])
    return Bottleneck(name, units, rows[-1][1]) if units * CLASSES_PER_UNIT <= rows[-1][1] else None


def trained_far(val_loss: np.ndarray) -> bool:
    """The validation loss (its finite values, first to last) fell by NARROW_MIN_MOVED of its start or more."""
    x = val_loss[np.isfinite(val_loss)]
    return x.size >= 2 and x[0] != 0 and bool((x[0] - x[-1]) / abs(x[0]) >= NARROW_MIN_MOVED)


def too_narrow(neck: Bottleneck | None, val_loss: np.ndarray) -> bool:
    """The trial's own curve shows a network too narrow for its task: a bottleneck, and a
    validation loss that moved far enough (trained_far) for its errors to say what the
    network can fit."""
    return neck is not None and trained_far(val_loss)


def narrow_words(found: list[Finding], neck: Bottleneck | None) -> list[Finding]:
    """The findings with the ``underfitting`` of a network with a bottleneck naming the
    layer, and advising to widen it rather than to add layers."""
    if neck is None:
        return found
    unit = "unit" if neck.units == 1 else "units"
    return [replace(f, summary=f"{f.summary}: {neck.layer} has {neck.units} {unit} for {neck.outputs} outputs",
                    evidence={**f.evidence, "hidden_units": float(neck.units), "outputs": float(neck.outputs)},
                    advice=NARROW_ADVICE) if f.kind == "underfitting" else f for f in found]
