"""What ``nntune show``, the report and the dashboard say of a study trained by the
population executor: how many members a stack held and why, how full its slots were, and
for how many trials each structure was held (the figures stored with the study)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nntune._words import counted

BOUND_REASONS = {"memory": "what fits the memory", "device": "the most for this kind of device",
                 "pbt": "PBT's population"}


def bound_reason(auto: Mapping[str, Any]) -> str:
    """``, <what set auto's bound>`` where the figures say, else nothing."""
    reason = BOUND_REASONS.get(str(auto.get("bound_by", "")))
    return f", {reason}" if reason else ""


def auto_choice(stats: Mapping[str, Any]) -> Any:
    """How ``population: auto`` chose K: the study's own figures, or, with one process per
    device (``processes``), those of the process whose stacks held the most members."""
    if "auto" in stats:
        return stats["auto"]
    processes = stats.get("processes")
    if not isinstance(processes, Mapping):
        return None
    held = [p for p in processes.values() if isinstance(p, Mapping) and isinstance(p.get("auto"), Mapping)]
    return max(held, key=lambda p: int(p.get("capacity", 0)))["auto"] if held else None


def auto_text(auto: Any) -> str:
    """`` (auto: ...)``: how K was chosen, or nothing when it was given."""
    if isinstance(auto, Mapping) and auto.get("rule") == "timed":
        steps = ", ".join(f"{k}: {float(sec) * 1e3:.3g} ms" for k, sec in auto.get("step_seconds", []))
        return (f" (auto: a training step of 1, 2, 4, ... members timed ({steps}); the largest whose time per "
                f"member still fell by {float(auto.get('gain', 0.15)):.0%} a doubling, within "
                f"{auto.get('bound')}{bound_reason(auto)})")
    if isinstance(auto, Mapping):
        return f" (auto: {auto.get('bound')}{bound_reason(auto)}, not timed on a CPU)"
    return ""


def processes_text(stats: Mapping[str, Any]) -> str:
    """`` in each of N processes (names)`` with one process per device, else nothing."""
    from nntune.executors._members import EARLIER  # a resumed study's runs before it had several

    processes = stats.get("processes")
    names = sorted(str(p) for p in processes if p != EARLIER) if isinstance(processes, Mapping) else []
    return f" in each of {len(names)} processes ({', '.join(names)})" if len(names) > 1 else ""


def population_data(stats: Any, block: Any = None) -> dict[str, Any] | None:
    """The population executor's figures (stored with the study) and a line that says how
    many members a stack held, why, how full its slots were, and for how many trials each
    structure was held (``block``, as stored); None without them."""
    if not isinstance(stats, dict) or not isinstance(stats.get("capacity"), int):
        return None
    text = (f"stacks of up to {counted(stats['capacity'], 'member')}{processes_text(stats)}"
            f"{auto_text(auto_choice(stats))}")
    if stats.get("stack_epochs"):
        # How many trials shared each step: structures split them into separate stacks,
        # and the counts let a user check it against the trials' own epochs.
        members, stacks = int(stats.get("member_epochs", 0)), int(stats["stack_epochs"])
        text += (f"; on average {members / stacks:.1f} trained together "
                 f"({members} trial epochs in {stacks} stack epochs)")
    if stats.get("slot_epochs") and float(stats.get("idle_share", 0.0)) > 0:
        # A stack drops its empty slots before each epoch, so this is nearly always none:
        # a line that said "0.0% ... held no member" read as full stacks beside the average.
        text += f"; {float(stats['idle_share']):.1%} of the slots trained held no member"
    if isinstance(block, int) and not isinstance(block, bool):
        text += f"; each structure held for {block} trial{'s' if block != 1 else ''}"
    return {**stats, "text": text}
