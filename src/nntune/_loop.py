"""What ``Study.optimize`` runs beside trials: whether the next one may start (shared by
its threads), torch's threads for each of them, a heartbeat while one runs, and the
progress bar."""

from __future__ import annotations

import gc
import math
import numbers
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from nntune._words import counted
from nntune.exceptions import ConfigError, TrialStateError

from nntune.search_space import infer_space
from nntune.train.threads import asked_threads, cap_thread
from nntune.train.threads import usable_cores as cores
from nntune.trial import FrozenTrial

if TYPE_CHECKING:
    from nntune.study import Study


class Loop:
    """When the next trial may start: ``n_trials`` not yet started, the timeout not
    reached, no stop asked for, grid points left. Threads share one."""

    def __init__(self, study: Study, n_trials: int | None, timeout: float | None, start: float) -> None:
        self.study, self.n_trials, self.timeout, self.start = study, n_trials, timeout, start
        self.started = 0
        # The sampler had nothing left before this optimize started any trial: said once
        # when it returns (Optuna's grid warns as it runs a point again), not left silent.
        self.exhausted_at_start = False
        self.lock = threading.RLock()

    def take(self) -> bool:
        study = self.study
        with self.lock:
            if study._stop:
                return False
            if self.n_trials is not None and self.started >= self.n_trials:
                study.stop_reason = study.stop_reason or f"ran {counted(self.n_trials, 'trial')}"
                return False
            if self.timeout is not None and study._clock() - self.start >= self.timeout:
                study.stop_reason = f"timeout of {self.timeout:g}s reached"
                return False
            exhausted = getattr(study.sampler, "is_exhausted", None)
            if exhausted is not None:
                history = study._history()
                with study.sampling_lock:
                    if exhausted(study.space or infer_space(history), history):
                        study.stop_reason = "every grid point has been tried"
                        self.exhausted_at_start = self.started == 0
                        return False
            self.started += 1
            return True


