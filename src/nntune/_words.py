"""Counts in messages: "1 trial", "3 trials", never "1 trials"."""

from __future__ import annotations


def counted(n: int | float, noun: str, plural: str | None = None) -> str:
    """``n`` followed by ``noun`` (its last word made plural unless ``n`` is exactly 1):
    ``counted(1, "complete trial")`` is "1 complete trial", ``counted(0, "trial")`` is
    "0 trials"; ``plural`` for a noun that does not take an "s" ("study", "studies")."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def agreeing(n: int | float, one: str, many: str) -> str:
    """The verb that agrees with ``n`` things, ``one`` when ``n`` is exactly 1:
    "1 trial was", "2 trials were" (``agreeing(n, "was", "were")``)."""
    return one if n == 1 else many


__all__ = ["agreeing", "counted"]
