"""The notes' order of tuning, beside the order a study measured.

Notes 001 and 004 rank the hyperparameters by how much tuning them usually pays: the
learning rate first; then momentum, the mini-batch size and the hidden units; then the
number of layers and the learning-rate decay; Adam's beta1, beta2 and eps are left at
their defaults (0.9, 0.999, 1e-8). :func:`priority_rows` puts a study's measured
importance (:func:`nntune.analysis.param_importance`) beside that order, so a user sees
where the study agrees with the notes and where it does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TIERS: dict[int, str] = {
    1: "first: the learning rate",
    2: "second: momentum, mini-batch size, hidden units",
    3: "third: layers, learning-rate decay",
    4: "leave at the defaults: Adam's beta1, beta2, eps",
}
NOTES_TIER: dict[str, int] = {
    "lr": 1,
    "momentum": 2, "batch_size": 2, "units": 2,
    "layers": 3, "lr_schedule": 3, "lr_gamma": 3, "lr_step_epochs": 3, "lr_factor": 3, "lr_patience": 3,
    "beta1": 4, "beta2": 4, "eps": 4,
}


def notes_tier(name: str) -> int | None:
    """The notes' tier of a hyperparameter (1 first), None for one the notes do not rank."""
    return NOTES_TIER.get(name)


def priority_rows(importance: Mapping[str, float]) -> list[dict[str, Any]]:
    """One row per measured parameter, most important first: its share, its measured rank,
    the notes' tier (or None) and whether the two orders disagree on it. A parameter
    disagrees when another parameter of an earlier tier (in the notes) measured less
    important than it."""
    names = sorted(importance, key=lambda n: -float(importance[n]))
    rows = []
    for rank, name in enumerate(names, start=1):
        tier = notes_tier(name)
        later = names[rank:]
        ahead_of_notes = tier is not None and any(
            (notes_tier(other) or 99) < tier for other in later)
        rows.append({"name": name, "share": float(importance[name]), "rank": rank, "notes_tier": tier,
                     "notes_order": TIERS[tier] if tier else "not ranked in the notes",
                     "ahead_of_the_notes": ahead_of_notes})
    return rows
