"""A curve that stopped far short of the study's best: ``stalled``, read from the reported
value alone, where a define-by-run objective gives nothing else to read.

An objective that reports only a value per epoch has no training loss and no errors, so
neither ``underfitting`` nor the training-loss readings of a rate too large can hold for it.
A value frozen at chance (a rate so large the units died at once), crawling (a rate far too
small), or frozen where a schedule took the rate to zero would then read as "healthy".
"""

from __future__ import annotations

import numpy as np

from nntune.diagnose_findings import Finding, finding

# Half the curve at least, and enough epochs to call its second half "flat".
STALL_MIN_EPOCHS = 6
# It ended less than halfway from its first value to the study's best ...
STALL_REMAINING = 0.5
# ... its second half gained under 2% of that distance on its first half ...
STALL_LATE_GAIN = 0.02
# ... and that distance is a tenth of the values' size at least: trials a few points apart
# (0.95 against 0.97 accuracy) differ by noise and tuning, not by one that learned nothing.
STALL_MIN_SPAN = 0.1
# Define-by-run digits MLPs reporting validation accuracy or loss, 30 epochs: SGD at 1e-4
# (0.10 -> 0.115 accuracy, loss 2.317 -> 2.306), SGD at 2.0 (accuracy 0.18 then 0.08-0.11
# at chance, loss near 2.33 with one spike to 6.08) and SGD 0.01 under exponential decay
# 0.6 (0.19 -> 0.37 by epoch 10, then frozen) against a study best of 0.983 (loss 0.11):
# remaining 0.77-1.0 of the distance, second halves gaining 0-0.7% of it. Adam at 1e-3 and
# 0.05 in the same studies: 0.06-0.14 of it remaining. Over the 397 full curves of
# benchmarks/data (the few-trial races' CNNs and wide MLPs, 6 epochs each, read against their
# race's best) it names 11: SGD runs frozen at chance (0.08-0.11) or at lr near 0, and three
# MLPs flat at 0.72-0.82 from their first epochs against a best of 0.88.


def stalled_finding(values: np.ndarray, best: float, *, name: str = "reported value",
                    maximize: bool = False) -> Finding | None:
    """``stalled`` for a loss-like curve ``values`` (lower is better; a maximized value
    negated) against the study's best ``best`` in the same terms, or None."""
    x = values[np.isfinite(values)]
    n = x.size
    if n < STALL_MIN_EPOCHS or not np.isfinite(best):
        return None
    first, own_best = float(x[0]), float(x.min())
    span = first - best
    if span <= STALL_MIN_SPAN * max(abs(first), abs(best)):
        return None
    remaining = (own_best - best) / span
    late_gain = (float(x[: n // 2].min()) - own_best) / span
    if remaining < STALL_REMAINING or late_gain >= STALL_LATE_GAIN:
        return None
    shown = (lambda v: -v) if maximize else (lambda v: v)
    evidence = {"first": shown(first), "own_best": shown(own_best), "last": shown(float(x[-1])),
                "study_best": shown(best), "remaining_share": remaining, "late_gain_share": late_gain}
    return finding("stalled", evidence,
                   f"the {name} went from {shown(first):.4g} to {shown(float(x[-1])):.4g} (its best "
                   f"{shown(own_best):.4g}) against the study's best of {shown(best):.4g}; its last "
                   f"{n - n // 2} epochs closed {100 * max(late_gain, 0.0):.1f}% of that gap, and "
                   f"{100 * remaining:.0f}% of it is left")
