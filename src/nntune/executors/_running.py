"""Running one asked trial inside a worker: heartbeats while it runs, its peak memory
recorded beside it, memory handed back after it."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from nntune import logging as _logging
from nntune.exceptions import caused_by_ctrl_c
from nntune.executors._memory import MemoryKeeper, PeakMemory, gpu_peak_mb
from nntune.storage import TrialStateError, TrialTakenOver
from nntune.trial import FrozenTrial

if TYPE_CHECKING:
    from nntune._trial import Trial
    from nntune.storage import Storage
    from nntune.study import Objective, Study

_log = _logging.get_logger("nntune.executors")


class Heartbeat:
    """A daemon thread that beats for the running trial every ``interval`` seconds, samples
    memory, and calls ``on_orphan`` (e.g. exit) once ``is_orphan()`` says the parent is gone."""

    def __init__(self, storage: Storage, study_id: int, interval: float, peak: PeakMemory, *,
                 is_orphan: Callable[[], bool] | None = None,
                 on_orphan: Callable[[], None] | None = None) -> None:
        self.storage = storage
        self.study_id = study_id
        self.interval = interval
        self.peak = peak
        self.keeper = MemoryKeeper()
        self.current: int | None = None
        self.claim: int | None = None  # the claim the current trial runs under (None: unchecked)
        self._is_orphan = is_orphan
        self._on_orphan = on_orphan
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="nntune-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        tick = min(self.interval, 0.5)
        waited = 0.0
        while not self._done.wait(tick):
            if self._is_orphan is not None and self._is_orphan():
                if self._on_orphan is not None:
                    self._on_orphan()
                return
            self.peak.sample()
            waited += tick
            if waited >= self.interval:
                waited = 0.0
                self.beat()

    def beat(self) -> None:
        number, claim = self.current, self.claim
        if number is None:
            return
        try:
            # A claim taken back is refused: a stalled worker never keeps alive a trial it lost.
            self.storage.heartbeat(self.study_id, number, **({} if claim is None else {"claim": claim}))
        except (TrialStateError, KeyError):
            pass  # finished (or recovered by another process) meanwhile
        except Exception:  # a storage hiccup must not kill the worker; the next beat retries
            pass


INTERRUPTED = "interrupted (Ctrl-C or kill) while it ran"

# The signals that end a search from outside it: ``kill`` (and systemd, docker stop, a batch
# scheduler's preemption), and a closed terminal or dropped SSH connection.
TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def termination_as_interrupt() -> Iterator[None]:
    """While the search runs, SIGTERM and SIGHUP end it as Ctrl-C does: the running trials
    go back to the queue using up none of their retries (which are for trials that crash
    their process), instead of the process dying and its trials being found dead on the
    next run, so that one trial killed with its search three times would fail. Only in the
    main thread, and only for a signal still at its default action (a handler of the
    program's own is left alone)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _interrupt) for sig in TERMINATING
                if signal.getsignal(sig) is signal.SIG_DFL}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Interrupted(BaseException):
    """Ctrl-C inside a trial's objective, carried past ``Study.run_trial`` (which would
    record the trial as failed) so that the trial goes back to the queue instead."""


def run_measured(study: Study, trial: Trial, objective: Objective, heartbeat: Heartbeat,
                 catch: tuple[type[BaseException], ...] = (Exception,)) -> FrozenTrial | None:
    """``study.run_trial`` with heartbeats, ``system_attrs["peak_rss_mb"]`` (and
    ``["peak_gpu_mb"]`` on a GPU) recorded before the trial is told, memory given back after.

    None when the trial was taken from this worker while it ran (it stalled past the
    heartbeat grace period and the trial was recovered, perhaps run elsewhere now): storage
    refused its writes, so its result is discarded with one logged line and the worker goes on.

    A Ctrl-C while the objective runs puts the trial back in the queue, as a crashed
    worker's trial is (``system_attrs["interrupted"]`` says why), then is raised again:
    the study counts no failure for it, and the next run trains that trial first."""
    peak = heartbeat.peak

    def measured(t: Trial) -> Any:
        try:
            return objective(t)
        except BaseException as err:
            if caused_by_ctrl_c(err):  # a KeyboardInterrupt, or one that landed in an import
                raise _Interrupted() from err
            raise
        finally:
            t.set_system_attr("peak_rss_mb", peak.peak_mb())
            gpu = gpu_peak_mb()
            if gpu is not None:
                t.set_system_attr("peak_gpu_mb", gpu)

    peak.reset()
    heartbeat.claim = trial.claim
    heartbeat.current = trial.number
    try:
        return study.run_trial(trial, measured, catch)
    except TrialTakenOver as err:
        _log.warning("%s", err)
        return None
    except _Interrupted:
        heartbeat.current = None
        # Never failed for it, however often it is interrupted: the retries are for crashes.
        study.storage.recover_trial(study.id, trial.number, INTERRUPTED, counted=False)
        raise KeyboardInterrupt from None
    finally:
        heartbeat.current = None
        heartbeat.keeper.after_trial()
