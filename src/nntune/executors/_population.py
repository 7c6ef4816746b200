"""The population executor: a study's trials trained K at a time as stacks, in this process.

Every member of a stack is its own trial: asked from the study, its epochs reported through
``Trial.report`` (so storage, the scheduler, diagnosis and the report see what they see of a
solo trial), told when it ends. The scheduler never touches a stack; its decisions (and a
user's ``nntune trial stop``/``set``) become ``Stack.remove``/``add``/``copy``/``set_params``.

Refill: after every stack epoch the members that ended (completed, stopped, diverged, past
the trial timeout) are told, and the freed slots take the next trials at once, before any
stack trains its next epoch. A trial goes to the stack of its structure; one of a new
structure starts a new stack beside the old ones, which drain as their members end (never
more than K members in all). Right before a stack trains an epoch it drops the slots that
no member holds (:meth:`Stack.compact`): a stack trains every slot it holds, and the slots
no refill took by then (members of an older structure ending, PBT waiting for a member to
be replaced, fewer trials of one structure than K) would train for nothing.
``idle_share`` (stored with the study as ``population``) is the share of the slots trained
that held no member, over the rounds in which every live stack trained one epoch.

``population: auto`` is sized at the first stack, with its structure
(:meth:`~nntune.builtin_stack.StackTrainer.auto_size`): within what fits the memory and,
under PBT, PBT's population (the stack follows PBT: no more members train at once), on an
accelerator the size past which a timed training step no longer costs each member less
(:mod:`nntune.train.stack_size`); the timings are stored with the figures.

PBT inside the stack: a replacement the PBT scheduler queued continues its parent by a slice
copy (``Stack.copy``: weights, batch-norm statistics, optimizer state, schedule) when the
parent is in a stack at the replacement's start epoch, else from the parent's snapshot of
that epoch; then its own perturbed hyperparameters are set in place (``Stack.set_params``).
The lineage is stored as under every executor (the queued trial's parent marks).

Like the other executors it recovers trials a crashed run left running (re-queued, and
started again from their first epoch), asks within the budget, heartbeats every running
member, and records the process's peak memory beside each trial. On Ctrl-C every member it
runs goes back to the queue at once (``requeue_members``) and the interrupt is raised again.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nntune.changes import STOP
from nntune.exceptions import ConfigError
from nntune.executors._common import (
    WAIT_SECONDS, Callback, WorkerOptions, admission, recover_interrupted, worker_identity,
)
from nntune.executors._members import (
    Live, MembersHeartbeat, Occupancy, merge_stats, requeue_members, slot_of, starting_capacity,
)
from nntune.executors._memory import PeakMemory
from nntune.storage import TrialStateError
from nntune.samplers._partial_fixed import StructureAsker, structure_block
from nntune.trial import TrialState

if TYPE_CHECKING:
    from nntune._trial import Trial
    from nntune.builtin_stack import MemberPlan, StackTrainer
    from nntune.study import Study
    from nntune.train.stack import Stack, StackResult

REFUSAL = ("a define-by-run objective cannot be stacked: run it with the local executor "
           "(serial or --workers N) or ray; the population executor trains a config's task")
STATS_ATTR = "population"
STRUCTURES_ATTR, BLOCK_ATTR = "population_structures", "population_block"


class Population:
    """The state of one population run: live stacks and members, and what they did."""

    def __init__(self, study: Study, trainer: StackTrainer, capacity: int | str, options: WorkerOptions,
                 callbacks: Sequence[Callback], clock: Callable[[], float]) -> None:
        self.study, self.trainer, self.options, self.callbacks, self.clock = study, trainer, options, callbacks, clock
        self.population = capacity
        self.capacity: int | None = None if capacity == "auto" else int(capacity)
        self.stacks: dict[Hashable, Stack] = {}
        self.live: dict[int, Live] = {}
        self.stats = Occupancy(self.capacity or 0)
        self.best: tuple[float, str] | None = None  # the kept model of the best complete member
        self.identity = worker_identity()
        self.peak = PeakMemory()
        self.kept_structures = 0

    # ------------------------------------------------------------ starting members

    def room(self) -> int:
        """Members that may start now (one, to size the stacks, while ``auto`` is unsized)."""
        return (1 if self.capacity is None else self.capacity) - len(self.live)

    def start(self, trial: Trial, heartbeat: MembersHeartbeat) -> None:
        """Put an asked trial into the stack of its structure (a new one if none is live)."""
        plan = None
        try:
            plan = self.trainer.plan(trial)
            self.keep_structures()
            if self.capacity is None:  # auto: timed on the device with this first structure
                sized = self.trainer.auto_size(plan)
                self.capacity = self.stats.capacity = sized.k
                self.stats.auto = sized.to_json()
            stack = self.stacks.get(plan.structure)
            if stack is None:  # as many slots as there is room now; it grows as older stacks drain
                stack = self.trainer.stack(plan, starting_capacity(self.capacity, self.capacity - len(self.live)))
                self.stacks[plan.structure] = stack
                self.stats.stacks_started += 1
            slot = stack.add(plan.params, seed=plan.seed, key=trial.number)
            self.live[trial.number] = Live(trial, plan, plan.structure, self.clock())
            heartbeat.numbers.add(trial.number)
            if plan.proposal is not None:
                self.inherit(trial, plan, stack, slot)
        except Exception as err:  # noqa: BLE001 - this trial fails; the others go on
            self.live.pop(trial.number, None)
            heartbeat.numbers.discard(trial.number)
            stack = self.stacks.get(plan.structure) if plan is not None else None
            slot = slot_of(stack, trial.number) if stack is not None else None
            if stack is not None and slot is not None:
                stack.remove(slot)
                if not stack.members:
                    del self.stacks[plan.structure]  # type: ignore[union-attr]
            self.fail(trial, err)

    def keep_structures(self) -> None:
        """Store each block's structure with the study once asked, so a resumed run (or a
        model-based sampler that would ask differently now) holds the same ones."""
        asker = self.study.sampler
        if isinstance(asker, StructureAsker) and len(asker.structures) != self.kept_structures:
            ours = {str(b): s for b, s in sorted(asker.structures.items())}
            # Blocks a sibling process stored first stay as stored.
            self.study.storage.merge_study_attr(self.study.id, STRUCTURES_ATTR, lambda stored: {
                **ours, **(stored if isinstance(stored, dict) else {})})
            self.kept_structures = len(asker.structures)

    def inherit(self, trial: Trial, plan: MemberPlan, stack: Stack, slot: int) -> None:
        """A PBT replacement continues its parent: a slice copy when the parent trains in this
        stack at the start epoch, else the parent's snapshot; then its own parameters."""
        from nntune.control import record_inherited
        from nntune.train.models import dropout_rate

        proposal = plan.proposal
        assert proposal is not None
        parent = self.live.get(proposal.parent)
        parent_slot = slot_of(stack, proposal.parent) if parent is not None and parent.stack == plan.structure else None
        if parent_slot is not None and stack.members[parent_slot].epoch == proposal.parent_step:
            stack.copy(parent_slot, slot)
            trial.set_system_attr("inherited_by", "slice copy")
        else:
            weights = self.trainer.parent_weights(proposal)
            if weights is None:
                raise RuntimeError(f"trial {proposal.parent}'s state at epoch {proposal.parent_step} "
                                   "is neither in a stack nor saved")
            stack.net.load_member(slot, weights, dropout_rate(stack.members[slot].hp))
            trial.set_system_attr("inherited_by", "snapshot")
        stack.set_params(slot, plan.params)
        member = stack.members[slot]
        member.epoch = proposal.parent_step  # it reports the steps after its parent's
        member.iterations = proposal.parent_step * len(stack.starts)
        record_inherited(self.study.storage, self.study.id, trial.number, proposal.parent,
                         proposal.parent_step, plan.params, "pbt")

    # ------------------------------------------------------------ training

    def report(self, key: Hashable, epoch: int, record: dict[str, Any]) -> bool:
        """A member's epoch, reported as a solo trial reports it; True stops it."""
        live = self.live[int(key)]  # type: ignore[call-overload]
        trial = live.trial
        stack = self.stacks[live.stack]
        slot = slot_of(stack, trial.number)
        if slot is not None:
            self.trainer.snapshot(stack, slot, trial.number, epoch)
        trial.report(record["value"], epoch, metrics=record)
        taken = trial.take_changes(epoch, stack.members[slot].hp if slot is not None else live.plan.params)
        if taken.pop(STOP, False):
            live.stop = True
        live.changes.update(taken)
        if live.stop:
            trial.set_system_attr("stopped_by", "user")
            return True
        return trial.should_prune()

    def epoch(self, key: Hashable, heartbeat: MembersHeartbeat) -> None:
        """One epoch of one stack; its ended members told, their slots refilled by the caller."""
        stack = self.stacks[key]
        if len(stack.members) < stack.capacity:
            # No trial takes a free slot before this epoch (the refills came first), and a
            # stack trains every slot it holds: an empty one would cost a member's epoch for
            # nothing, dropping it costs one copy of the members' tensors.
            stack.compact()
        trained, computed = len(stack.members), stack.capacity
        self.peak.reset()
        try:
            ended = stack.run_epoch(self.report)
        except Exception as err:  # noqa: BLE001 - the stack's members fail, other stacks go on
            for number in [n for n, live in self.live.items() if live.stack == key]:
                heartbeat.numbers.discard(number)
                self.fail(self.live.pop(number).trial, err)
            del self.stacks[key]
            return
        self.stats.member_epochs += trained
        self.stats.slot_epochs += computed
        self.stats.stack_epochs += 1
        for result in ended:
            self.end(int(result.key), result, heartbeat)  # type: ignore[call-overload]
        for number, live in list(self.live.items()):
            if live.stack != key:
                continue
            slot = slot_of(stack, number)
            if live.changes and slot is not None:
                stack.set_params(slot, {**stack.members[slot].hp, **live.changes})
                live.changes.clear()
            limit = self.options.trial_timeout
            if limit is not None and slot is not None and self.clock() - live.started > limit:
                stack.remove(slot)
                heartbeat.numbers.discard(number)
                del self.live[number]
                self.fail(live.trial, TimeoutError(f"the trial ran longer than its timeout of {limit:g}s "
                                                   "(checked between epochs)"), record=False)

    def end(self, number: int, result: StackResult, heartbeat: MembersHeartbeat) -> None:
        live = self.live.pop(number)
        heartbeat.numbers.discard(number)
        trial = live.trial
        self.measure(trial)
        try:
            if result.diverged is not None:
                trial.set_system_attr("diverged_epoch", result.epochs)
                frozen = self.study.tell(trial, state=TrialState.DIVERGED, error=result.diverged)
            else:
                value = self.trainer.finish(trial, live.plan, result)
                if result.stopped_by_report:
                    frozen = self.study.tell(trial, state=TrialState.PRUNED)
                else:
                    self.keep_if_best(trial, result, value)
                    frozen = self.study.tell(trial, value)
        except TrialStateError:
            return  # recovered elsewhere meanwhile (a heartbeat gap): it is no longer ours
        for cb in self.callbacks:
            cb(self.study, frozen)

    def keep_if_best(self, trial: Trial, result: StackResult, value: float) -> None:
        """Keep the model of the best complete member for the sealed test look (one file)."""
        better = self.best is None or (value > self.best[0] if self.study.direction == "maximize"
                                       else value < self.best[0])
        if not better:
            return
        path = self.trainer.keep_model(trial, result)
        if path is None:
            return
        if self.best is not None and self.best[1] != path:
            Path(self.best[1]).unlink(missing_ok=True)
        self.best = (value, path)

    def measure(self, trial: Trial) -> None:
        from nntune.executors._memory import gpu_peak_mb

        trial.set_system_attr("peak_rss_mb", self.peak.peak_mb())
        gpu = gpu_peak_mb()
        if gpu is not None:
            trial.set_system_attr("peak_gpu_mb", gpu)

    def fail(self, trial: Trial, err: BaseException, *, record: bool = True) -> None:
        message = f"{type(err).__name__}: {err}".splitlines()[0][:500]
        if record:
            trial.set_system_attr("traceback", traceback.format_exc()[-4000:])
        try:
            frozen = self.study.tell(trial, state=TrialState.FAILED, error=message)
        except TrialStateError:
            return
        for cb in self.callbacks:
            cb(self.study, frozen)

    def round(self, heartbeat: MembersHeartbeat, fill: Callable[[], bool]) -> None:
        """Every live stack trains one epoch; freed slots are refilled after each."""
        from nntune.train.threads import use_threads

        use_threads(device=self.trainer.device)  # the solo trainer's thread rule, each round
        keys = list(self.stacks)
        self.stats.rounds += 1
        self.stats.split_rounds += len(keys) > 1
        for key in keys:
            if key in self.stacks:
                self.epoch(key, heartbeat)
                fill()  # the freed slots first: this structure's next trial reuses the stack
        for key in [k for k, stack in self.stacks.items() if not stack.members]:
            del self.stacks[key]  # drained: its structure has no trial left here


