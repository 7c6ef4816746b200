"""How far a learning rate found too small is from a good one, read from how far its curve
moved: the ``lr_too_small`` finding, built for :func:`nntune.diagnose_rules.learning_rate_findings`.

The notes (004, 4.6.2) say to train longer or raise the rate a little when the validation
loss is still falling at the end; a rate "much smaller than the ideal" (4.6.1) only gets
there after a very long time. Which of the two a curve shows is in its numbers: a curve
that barely moved over all its epochs needs the rate raised by orders of magnitude, not a
little, and the advice says by how much.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from nntune.diagnose_descent import LR_SPENT, rated_epochs, stalled_by_schedule
from nntune.diagnose_findings import ADVICE, LR_SCHEDULE_ADVICE, Finding, finding

# The rate is raised by about 1 / (the share of its starting value the curve fell by), in
# powers of ten: while a rate is far too small the curve travels a distance proportional
# to it (10x the rate, 10x the distance), and a good rate covers most of the start in as
# many epochs. Measured on MLPs (2 hidden layers of 64) over 15 epochs, SGD, Momentum and
# Adam, on digits and breast_cancer: the validation loss fell by 0.0088%, 0.088%, 0.88% and
# 12.7% of its start under SGD at 1e-5, 1e-4, 1e-3 and 1e-2 on digits, and by 92% at 1e-1
# (95.5% accuracy); Momentum 1e-3 12%, Adam 1e-5 1.4% and 1e-4 25%, breast_cancer 1.6-21%:
# each good rate (92-89% of the start covered) was the one 10^round(log10(1 / share)) times
# larger. A curve that fell by a third or more (rounding to 10^0) is the notes' "a little".


def rate_orders(moved: float) -> int:
    """The powers of ten to raise a rate whose curve fell by ``moved`` of its start (0: a little)."""
    return max(0, round(math.log10(1.0 / moved))) if moved > 0 else 0


def _fold(orders: int) -> str:
    if orders == 1:
        return "about tenfold (one order of magnitude)"
    if orders == 2:
        return "about a hundredfold (two orders of magnitude)"
    return f"by about {orders} orders of magnitude ({10 ** orders:,}-fold)"


def _percent(share: float) -> str:
    """A share as a percentage with two significant digits (0.0088%, 0.88%, 13%)."""
    return f"{100 * share:.2g}%"


def too_small_advice(moved: float, epochs: int) -> str:
    """The advice for a curve still falling at its end that fell by ``moved`` of its
    starting value over ``epochs`` epochs: the notes' words where it covered much of it,
    else by how much to raise the rate."""
    orders = rate_orders(moved)
    if orders == 0:
        return ADVICE["lr_too_small"]
    pace = "but barely moved" if orders >= 2 else "slowly"
    much = "far too small" if orders >= 2 else "too small"
    return (f"The validation curve was still improving at the end, {pace}: over {epochs} epochs it fell by "
            f"{_percent(moved)} of its starting value. The learning rate is {much}: raise it {_fold(orders)}. At a "
            f"rate this small the curve moves in proportion to it, so more epochs at this rate would take about "
            f"{10 ** orders:,} times as many.")


def slow_finding(x: np.ndarray, rates: np.ndarray | None, steady: tuple[float, float, float, int], *,
                 cut_epoch: int, name: str, better: str) -> Finding:
    """``lr_too_small`` for the finite curve ``x`` (lower is better) that
    :func:`~nntune.diagnose_descent.steady_descent` read as falling steadily at its end
    (``steady``); ``rates``: each epoch's learning rate, or None; ``cut_epoch``: the last
    epoch the descent was read to (a schedule that spent its rate stops it early)."""
    share, down, recent, w = steady
    n = x.size
    k = rated_epochs(rates, n)  # the epochs after k trained at a rate all but gone
    until = "at the end" if k == n else f"until epoch {cut_epoch}"
    said = (f"the {name} was still {better} {until}: the last {w} epochs "
            f"improved it at {100 * share:.0f}% of the average rate")
    moved = float((x[0] - x[k - 1]) / abs(x[0])) if x[0] != 0 else math.inf
    evidence = {"recent_rate_share": share, "falling_steps": down, "last_value": x[-1],
                "drop_last_window": recent, "window_epochs": w}
    if math.isfinite(moved):
        evidence.update(moved_share=moved, rate_factor=10.0 ** rate_orders(moved))
    advice = too_small_advice(moved, k) if math.isfinite(moved) else ADVICE["lr_too_small"]
    if rates is not None and rates.size == n and rates[-1] < rates.max():
        # The highest rate, not the first: a warm-up starts low and climbs to it.
        peak = "start" if rates[0] == rates.max() else "peak"
        said += (f" for the learning rate they had (the schedule had lowered it to "
                 f"{_share(rates[-1] / rates.max())} of its {peak}")
        said += ")" if k == n else f", under {_share(LR_SPENT)} after epoch {cut_epoch})"
        if stalled_by_schedule(x, rates):
            evidence["lr_last_share"] = float(rates[-1] / rates.max())
            advice = LR_SCHEDULE_ADVICE
    if math.isfinite(moved) and rate_orders(moved) > 0 and advice is not LR_SCHEDULE_ADVICE:
        said += f"; over {k} epochs it fell by only {_percent(moved)} of its starting value"
    return replace(finding("lr_too_small", evidence, said), advice=advice)


def _share(share: float) -> str:
    """A share as a percentage: whole percents, or one significant digit under 1% (a rate
    an exponential decay took to 3e-5 of its start is no "0%")."""
    return f"{100 * share:.0f}%" if share >= 0.01 else f"{100 * share:.1g}%"
