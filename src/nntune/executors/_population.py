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

PBT inside the stack: a replacement the PBT scheduler queued continues its parent's state
(a slice copy, or the parent's snapshot), then takes its own perturbed hyperparameters.

Like the other executors it recovers trials a crashed run left running (re-queued, and
started again from their first epoch), asks within the budget, heartbeats every running
member, and records the process's peak memory beside each trial. On Ctrl-C every member it
runs goes back to the queue at once (``requeue_members``) and the interrupt is raised again.

This module holds the entry point, the structure-asking policy (:func:`asker_for`) and the
loop; the state of one run, which starts, trains and ends the members, is
:class:`~nntune.executors._population_stacks.Population`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nntune.exceptions import ConfigError, caused_by_ctrl_c
from nntune.executors._common import (
    WAIT_SECONDS, Callback, WorkerOptions, admission, budget_reached, dead_trials_requeued, recover_interrupted,
    useful_workers,
    worker_identity,
)
from nntune.executors._members import (
    COUNTS, MembersHeartbeat, Occupancy, add_stats, merge_stats, requeue_members, starting_capacity,
)
from nntune.executors._population_stacks import STRUCTURES_ATTR, Population
from nntune.executors._running import termination_as_interrupt
from nntune.samplers._partial_fixed import StructureAsker, structure_block

if TYPE_CHECKING:
    from nntune.study import Study

REFUSAL = ("a define-by-run objective cannot be stacked: run it with the local executor "
           "(serial or --workers N) or ray; the population executor trains a config's task")
STATS_ATTR = "population"
BLOCK_ATTR = "population_block"
# The longest a run's stack figures wait to be stored while no member ends.
FIGURES_SECONDS = 30.0


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
    check_checkpoints(trainer.checkpoints)
    recover_interrupted(study, options)
    if population != "auto":
        # No more members than trials the study may still start: a stack's slots are made
        # before its first epoch, and a K far past the budget would not even fit the memory.
        population = useful_workers(study, total, population)
    base = study.sampler
    study.sampler = asker_for(study, base, total, timeout, structure_block, accelerator=trainer.device.type != "cpu")
    try:
        with termination_as_interrupt(), study._searching():  # kill ends it as Ctrl-C does
            return _run(study, trainer, total, population, timeout, callbacks, options, clock, process)
    except BaseException as err:
        if not caused_by_ctrl_c(err):
            raise
        requeue_members(study, worker_identity())  # the same command continues them
        if isinstance(err, KeyboardInterrupt):
            raise
        raise KeyboardInterrupt from err  # a Ctrl-C that landed in a module's import
    finally:
        study.sampler = base


def check_checkpoints(folder: Path | None) -> None:
    """The folder the members' models are kept in, made before any trial starts: where it
    cannot be, every member would otherwise end in an error with the run left half done."""
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError("search.checkpoint_dir", f"cannot make {str(folder)!r}: {err.strerror or err}") from None


def asker_for(study: Study, base: Any, total: int, timeout: float | None = None,
              block: int | str = "auto", *, accelerator: bool = False) -> StructureAsker:
    """``base`` behind the stack-asking policy, with the block size (``block``, or with
    ``"auto"`` :func:`structure_block`'s for this device) and the structures stored with the study (a first
    run stores its block size: a resumed one keeps it, since the stored structures are
    numbered by it)."""
    from nntune.samplers import GridSampler

    if isinstance(base, StructureAsker):
        return base
    inner = getattr(base, "base", base)  # a grid behind priors or an equal-budget view
    # A grid is never bent: each point keeps its own structure, so no block holds one.
    hold = not isinstance(inner, GridSampler) and not isinstance(base, GridSampler)
    rec = study.storage.load_study(study.study_name)
    attrs = rec.attrs if rec is not None else {}
    stored_block = attrs.get(BLOCK_ATTR)
    if isinstance(stored_block, int) and stored_block >= 1:
        block = stored_block
    else:
        block = structure_block(total, timeout, accelerator) if block == "auto" else int(block)
        if hold:  # stored for a resumed run, and for show ("each structure held for N trials")
            study.storage.set_study_attr(study.id, BLOCK_ATTR, block)
    stored = attrs.get(STRUCTURES_ATTR)
    structures = {int(b): s for b, s in stored.items()} if isinstance(stored, dict) else {}

    def settle(number: int, asked: dict[str, Any]) -> dict[str, Any]:
        """The block's structure as stored first (by this process or a sibling)."""
        stored = study.storage.merge_study_attr(study.id, STRUCTURES_ATTR, lambda kept: {
            str(number): asked, **(kept if isinstance(kept, dict) else {})})
        return dict(stored[str(number)])

    return StructureAsker(base, block, structures, hold=hold, settle=settle)


def _run(study: Study, trainer: Any, total: int, population: int | str, timeout: float | None,
         callbacks: Sequence[Callback], options: WorkerOptions, clock: Callable[[], float],
         process: str | None = None) -> str:
    run = Population(study, trainer, population, options, callbacks, clock)
    start = clock()
    figures = Figures(study, run, process, clock)

    def stop_now() -> str | None:
        if study.stop_requested:
            return study.stop_reason or "stopped by a callback"
        if timeout is not None and clock() - start >= timeout:
            return f"timeout of {timeout:g}s reached"
        return None

    try:
        reason = _search(study, run, total, options, clock, stop_now, figures)
    except BaseException as err:
        if caused_by_ctrl_c(err):  # the stacks that trained until then are part of the study
            figures.keep()
        raise
    figures.keep()
    return reason


class Figures:
    """The run's stack figures, stored with the study as it goes: added to the study's (or,
    under ``process``, merged) after every round in which a member ended and at least every
    :data:`FIGURES_SECONDS`, not only once the run ends, since a run killed (kill -9, a
    machine lost) never reaches its end and its finished trials would be left out of them."""

    def __init__(self, study: Study, run: Population, process: str | None, clock: Callable[[], float]) -> None:
        self.study, self.run, self.process, self.clock = study, run, process, clock
        self.stored = replace(run.stats)  # what the study's figures hold of this run
        self.ended = run.ended
        self.last = clock()

    def round_ended(self) -> None:
        if self.run.ended != self.ended or self.clock() - self.last >= FIGURES_SECONDS:
            self.keep()

    def keep(self) -> None:
        new, self.stored = self.run.stats.since(self.stored), replace(self.run.stats)
        self.ended, self.last = self.run.ended, self.clock()
        if not any(getattr(new, k) for k in COUNTS):
            return
        if self.process is None:
            self.study.storage.merge_study_attr(self.study.id, STATS_ATTR, lambda stored: add_stats(stored, new))
        else:
            self.study.storage.merge_study_attr(self.study.id, STATS_ATTR, lambda stored: merge_stats(
                stored, self.process, new))


def _search(study: Study, run: Population, total: int, options: WorkerOptions, clock: Callable[[], float],
            stop_now: Callable[[], str | None], figures: Figures) -> str:
    """Start, train and refill members until the budget, the timeout or a stop; why it ended."""
    reason: str | None = None  # why no more trials start: the search ends once none trains
    last_sweep = clock()
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
                        reason = budget_reached(total)
                    break
                run.start(trial, heartbeat)
            return reason is not None or waiting

        while True:
            if clock() - last_sweep >= options.stale_grace / 2:  # trials abandoned elsewhere
                recover_interrupted(study, options)
                last_sweep = clock()
            fill()
            if not run.live:
                if reason == budget_reached(total) and dead_trials_requeued(study, options):
                    reason = None  # trained here rather than left running
                    continue
                if reason is not None:
                    break
                # Members training elsewhere may still be replaced (PBT), or another process
                # took the queued trial first: ask again soon.
                time.sleep(WAIT_SECONDS)
                continue
            run.round(heartbeat, fill)
            figures.round_ended()
    assert reason is not None  # the loop ends only with one
    return reason


__all__ = ["REFUSAL", "Occupancy", "Population", "run_population", "starting_capacity"]