def run_population(study: Study, trainer: Any, *, total: int, population: int | str = "auto",
                   timeout: float | None = None, structure_block: int | str = "auto",
                   callbacks: Sequence[Callback] = (),
                   options: WorkerOptions = WorkerOptions(),
                   clock: Callable[[], float] = time.monotonic, process: str | None = None) -> str:
    """Train the study's trials as stacks of ``population`` members (``"auto"``: sized to
    the device, above) until the study holds ``total`` trials, ``timeout`` seconds pass (no member
    starts after it; those running finish), or a callback calls ``study.stop()``. ``trainer``
    is a :class:`~nntune.builtin_stack.StackTrainer`; a define-by-run objective is refused.
    ``process`` names this process among several running the study (one per device): its
    stacks' figures are then stored under that name and summed with its siblings'.
    Returns why it stopped."""
    from nntune.builtin_stack import StackTrainer

    if not isinstance(trainer, StackTrainer):
        raise ConfigError("search.executor", REFUSAL)
    if population != "auto" and (isinstance(population, bool) or not isinstance(population, int) or population < 1):
        raise ConfigError("search.population", f"must be an integer >= 1 or 'auto', got {population!r}")
    if structure_block != "auto" and (isinstance(structure_block, bool) or not isinstance(structure_block, int)
                                      or structure_block < 1):
        raise ConfigError("search.structure_block", f"must be an integer >= 1 or 'auto', got {structure_block!r}")
    recover_interrupted(study, options)
    base = study.sampler
    study.sampler = asker_for(study, base, total, timeout, structure_block, accelerator=trainer.device.type != "cpu")
    try:
        return _run(study, trainer, total, population, timeout, callbacks, options, clock, process)
    except KeyboardInterrupt:
        requeue_members(study, worker_identity())  # the same command continues them
        raise
    finally:
        study.sampler = base