def threads_per_job(jobs: int, usable_cores: int, current: int, environ: Mapping[str, str]) -> int | None:
    """Torch's intra-op threads for each of ``jobs`` trials run at once in threads of one
    process: an equal share of the usable cores (at least one), and no more than the
    ``current`` count (a count the caller set stays a ceiling). ``NNTUNE_THREADS=N`` is
    obeyed as it is; None: leave torch alone (one trial at a time)."""
    if jobs <= 1:
        return None
    asked = asked_threads(environ)
    if asked is not None:
        return asked
    return max(1, min(max(1, current), usable_cores // jobs))


class JobThreads:
    """Torch's threads for the trials of ``optimize(n_jobs=N)``. Torch starts one intra-op
    thread per core for every thread that computes, so N trials would run N x cores threads
    on the cores and wait at each other's barriers: on 2 cores, two trials of a small CNN
    made 75 steps a second together on torch's 2 threads each, 144 on one thread each.
    Each trial's thread sets its own count before each trial (with OpenMP the count is the
    calling thread's); the caller's count is given back when ``optimize`` returns. Torch is
    touched only once the objective has imported it."""

    def __init__(self, jobs: int, environ: Mapping[str, str] | None = None,
                 usable_cores: int | None = None) -> None:
        self.jobs = jobs
        self.environ = os.environ if environ is None else environ
        self.usable_cores = cores() if usable_cores is None else usable_cores
        self.share: int | None = None
        self.before: int | None = None  # the caller's count, when torch was imported
        self._lock = threading.Lock()

    def remember(self) -> None:
        """In the caller's thread, before the trials' threads start: its count."""
        torch = _torch()
        if torch is not None:
            self._share_of(int(torch.get_num_threads()))

    def apply(self) -> int | None:
        """In a trial's thread, before its trial: set this thread's count; the count set.
        Where the objective imported torch after ``optimize`` began, the first trial's
        thread reads the count torch starts with."""
        torch = _torch()
        if torch is None:
            return None
        share = self._share_of(int(torch.get_num_threads()))
        if share is not None and torch.get_num_threads() != share:
            torch.set_num_threads(share)
        cap_thread(share)  # the built-in trainer's own rule stays within the share
        return share

    def restore(self) -> None:
        """In the caller's thread, after the trials' threads end."""
        torch = _torch()
        if torch is not None and self.before is not None and self.share is not None:
            torch.set_num_threads(self.before)

    def _share_of(self, count: int) -> int | None:
        with self._lock:
            if self.before is None:
                self.before = count
                self.share = threads_per_job(self.jobs, self.usable_cores, count, self.environ)
            return self.share


def _torch() -> Any:
    """Torch, where this process has imported it (a study of another library's objective
    never imports it)."""
    torch = sys.modules.get("torch")
    return torch if torch is not None and hasattr(torch, "set_num_threads") else None


class Progress:
    """A progress bar over trials, drawn with rich (what nntune's command line uses)."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        from rich.progress import Progress

        self._bar = Progress()
        label = "trials" if timeout is None else f"trials (timeout {timeout:g}s)"
        self._task = self._bar.add_task(label, total=n_trials)
        self._bar.start()

    def update(self, n: int) -> None:
        self._bar.update(self._task, advance=n)

    def close(self) -> None:
        self._bar.stop()


class Heartbeat:
    """``with Heartbeat(storage, study_id, number, interval):`` says every ``interval``
    seconds that the trial's process is alive (nothing when ``interval`` is None). With
    ``claim`` (the trial's claim number) a beat of a trial taken over by another worker is
    refused, so a resumed process cannot keep alive a trial that is no longer its own."""

    def __init__(self, storage: Any, study_id: int, number: int, interval: float | None,
                 claim: int | None = None) -> None:
        self.storage, self.study_id, self.number, self.interval = storage, study_id, number, interval
        self.claim = claim
        self._done: threading.Event | None = None
        self._thread: threading.Thread | None = None

    def _beat(self) -> None:
        assert self.interval is not None and self._done is not None
        while not self._done.wait(self.interval):
            try:
                if self.claim is None:
                    self.storage.heartbeat(self.study_id, self.number)
                else:
                    self.storage.heartbeat(self.study_id, self.number, claim=self.claim)
            except (TrialStateError, KeyError):  # finished, taken over or deleted between the wait and the beat
                return
            except Exception:  # noqa: BLE001
                # The storage failed past its own retries (a database server restarting): the
                # trial still runs, so the next beat tries again. A thread that ended here left
                # it silent, and after the grace period another process failed or re-ran it
                # while it trained, and its result was then refused.
                continue

    def __enter__(self) -> Heartbeat:
        if self.interval is not None:
            self._done = threading.Event()
            self._thread = threading.Thread(target=self._beat, name=f"nntune-heartbeat-{self.number}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        if self._done is not None and self._thread is not None:
            self._done.set()
            self._thread.join()


def _whole(value: Any) -> bool:
    """An integer, or a float that holds one (``10.0`` from a config or argparse, which Optuna takes)."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value) \
        and float(value).is_integer()


def check_counts(n_trials: Any, timeout: Any, n_jobs: Any) -> None:
    """Refuse, before any trial, counts that would otherwise run no trial, or a rounded
    number of them, without a word (Optuna takes ``n_trials=-1`` or ``n_jobs=1.5``)."""
    if n_trials is not None and (not _whole(n_trials) or n_trials < 0):
        raise ConfigError("n_trials", f"must be an integer >= 0 or None (no limit), got {n_trials!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, numbers.Real)
                                or not 0 <= timeout < math.inf):
        raise ConfigError("timeout", f"must be a number of seconds >= 0 or None (no limit), got {timeout!r}")
    if not _whole(n_jobs) or (n_jobs < 1 and n_jobs != -1):
        raise ConfigError("n_jobs", f"must be an integer >= 1 or -1 (one per core this process may use), got {n_jobs!r}")


def check_catch(catch: Any) -> tuple[type[BaseException], ...]:
    """``catch`` as a tuple of exception classes: one class, or an iterable of them. Checked
    before any trial, since ``isinstance`` would otherwise refuse it only once one failed."""
    items = (catch,) if isinstance(catch, (type, str, bytes)) else catch
    try:
        types = tuple(items)
    except TypeError:
        types = (catch,)
    bad = [c for c in types if not (isinstance(c, type) and issubclass(c, BaseException))]
    if bad:
        raise ConfigError("catch", f"must be an exception class or a tuple of them, got {bad[0]!r}")
    return types


def check_callbacks(callbacks: Any) -> list[Callable[[Any, FrozenTrial], None]]:
    """``callbacks`` as Optuna takes them, a list of ``f(study, frozen_trial)`` or None, as
    a list (a generator is read once, not once a trial)."""
    if callbacks is None:
        return []
    if callable(callbacks) or isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Iterable):
        raise ConfigError("callbacks", f"must be a list of callables f(study, trial), got {callbacks!r} "
                                       "(a single one goes in a list: callbacks=[f])")
    listed = list(callbacks)
    bad = [c for c in listed if not callable(c)]
    if bad:
        raise ConfigError("callbacks", f"must be a list of callables f(study, trial), got {bad[0]!r} in it")
    return listed


SIGNAL_POLL_S = 0.1  # how soon the caller's thread sees a Ctrl-C that another thread took


def _in_threads(work: Callable[[threading.Event], None], jobs: int, loop: Loop) -> None:
    """Run ``work`` in ``jobs`` threads until each has set its event. Ctrl-C reaches only
    the caller's thread, so on it (or any error there) no trial starts any more and those
    in flight finish and are told, as in Optuna, before it is raised: otherwise the threads
    would go on starting trials after ``optimize`` has returned. A second Ctrl-C stops the
    waiting. (Events, not ``Thread.join``: a join broken by Ctrl-C can mark a running
    thread ended.) The caller's thread waits in short slices: a signal the kernel hands to
    another thread of the process (any that does not block it may take it) only marks it
    pending, and the caller's thread runs its handler once it runs Python again, which an
    endless wait would put off until every trial had ended."""
    threads: list[tuple[threading.Thread, threading.Event]] = []
    try:
        for i in range(jobs):
            done = threading.Event()
            threads.append((threading.Thread(target=work, args=(done,), name=f"nntune-trial-{i}", daemon=True), done))
            threads[-1][0].start()
        for _, done in threads:
            _wait(done)
    except BaseException:
        with loop.lock:
            loop.study._stop = True
            loop.study.stop_reason = "interrupted"
        for thread, done in threads:
            if thread.ident is not None:  # one that starts from now on takes no trial
                _wait(done)
        raise


def _wait(event: threading.Event) -> None:
    """``event.wait()`` in slices of :data:`SIGNAL_POLL_S` (see :func:`_in_threads`)."""
    while not event.wait(SIGNAL_POLL_S):
        pass


def warn_pbt_without_replacer(study: Study, callbacks: Sequence[Callable[..., Any]]) -> None:
    """PBT under a bare ``optimize`` only stops the worst members: no replacement copies a
    better member's checkpoint, which is PBT's point, so a user expecting Ray Tune's PBT is
    told where it is (``run_pbt``, or ``pbt_replacer`` among the callbacks)."""
    from nntune.schedulers import PBT

    if isinstance(study.scheduler, PBT) and not any(getattr(cb, "replaces_pbt_members", False) for cb in callbacks):
        warnings.warn("PBT under study.optimize only stops the worst members and replaces none; run "
                      "nntune.schedulers.run_pbt(study, objective_factory, n_trials), whose objective_factory(proposal) "
                      "resumes proposal.parent's checkpoint at proposal.parent_step", UserWarning, stacklevel=4)


def run_optimize(study: Study, objective: Callable[[Any], Any], n_trials: int | None, timeout: float | None,
                 n_jobs: int, catch: Iterable[type[BaseException]] | type[BaseException],
                 callbacks: Sequence[Callable[[Any, FrozenTrial], None]] | None, gc_after_trial: bool,
                 show_progress_bar: bool) -> None:
    """``Study.optimize``: trials one after another, or in ``n_jobs`` threads sharing a
    :class:`Loop`; an error in any thread stops them all and is raised here."""
    if getattr(study._in_optimize, "active", False):
        raise RuntimeError("nested optimize: study.optimize was called from an objective or a callback of "
                           "the same study, which Optuna refuses too; queue trials with enqueue_trial instead")
    if not callable(objective):  # otherwise every trial would be stored failed with the TypeError
        raise ConfigError("func", f"must be a callable objective f(trial), got {objective!r}")
    check_counts(n_trials, timeout, n_jobs)
    n_trials = None if n_trials is None else int(n_trials)
    catch_types = check_catch(catch)
    callbacks = check_callbacks(callbacks)
    warn_pbt_without_replacer(study, callbacks)
    # -1: one per core this process may run on (Optuna counts the machine's: on a cluster
    # node that gave the job 2 of 64 cores, that is 64 trials at once on 2 cores).
    jobs = cores() if n_jobs == -1 else int(n_jobs)
    threads = JobThreads(jobs)
    if jobs > 1:
        threads.remember()  # a bad NNTUNE_THREADS is refused here, before any trial
    plan = getattr(study.scheduler, "plan_budget", None)
    if plan is not None:  # a cost-aware scheduler caps an unjudged trial's share of the budget
        plan(timeout)
    loop = Loop(study, n_trials, timeout, study._clock())
    progress = Progress(n_trials, timeout) if show_progress_bar else None
    with study.sampling_lock:  # two optimize calls from two threads count each other's jobs
        study._parallel_jobs += jobs
    errors: list[BaseException] = []

    def work(ended: threading.Event | None = None) -> None:
        study._in_optimize.active = True
        try:
            while loop.take():
                if jobs > 1:
                    threads.apply()
                try:
                    frozen = study._run_one(objective, catch_types)
                finally:  # as Optuna: after a trial whose error stops optimize too, before the callbacks
                    if gc_after_trial:
                        gc.collect()
                if callbacks:  # tell's record leaves out the per-step metrics a callback may read
                    frozen = study.storage.get_trial(study.id, frozen.number)
                with loop.lock:
                    for cb in callbacks:
                        cb(study, frozen)
                    if progress is not None:
                        progress.update(1)
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            with loop.lock:
                errors.append(err)
                study._stop = True
        finally:
            study._in_optimize.active = False
            if ended is not None:
                ended.set()

    with study._searching():
        try:
            if jobs == 1:
                work()
            else:
                _in_threads(work, jobs, loop)
        finally:
            with study.sampling_lock:
                study._parallel_jobs -= jobs
            if jobs > 1:
                threads.restore()
            if progress is not None:
                progress.close()
    if errors:
        raise errors[0]
    if loop.exhausted_at_start:
        warnings.warn(exhausted_message(study.sampler, n_trials), UserWarning, stacklevel=3)


def exhausted_message(sampler: Any, n_trials: int | None) -> str:
    """Why an ``optimize`` ran no trial although asked for some: its grid or brute-force
    sampler had tried every point before it began."""
    asked = "" if n_trials is None else f" of the {counted(n_trials, 'trial')} asked for"
    return (f"optimize ran none{asked}: {type(sampler).__name__} had tried every point of its search space "
            "before it started; enqueue_trial(params) runs a configuration again, and a new study or sampler "
            "searches another space")

