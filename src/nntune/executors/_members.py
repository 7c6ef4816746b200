"""The population executor's small parts: a heartbeat for many members, a running member,
what the stacks computed, and how many slots a new stack starts with."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nntune.executors._running import INTERRUPTED, Heartbeat
from nntune.trial import TrialState

if TYPE_CHECKING:
    from nntune._trial import Trial
    from nntune.builtin_stack import MemberPlan
    from nntune.study import Study
    from nntune.train.stack import Stack


class MembersHeartbeat(Heartbeat):
    """Beats for every running member, not one trial."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.numbers: set[int] = set()

    def beat(self) -> None:
        for number in list(self.numbers):
            self.current = number
            super().beat()
        self.current = None


@dataclass
class Live:
    """A running member: its trial, plan, stack and start time."""

    trial: Trial
    plan: MemberPlan
    stack: Hashable
    started: float
    stop: bool = False
    refused: Exception | None = None  # a change the member could not take: it fails with it
    # Dropout switched on by a change: the stack drew its masks, which a solo retrain
    # taking the same changes would not draw alike.
    dropout_taken: bool = False


@dataclass
class Occupancy:
    """What the stacks computed: ``idle_share`` is the share of the slots trained (a stack
    trains every slot it holds) that held no member; ``unfilled_share`` the share of the K
    member places left empty over the rounds (every live stack trains one epoch a round),
    counted from the places ``held``;
    ``auto``, under ``population: auto``, how K was chosen (:class:`~nntune.train.stack_size.AutoSize`)."""

    capacity: int
    rounds: int = 0
    member_epochs: int = 0
    slot_epochs: int = 0
    stacks_started: int = 0
    split_rounds: int = 0  # rounds in which more than one stack trained
    # Epochs of one stack: member_epochs / stack_epochs members shared a step on average.
    # Structures split the members (each trains its own stack, one after another), which on
    # a GPU costs nearly a whole stack's epoch for each, however few members it holds.
    stack_epochs: int = 0
    auto: dict[str, Any] | None = None  # population auto: the probe's timings and choice
    # The K places held over the rounds, at most K a round: a member refilled into a stack
    # that trains later in the round trains in it too, beside the one whose place it took,
    # so a round's member epochs may pass K. None: member_epochs (figures made before).
    held: int | None = None

    @property
    def places_held(self) -> int:
        return self.member_epochs if self.held is None else self.held

    @property
    def idle_share(self) -> float:
        return 0.0 if self.slot_epochs == 0 else 1.0 - self.member_epochs / self.slot_epochs

    @property
    def unfilled_share(self) -> float:
        places = self.capacity * self.rounds
        return 0.0 if places == 0 else max(0.0, 1.0 - self.places_held / places)

    def to_json(self) -> dict[str, Any]:
        return {"capacity": self.capacity, "rounds": self.rounds, "member_epochs": self.member_epochs,
                "slot_epochs": self.slot_epochs, "stacks_started": self.stacks_started,
                "split_rounds": self.split_rounds, "stack_epochs": self.stack_epochs, "held": self.places_held,
                "idle_share": round(self.idle_share, 4),
                "unfilled_share": round(self.unfilled_share, 4), **({"auto": self.auto} if self.auto else {})}

    def since(self, earlier: Occupancy) -> Occupancy:
        """What these figures counted after ``earlier`` (a copy of them taken then), with
        this K and how it was chosen: the part not yet stored with the study."""
        return replace(self, **{k: getattr(self, k) - getattr(earlier, k) for k in COUNTS if k != "held"},
                       held=self.places_held - earlier.places_held)


def starting_capacity(k: int, room: int) -> int:
    """Slots for a new stack when ``room`` of the ``k`` places are free: the fewest of k,
    k/2, k/4, ... (rounded up) that hold ``room``, so that the stack, doubling as the older
    stacks drain, reaches about k."""
    c = k
    while c > 1 and math.ceil(c / 2) >= max(1, room):
        c = math.ceil(c / 2)
    return c


