"""Running a study's trials: an objective run on an asked trial and told how it ended
(:meth:`StudyRuns.run_trial`), Optuna's ``optimize`` loop over that, and ``stop()``.

:class:`StudyRuns` is the part of :class:`~nntune._study.Study` that does this; ``Study``
adds asking and telling (``_ask``, ``tell``) and the reads of its base classes.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from nntune import logging as _logging
from nntune._loop import Heartbeat, run_optimize
from nntune._trial import Trial
from nntune._values import show_returned, told_badly
from nntune.exceptions import TrialDiverged, TrialPruned
from nntune.storage._base import TrialTakenOver
from nntune.storages import recover_silent_trials
from nntune.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from nntune._study import Study

Objective = Callable[[Trial], "float | Sequence[float]"]

Callback = Callable[["Study", FrozenTrial], None]
_log = _logging.get_logger("nntune.study")  # the public module's name, which users configure


class StudyRuns:
    """Run an objective on the study's trials: one (``run_trial``), or Optuna's ``optimize``."""

    # Set by Study.__init__; asking and telling are Study's.
    storage: Any
    id: int
    _stop: bool
    stop_reason: str | None
    _searches: int

    if TYPE_CHECKING:
        def _ask(self) -> Trial: ...

        def tell(self, trial: Trial | int, values: Any = None, state: TrialState | None = None,
                 skip_if_finished: bool = False, *, value: float | None = None,
                 error: str | None = None) -> FrozenTrial: ...

        def _tell(self, trial: Trial | int, values: Any = None, state: TrialState | None = None,
                  skip_if_finished: bool = False, *, value: float | None = None, error: str | None = None,
                  warn_at: int | None = None) -> FrozenTrial: ...

    def _run_one(self, objective: Objective, catch: tuple[type[BaseException], ...]) -> FrozenTrial:
        interval = getattr(self.storage, "heartbeat_interval", None)
        if interval is not None:
            recover_silent_trials(self)
        trial = self._ask()
        with Heartbeat(self.storage, self.id, trial.number, interval, trial.claim):
            try:
                return self.run_trial(trial, objective, catch, warn_failure=True)
            except TrialTakenOver as err:  # its result is discarded: this process runs another trial
                _log.warning("%s", err)
        return self._run_one(objective, catch)

    def run_trial(self, trial: Trial, objective: Objective,
                  catch: tuple[type[BaseException], ...] = (Exception,), *,
                  warn_failure: bool = False) -> FrozenTrial:
        """Run ``objective`` on an asked trial and tell how it ended: pruned, diverged, failed
        (with the error and its traceback; raised again unless its type is in ``catch``).
        ``warn_failure``: log a failure as a warning (``optimize``'s trials; the CLI's searches
        sum failures up instead)."""
        try:
            value = objective(trial)
        except TrialPruned:
            return self.tell(trial, state=TrialState.PRUNED)
        except TrialDiverged as err:
            trial.set_system_attr("diverged_epoch", err.epoch)
            return self.tell(trial, state=TrialState.DIVERGED, error=str(err))
        # SystemExit too (a training script's argparse): never left running. Other base
        # exceptions pass untold: an executor's own (a Ctrl-C it re-queues the trial for).
        except (Exception, KeyboardInterrupt, SystemExit) as err:
            message = f"{type(err).__name__}: {err}".splitlines()[0][:500]
            trial.set_system_attr("traceback", traceback.format_exc()[-4000:])
            warned = warn_failure and isinstance(err, Exception)
            # A failure logged as a warning below gets no INFO line from tell besides: Optuna's
            # optimize reports a failed trial once.
            frozen = self._tell(trial, state=TrialState.FAILED, error=message, warn_at=None if warned else 3)
            if warned:
                # As Optuna's optimize: a failure is a warning, shown with per-trial lines
                # silenced (and the only word of one that ``catch`` lets pass).
                _log.warning("Trial %d failed with parameters: %s because of the following error: %s",
                             frozen.number, frozen.params, message)
            if not isinstance(err, Exception) or not isinstance(err, catch):
                raise
            return frozen
        frozen = self._tell(trial, value, warn_at=None if warn_failure else 3)
        if warn_failure and frozen.state == TrialState.FAILED and told_badly(frozen.error):
            # Optuna's optimize logs this failure (its tell warns): a logging setting silences it.
            _log.warning("Trial %d failed with parameters: %s because of the following error: %s.",
                         frozen.number, frozen.params, frozen.error)
            _log.warning("Trial %d failed with value %s.", frozen.number, show_returned(value))
        return frozen

    def optimize(self, func: Objective, n_trials: int | None = None, timeout: float | None = None,
                 n_jobs: int = 1, catch: Iterable[type[BaseException]] | type[BaseException] = (),
                 callbacks: Sequence[Callback] | None = None, gc_after_trial: bool = False,
                 show_progress_bar: bool = False) -> None:
        """Run ``n_trials`` more trials (or until ``timeout`` seconds, or ``stop()``), in
        ``n_jobs`` threads of this process (-1: one per core this process may use; Optuna
        counts the machine's), as Optuna does.

        As in Optuna, an exception from the objective marks the trial failed and is raised
        again unless its type is in ``catch``; a pruned or diverged trial never stops the study.
        Ctrl-C under threads starts no more trials and lets those running finish before it
        is raised (a second Ctrl-C stops the waiting). Counts, ``catch`` and ``callbacks``
        that are not what Optuna documents are refused before any trial.
        Threads suit objectives that release the GIL (PyTorch kernels); separate processes
        (``nntune.executors``) suit the rest.
        """
        run_optimize(self, func, n_trials, timeout, n_jobs, catch, callbacks, gc_after_trial,
                     show_progress_bar)

    @property
    def stop_requested(self) -> bool:
        """Whether ``stop()`` was called during the last ``optimize``."""
        return self._stop

    def stop(self, reason: str = "stopped by a callback") -> None:
        """Finish the trial in progress, then return from ``optimize`` (or whichever search
        runs the study). Called from an objective, a callback or another thread while a
        search runs; outside one it raises ``RuntimeError``, as Optuna's does, since a flag
        set then would be cleared by the next search before anything read it."""
        if self._searches == 0:
            raise RuntimeError("study.stop() is meant for an objective or a callback while the "
                               "study runs (optimize, or an executor's run); no search is running")
        self._stop = True
        self.stop_reason = reason

    @contextlib.contextmanager
    def _searching(self) -> Iterator[None]:
        """Around one search loop: a fresh stop flag and reason (the last search's would
        otherwise be reported for this one), and ``stop()`` allowed while it runs."""
        self._stop = False
        if self._searches == 0:
            self.stop_reason = None
        self._searches += 1
        try:
            yield
        finally:
            self._searches -= 1