def asker_for(study: Study, base: Any, total: int, timeout: float | None = None,
              block: int | str = "auto", *, accelerator: bool = False) -> StructureAsker:
    """``base`` behind the stack-asking policy, with the block size (``block``, or with
    ``"auto"`` :func:`structure_block`'s for this device) and the structures stored with the study (a first
    run stores its block size: a resumed one keeps it, since the stored structures are
    numbered by it)."""
    from nntune.samplers import GridSampler

    if isinstance(base, StructureAsker):
        return base
    rec = study.storage.load_study(study.study_name)
    attrs = rec.attrs if rec is not None else {}
    stored_block = attrs.get(BLOCK_ATTR)
    if isinstance(stored_block, int) and stored_block >= 1:
        block = stored_block
    else:
        block = structure_block(total, timeout, accelerator) if block == "auto" else int(block)
        study.storage.set_study_attr(study.id, BLOCK_ATTR, block)
    stored = attrs.get(STRUCTURES_ATTR)
    structures = {int(b): s for b, s in stored.items()} if isinstance(stored, dict) else {}
    inner = getattr(base, "base", base)  # a grid behind priors or an equal-budget view

    def settle(number: int, asked: dict[str, Any]) -> dict[str, Any]:
        """The block's structure as stored first (by this process or a sibling)."""
        stored = study.storage.merge_study_attr(study.id, STRUCTURES_ATTR, lambda kept: {
            str(number): asked, **(kept if isinstance(kept, dict) else {})})
        return dict(stored[str(number)])

    return StructureAsker(base, block, structures, hold=not isinstance(inner, GridSampler)
                          and not isinstance(base, GridSampler), settle=settle)


