"""Whether a loss-like curve is still falling steadily at its end, the reading behind
``lr_too_small`` and behind holding ``underfitting`` back, with its thresholds.

:mod:`nntune.diagnose_rules` calls :func:`steady_descent`; a curve's rate of descent is
measured per unit of learning rate where the trial recorded its rate at every epoch.
"""

from __future__ import annotations

import numpy as np

# Trends need a few epochs; the "end" of a curve is its last quarter, at least 3 steps.
MIN_EPOCHS_FOR_TREND = 4
TREND_WINDOW_FRACTION = 0.25
TREND_MIN_WINDOW = 3
# "Falling steadily": at least 70% of the last window's steps go down, the last one too,
# and the recent rate of descent is at least half the average rate since the first epoch.
# A converged curve (exponential approach) is at a few percent of its average rate by then;
# a too-small learning rate gives a nearly straight line (rate share near 1).
# Under a decaying schedule (cosine, step, exponential) the rate is read per unit of
# learning rate: a curve that slows only because the schedule took the rate away has not
# converged. Digits MLPs (SGD, Momentum, Adam at 1e-3 to 0.3, 8 or 20 epochs, seed 0): 23
# runs under such a schedule that ended far from the best (validation accuracy 0.13-0.86,
# the smallest rates still near chance's loss of 2.30) fell at under half the average rate
# per epoch, and were called underfitting; per unit of rate they fell at 0.70-1.85 of it.
# The runs that converged (0.90 and over) read 0.41 at most either way.
STEADY_FRACTION = 0.7
LR_SMALL_RATE_SHARE = 0.5
# ... and the curve ends at its lowest point, within 5% of its range: a loss drifting down
# 25% above its epoch-5 minimum (a tanh MLP at lr 1e-2) is not still converging.
LR_SMALL_MAX_ABOVE_MIN = 0.05


def steady_descent(x: np.ndarray, lr: np.ndarray | None = None) -> tuple[float, float, float, int] | None:
    """(recent rate share, falling share of steps, drop, window) when ``x`` (finite values)
    falls steadily at its end, at its lowest; else None. ``lr``: the learning rate of each
    epoch of ``x`` (the step into epoch k is taken at epoch k's rate), or None."""
    n = x.size
    if n < MIN_EPOCHS_FOR_TREND:
        return None
    w = min(n - 1, max(TREND_MIN_WINDOW, round(n * TREND_WINDOW_FRACTION)))
    steps = np.diff(x[-(w + 1):])
    total = x[0] - x[-1]
    recent = x[-(w + 1)] - x[-1]
    at_min = x[-1] - x.min() <= LR_SMALL_MAX_ABOVE_MIN * (x.max() - x.min())
    if not (total > 0 and steps[-1] < 0 and at_min):
        return None
    rates = lr is not None and lr.size == n and bool(np.all(np.isfinite(lr) & (lr > 0)))
    if rates:  # descent per unit of learning rate: the same as per epoch at a constant rate
        share = float((recent / lr[-w:].sum()) / (total / lr[1:].sum()))
    else:
        share = float((recent / w) / (total / (n - 1)))
    down = float(np.mean(steps < 0))
    if down < STEADY_FRACTION or share < LR_SMALL_RATE_SHARE:
        return None
    return share, down, float(recent), w


def still_converging(loss: np.ndarray, *, complete: bool = True, lr: np.ndarray | None = None) -> bool:
    """The loss-like curve was still falling steadily at the end (see STEADY_FRACTION),
    whether or not it jumped up on the way: the network has not reached what it can fit.
    ``lr``: each epoch's learning rate, aligned with ``loss``, or None."""
    ok = np.isfinite(loss)
    return complete and steady_descent(loss[ok], None if lr is None or lr.size != loss.size else lr[ok]) is not None
