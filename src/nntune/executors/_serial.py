"""The serial executor: trials one after another in this process, within the study's budget.

Like every executor it recovers trials that an earlier, crashed run left running (at the
start, and now and then for trials that processes elsewhere abandoned),
asks only while the study holds fewer than ``total`` trials (so several processes sharing
the study never overshoot), and heartbeats while a trial runs. A storage whose disk is full
ends the search with its one line, the trial it ran queued again using up none of its
retries (by the next run, where the storage could not take even that).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nntune.exceptions import caused_by_ctrl_c

from nntune.executors._common import (
    Callback,
    WorkerOptions,
    dead_trials_requeued,
    recover_interrupted,
    requeue_unwritten,
    WAIT_SECONDS,
    admission,
    worker_identity,
    budget_reached,
)
from nntune.executors._members import requeue_members
from nntune.executors._memory import PeakMemory
from nntune.executors._processes import DISK_FULL
from nntune.executors._running import Heartbeat, run_measured, termination_as_interrupt
from nntune.storage._base import StorageFull

if TYPE_CHECKING:
    from nntune.study import Objective, Study


def run_serial(study: Study, objective: Objective, *, total: int, timeout: float | None = None,
               callbacks: Sequence[Callback] = (), options: WorkerOptions = WorkerOptions(),
               catch: tuple[type[BaseException], ...] = (Exception,),
               clock: Callable[[], float] = time.monotonic) -> str:
    """Run trials until the study holds ``total`` (running or finished), ``timeout`` seconds
    pass, or a callback calls ``study.stop()``. Returns why it stopped."""
    recover_interrupted(study, options)
    identity = worker_identity()
    try:
        return _search(study, objective, total, timeout, callbacks, options, catch, clock, identity)
    except BaseException as err:
        # A Ctrl-C or kill that lands between a trial's claim and its objective (while the
        # sampler draws, say) leaves a running trial no one re-queues until its heartbeat
        # goes silent: every trial this process still runs goes back to the queue now.
        if caused_by_ctrl_c(err):
            requeue_members(study, identity)
        elif isinstance(err, StorageFull):
            # No trial's fault, as under worker processes: its trial goes back to the queue
            # using up none of its retries, and the search ends with the storage's line.
            left = requeue_unwritten(study, identity, DISK_FULL)
            if left:
                raise StorageFull(err.field, f"{err.problem}; {unrecorded_words(left)}") from None
        raise


def _search(study: Study, objective: Objective, total: int, timeout: float | None, callbacks: Sequence[Callback],
            options: WorkerOptions, catch: tuple[type[BaseException], ...], clock: Callable[[], float],
            identity: dict[str, Any]) -> str:
    start = last_sweep = clock()
    with termination_as_interrupt(), study._searching(), \
            Heartbeat(study.storage, study.id, options.heartbeat_interval, PeakMemory()) as heartbeat:
        while True:
            if study._stop:
                return study.stop_reason or "stopped by a callback"
            if timeout is not None and clock() - start >= timeout:
                return f"timeout of {timeout:g}s reached"
            if clock() - last_sweep >= options.stale_grace / 2:  # trials abandoned elsewhere
                recover_interrupted(study, options)
                last_sweep = clock()
            verdict, why = admission(study, total)
            if verdict == "done":
                if why == budget_reached(total) and dead_trials_requeued(study, options):
                    continue
                return why
            if verdict == "wait":  # members training elsewhere may still be replaced
                time.sleep(WAIT_SECONDS)
                continue
            trial = study.try_ask(total, system_attrs={"worker": identity}, waiting_only=verdict == "queued")
            if trial is None and verdict == "queued":
                continue  # another process took the queued trial first
            if trial is None:
                if dead_trials_requeued(study, options):
                    continue
                return budget_reached(total)
            frozen = run_measured(study, trial, objective, heartbeat, catch)
            if frozen is None:  # taken from this process while it stalled: it runs elsewhere
                continue
            for cb in callbacks:
                cb(study, frozen)


def unrecorded_words(numbers: Sequence[int]) -> str:
    """What the line of a full disk adds when the storage could not take even the re-queue."""
    one = len(numbers) == 1
    return (f"trial{'' if one else 's'} {', '.join(map(str, numbers))} stay{'s' if one else ''} marked running "
            f"there until the next run queues {'it' if one else 'them'} again, using up none of "
            f"{'its' if one else 'their'} retries")
