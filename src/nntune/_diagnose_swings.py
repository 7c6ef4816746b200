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
# One swing is enough where the epoch stood twice as high as both neighbours or more (a
# rise of 100%): a spike, the weights thrown far off by one epoch's steps. RMSprop at 0.05
# on the digits MLP (seed 0, 30 epochs) sat converged, then its validation loss leapt from
# 2.32 to 17.3 (643% above both neighbours) and its training loss from 0.039 to 6.4, and
# it was named nothing but dead units. Over 186 runs at good or too-small rates (MLPs of
# 1-6 layers on digits, breast_cancer and wine; SGD, Momentum, Adam, RMSprop, Adagrad; 30
# and 50 epochs, with and without dropout 0.2-0.5, batch norm or L2) no epoch of the
# second half stood more than 45% above both neighbours (dropout 0.5 on breast_cancer).
SWING_SPIKE = 1.0


def swings(tail: np.ndarray) -> list[float]:
    """How far each epoch of ``tail`` that stands above both neighbours does so, as a share
    of the higher neighbour (the largest first)."""
    v = tail[1:-1]
    higher = np.maximum(tail[:-2], tail[2:])
    up = (v > higher) & (higher > 0)
    return sorted((float(r) for r in v[up] / higher[up] - 1.0), reverse=True)


def swing_finding(tail: np.ndarray, train_jump: float, *, name: str = "validation loss") -> Finding | None:
    """``lr_too_large`` when the second half of the curve (``tail``, finite values, lower is
    better) swings SWING_MIN_COUNT times or more by SWING_RISE, or once by SWING_SPIKE;
    else None. ``train_jump``:
    how far the training loss rose above its lowest earlier value (a share of it), the
    corroboration the caller asks for: steps too large shake the training loss as well,
    where a small validation split's noise leaves it falling."""
    big = [s for s in swings(tail) if s >= SWING_RISE]
    if len(big) < SWING_MIN_COUNT and not (big and big[0] >= SWING_SPIKE):
        return None
    evidence = {"swings": len(big), "largest_swing": big[0], "train_loss_jump": train_jump}
    jumped = f"and the training loss jumped {100 * train_jump:.0f}% above its lowest value"
    if len(big) == 1:
        return finding("lr_too_large", evidence,
                       f"the {name} leapt up and back down: one of its last {tail.size} epochs stood {big[0]:.0%} "
                       f"above both neighbouring epochs, {jumped}")
    return finding("lr_too_large", evidence,
                   f"the {name} swings up and back down: {len(big)} of its last {tail.size} epochs stood "
                   f"{SWING_RISE:.0%} or more above both neighbouring epochs (up to {big[0]:.0%}), {jumped}")
