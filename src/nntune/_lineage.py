"""Whose weights a trial started from: a plain read of its attributes (no torch), shared by
the model file and ``nntune show``, so both name the same parent and epoch."""

from __future__ import annotations

from typing import Any


def continued_from(trial: Any) -> dict[str, int] | None:
    """The trial whose weights ``trial`` started from and that trial's epoch: a fork's or a
    resume's parent, a PBT copy's; None for a trial trained from scratch. Its epochs up to
    that one trained in the parent, with the parent's settings."""
    for parent, step in ((trial.system_attrs.get("parent"), trial.system_attrs.get("parent_step")),
                         (trial.user_attrs.get("pbt_parent"), trial.user_attrs.get("pbt_parent_step"))):
        if isinstance(parent, int) and isinstance(step, int):
            return {"trial": parent, "epoch": step}
    return None