def slot_of(stack: Stack, number: int) -> int | None:
    """The slot of trial ``number`` in ``stack`` (slots move when a stack compacts)."""
    return next((s for s, m in stack.members.items() if m.key == number), None)


COUNTS = ("rounds", "member_epochs", "slot_epochs", "stacks_started", "split_rounds", "stack_epochs", "held")


def _count(figures: Mapping[str, Any], key: str) -> int:
    """One count of stored figures (``held`` of figures stored before it was: their member epochs)."""
    if key == "held" and "held" not in figures:
        return int(figures.get("member_epochs", 0))
    return int(figures.get(key, 0))


def _places(figures: Mapping[str, Any]) -> int:
    """The K member places of every round the figures cover (K may differ between runs)."""
    return int(figures.get("places", int(figures.get("capacity", 0)) * int(figures.get("rounds", 0))))


def _shares(total: Mapping[str, int], places: int) -> dict[str, float]:
    member, slot, held = total["member_epochs"], total["slot_epochs"], total["held"]
    return {"idle_share": round(0.0 if slot == 0 else 1.0 - member / slot, 4),
            "unfilled_share": round(0.0 if places == 0 else max(0.0, 1.0 - held / places), 4)}


def add_stats(stored: Any, stats: Occupancy) -> dict[str, Any]:
    """The study's ``population`` figures once one more run in one process has ended: its
    counts added to those the earlier runs of a resumed study stored (in one process or
    several: their sums), the shares over all of them, and K the largest of the runs' with
    how it was chosen (``auto``): ``show`` says "stacks of up to K members" beside the
    members per stack epoch of every run, which a smaller K resumed last would contradict."""
    if not isinstance(stored, dict):
        return stats.to_json()
    latest = stats.to_json()
    total = {k: _count(stored, k) + _count(latest, k) for k in COUNTS}
    places = _places(stored) + stats.capacity * stats.rounds
    if int(stored.get("capacity", 0)) > stats.capacity:
        latest = {k: v for k, v in latest.items() if k != "auto"}
        latest.update({k: stored[k] for k in ("capacity", "auto") if k in stored})
    return {**latest, **total, "places": places, **_shares(total, places)}


# Where the figures of a study's earlier runs in one process go once it is resumed with several.
EARLIER = "earlier runs in one process"


def merge_stats(stored: Any, process: str, stats: Occupancy) -> dict[str, Any]:
    """The study's ``population`` figures once ``process`` (one of several processes, one per
    device) has stored its own: each process's figures under ``processes`` (added to what a
    process of that name stored in an earlier run of a resumed study, as :func:`add_stats`
    adds a run's), and beside them the sums and shares over all of them (what one process
    would show alone), but for ``capacity``: the most members one stack may hold (the
    largest process's K; ``show`` says "stacks of up to K members")."""
    if isinstance(stored, dict) and isinstance(stored.get("processes"), dict):
        kept = dict(stored["processes"])
    elif isinstance(stored, dict) and "rounds" in stored:  # earlier runs in one process
        kept = {EARLIER: stored}
    else:
        kept = {}
    processes = {**kept, process: add_stats(kept.get(process), stats)}
    total = {k: sum(_count(p, k) for p in processes.values()) for k in COUNTS}
    places = sum(_places(p) for p in processes.values())
    return {"capacity": max(int(p.get("capacity", 0)) for p in processes.values()), **total, "places": places,
            **_shares(total, places), "processes": processes}


def requeue_members(study: Study, identity: Mapping[str, Any]) -> list[int]:
    """Ctrl-C: every trial this process runs (its stacks' members, and one asked but not yet
    in a stack) back to the queue at once, as a crashed worker's are re-queued, without
    waiting for a later run to find them silent. Like the serial executor's, an interrupted
    trial is never failed for it and uses up none of the retries a crash gets. The numbers."""
    mine = [t.number for t in study.storage.get_trials(study.id, [TrialState.RUNNING])
            if t.system_attrs.get("worker") == dict(identity)]
    for number in mine:
        study.storage.recover_trial(study.id, number, INTERRUPTED, counted=False)
    return mine
