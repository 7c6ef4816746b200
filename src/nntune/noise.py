"""How much of a difference between trials is noise of a finite validation split.

An accuracy measured on n samples is a binomial proportion: its standard error is
sqrt(p (1 - p) / n). When the gap between the best trials is smaller than that, the split
cannot tell them apart; the notes' advice is a 60/20/20 split for small data sets, and
splits of 1% only when 1% is still many samples (a million examples and up).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# Metrics that are a share of the validation samples, so the binomial error applies with n = n_val.
PROPORTION_METRICS = ("accuracy",)
ADVICE = ("treat them as tied, or give the split more samples (the notes: 60/20/20 for small data sets; "
          "splits of 1% only when 1% is still many samples, as with a million examples)")


def binomial_se(p: float, n: int) -> float:
    """Standard error of a proportion ``p`` measured on ``n`` samples (nan for n < 1)."""
    if n < 1 or not 0.0 <= p <= 1.0:
        return math.nan
    return math.sqrt(p * (1.0 - p) / n)


def standard_error(metric: str, value: float | None, n: int | None) -> float | None:
    """The validation value's standard error when the metric is a proportion of ``n``
    samples, else None (no closed form without the predictions)."""
    if value is None or n is None or metric not in PROPORTION_METRICS or not math.isfinite(value):
        return None
    se = binomial_se(float(value), int(n))
    return None if math.isnan(se) else se


def split_warning(metric: str, values: Sequence[float], n: int | None, split: str = "validation") -> str | None:
    """A one-line warning when the ``split`` of ``n`` samples is too small to separate the
    two best validation ``values`` (best first): the best value's standard error exceeds
    their gap. None when it separates them, or when there is no standard error to compare.
    The values are always validation values (the test split scores one trial only), so
    for another split the line says whose values they are and where the error would lie."""
    if len(values) < 2 or n is None:
        return None
    se = standard_error(metric, values[0], n)
    gap = abs(float(values[0]) - float(values[1]))
    if se is None or se <= gap:
        return None
    where = "" if split == "validation" else f" a {split} {metric} near {values[0]:.4g} would have there"
    return (f"the {split} split ({n} samples) is too small to separate the top trials: "
            f"validation {metric} {values[0]:.4g} vs {values[1]:.4g} differ by {gap:.3g}, less than the "
            f"standard error {se:.3g}{where}; {ADVICE}")
