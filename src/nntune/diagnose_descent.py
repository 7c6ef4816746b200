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
# A schedule that took the rate under 1% of its highest has all but stopped training: a
# float32 loss then moves by little or nothing (SGD 0.01 on a digits MLP, exponential decay
# at gamma 0.7 or steps of 0.1 every 3 epochs: the validation loss froze at 2.2384133 from
# epoch 31 on, at 33% accuracy), so the descent is read up to the last epoch at 1% or more.
# Runs that converged (Adam, Momentum and SGD at good rates under the same decays and
# under cosine, 92-97%) are no steadier read so; the stalled ones fell at 1.0-1.8 of their
# average rate per unit of rate until then.
LR_SPENT = 0.01


def rated_epochs(lr: np.ndarray | None, n: int) -> int:
    """How many of the ``n`` epochs the descent is read over: all of them, or, where the
    schedule lowered the rate under LR_SPENT of its highest, those up to the last epoch at
    LR_SPENT or more (``lr``: each epoch's rate, or None)."""
    if lr is None or lr.size != n or n == 0 or not (np.all(np.isfinite(lr)) and lr.max() > 0):
        return n
    # At least a trend's epochs: exponential decay at gamma 0.1 an epoch (the step
    # schedule's usual factor) is under 1% after two.
    return max(min(n, MIN_EPOCHS_FOR_TREND), int(np.flatnonzero(lr >= LR_SPENT * lr.max())[-1]) + 1)


def steady_descent(x: np.ndarray, lr: np.ndarray | None = None) -> tuple[float, float, float, int] | None:
    """(recent rate share, falling share of steps, drop, window) when ``x`` (finite values)
    falls steadily at its end, at its lowest; else None. ``lr``: the learning rate of each
    epoch of ``x`` (the step into epoch k is taken at epoch k's rate), or None; the epochs
    after :func:`rated_epochs` are left out, as the rate was all but gone."""
    k = rated_epochs(lr, x.size)
    x, lr = x[:k], None if lr is None else lr[:k]
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


def stalled_by_schedule(x: np.ndarray, lr: np.ndarray | None) -> bool:
    """``x`` (finite values) falls steadily per unit of the learning rate ``lr`` each epoch
    had, but not per epoch over all its epochs: the schedule, not convergence, slowed it,
    so more epochs under the same decay add little (an exponential decay at gamma 0.7
    leaves the rate at 3e-5 of its start after 30 epochs, and a digits MLP it stalled at
    22% accuracy moved its validation loss by 2e-6 over its last 8 epochs)."""
    return lr is not None and steady_descent(x, lr) is not None and steady_descent(x) is None


def still_converging(loss: np.ndarray, *, complete: bool = True, lr: np.ndarray | None = None) -> bool:
    """The loss-like curve was still falling steadily at the end (see STEADY_FRACTION),
    whether or not it jumped up on the way: the network has not reached what it can fit.
    ``lr``: each epoch's learning rate, aligned with ``loss``, or None."""
    ok = np.isfinite(loss)
    return complete and steady_descent(loss[ok], None if lr is None or lr.size != loss.size else lr[ok]) is not None
