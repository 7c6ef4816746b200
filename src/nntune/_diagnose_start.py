"""A first epoch whose steps blew the network up: the training loss of epoch 1 many times
the loss of an untrained classifier, a learning rate too large even where the later epochs
recover and look calm (notes 004, 4.6.2: a rate too large makes the loss explode).

An untrained network guesses about evenly over its C classes, so its cross-entropy is
ln C (2.30 for digits' 10 classes), and a first epoch's mean training loss, which counts
those untrained first batches and the steps after them, stays at or under it while the
steps shrink the loss. :func:`nntune.diagnose.diagnose` reads the reference from the
model summary's output layer, for a classification trial trained on cross-entropy; with
no such reference (a regression, another loss, no summary) nothing is read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nntune.diagnose_findings import Finding, finding
from nntune.diagnose_layers import GRAD_NORM_EXPLODED
from nntune.train.metrics import CLASSIFICATION

# The first epoch's mean training loss at 10 times ln C or more. Over 620 labelled real runs
# of the built-in trainer (the default MLP on digits, breast_cancer and wine; SGD, Momentum,
# Adam, RMSprop and Adagrad; 10 and 50 epochs, with and without dropout 0.2-0.5 or batch
# norm; seeds 0-2), the 285 at good rates and 96 at too-small ones averaged at most 1.05
# ln C over their first epoch, while too-large rates reached 10 to 6e7 ln C (RMSprop 0.05 on
# digits: 390, 170 ln C, then 88% on validation against 97-98% at good rates, its
# validation loss above ln C). Weights initialized too large, or unnormalized inputs, lift
# the first epoch too (up to 52 ln C: unnormalized digits with std-0.3 weights), but then
# the first probe's gradient norms, measured before any update, are already exploded and
# exploding_gradients names the initialization; with that probe calm they reached 5.3 ln C
# (std-0.3 weights on digits).
START_BLOWUP = 10.0


def untrained_loss(summary: Any, records: Sequence[Mapping[str, Any]], params: Mapping[str, Any]) -> float | None:
    """ln C for a classifier over C classes trained on cross-entropy, C being the width
    of the model summary's last Linear layer; None where that is unknown or not the loss."""
    if params.get("loss", "cross_entropy") != "cross_entropy" or not records:
        return None
    if not any(f"val_{m}" in records[0] for m in CLASSIFICATION) or not isinstance(summary, Sequence):
        return None
    widths = [row["output_shape"][-1] for row in summary if isinstance(row, Mapping) and row.get("type") == "Linear"
              and isinstance(row.get("output_shape"), list) and row["output_shape"]]
    return math.log(widths[-1]) if widths and type(widths[-1]) is int and widths[-1] >= 2 else None


def start_blowup(train_loss: np.ndarray, reference: float | None,
                 peaks: Sequence[tuple[int, str, float]]) -> Finding | None:
    """``lr_too_large`` when epoch 1's mean training loss (``train_loss[0]``) is
    START_BLOWUP times ``reference`` (ln C) or more and the first probe's gradients
    (``peaks[0]``: epoch, layer, largest norm; epoch 1's probe is measured before any update)
    were calm, so the steps, not the initialization or the inputs, blew it up; else None.
    Records that begin later (a resumed run) have no untrained start to compare with."""
    if reference is None or not train_loss.size or not peaks:
        return None
    epoch, _, norm = peaks[0]
    loss = float(train_loss[0])
    if epoch != 1 or norm >= GRAD_NORM_EXPLODED or not loss >= START_BLOWUP * reference:
        return None
    return finding("lr_too_large", {"epoch": 1.0, "train_loss": loss, "untrained_loss": reference},
                   f"the training loss averaged {loss:.4g} over epoch 1, {loss / reference:.0f} times the "
                   f"{reference:.3g} of an untrained network guessing evenly over {round(math.exp(reference))} "
                   f"classes: the first steps blew the network up")