def _run(study: Study, trainer: Any, total: int, population: int | str, timeout: float | None,
         callbacks: Sequence[Callback], options: WorkerOptions, clock: Callable[[], float],
         process: str | None = None) -> str:
    run = Population(study, trainer, population, options, callbacks, clock)
    start = last_sweep = clock()
    study._stop = False
    reason: str | None = None  # why no more trials start: the search ends once none trains

    def stop_now() -> str | None:
        if study.stop_requested:
            return study.stop_reason or "stopped by a callback"
        if timeout is not None and clock() - start >= timeout:
            return f"timeout of {timeout:g}s reached"
        return None

    with MembersHeartbeat(study.storage, study.id, options.heartbeat_interval, run.peak) as heartbeat:
        waiting = False  # PBT: nothing to start until a running member is replaced

        def fill() -> bool:
            """Start trials into the free room; True when none is left to start now."""
            nonlocal reason, waiting
            waiting = False
            while reason is None and run.room() > 0:
                reason = stop_now()
                if reason is not None:
                    break
                verdict, why = admission(study, total)
                if verdict == "done":
                    reason = why
                    break
                if verdict == "wait":
                    waiting = True
                    break
                trial = study.try_ask(total, system_attrs={"worker": run.identity},
                                      waiting_only=verdict == "queued")
                if trial is None:
                    if verdict != "queued":
                        reason = f"the study holds {total} trials"
                    break
                run.start(trial, heartbeat)
            return reason is not None or waiting

        while True:
            if clock() - last_sweep >= options.stale_grace / 2:  # trials abandoned elsewhere
                recover_interrupted(study, options)
                last_sweep = clock()
            fill()
            if not run.live:
                if reason is not None:
                    break
                # Members training elsewhere may still be replaced (PBT), or another process
                # took the queued trial first: ask again soon.
                time.sleep(WAIT_SECONDS)
                continue
            run.round(heartbeat, fill)
    if process is None:
        study.storage.set_study_attr(study.id, STATS_ATTR, run.stats.to_json())
    else:
        study.storage.merge_study_attr(study.id, STATS_ATTR, lambda stored: merge_stats(
            stored, process, run.stats))
    assert reason is not None  # the loop ends only with one
    return reason


__all__ = ["REFUSAL", "Occupancy", "run_population", "starting_capacity"]
