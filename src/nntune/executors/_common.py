"""What every executor shares: worker options, who runs a trial, and recovering trials whose
process is gone (on this machine at once, elsewhere after a heartbeat grace period)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nntune.storage._base import StorageFull
from nntune.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from nntune.study import Study

Callback = Callable[["Study", FrozenTrial], None]


@dataclass(frozen=True)
class WorkerOptions:
    """How workers run trials.

    ``trial_timeout``: seconds a trial may run before its worker is killed and the trial
    failed. ``memory_mb``: the most resident memory a worker may use while running a trial
    (then the same). ``cpus``: CPU cores per trial (torch threads); None divides the
    machine's cores among the workers. ``heartbeat_interval``: seconds between a running
    trial's heartbeats. ``stale_grace``: seconds without a heartbeat after which a trial of
    another machine counts as abandoned. ``max_retries``: how often a trial whose worker
    died is re-queued before it is failed. ``max_trials_per_worker``: recycle a worker after
    that many trials (None: never).
    """

    trial_timeout: float | None = None
    memory_mb: float | None = None
    cpus: float | None = None
    gpus: float = 0.0
    heartbeat_interval: float = 5.0
    stale_grace: float = 60.0
    max_retries: int = 2
    max_trials_per_worker: int | None = None
    poll_interval: float = 0.1


def process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), None if there is none."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return round(proc.create_time(), 2)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def worker_identity(pid: int | None = None) -> dict[str, Any]:
    """Who runs a trial: host name, process id and start time (a reused pid differs there)."""
    pid = os.getpid() if pid is None else pid
    return {"host": socket.gethostname(), "pid": pid, "started": process_start_time(pid)}


def is_gone(identity: Mapping[str, Any], host: str) -> bool:
    """Whether the worker ``identity`` on this ``host`` no longer exists. Workers of other
    machines are never judged here: their heartbeat tells (see ``recover_interrupted``)."""
    if identity.get("host") != host or not isinstance(identity.get("pid"), int):
        return False
    started = process_start_time(identity["pid"])
    return started is None or (identity.get("started") is not None and started != identity["started"])


def supervisor_gone(identity: Mapping[str, Any], host: str) -> bool:
    """Whether the search process that started the worker ``identity`` of this ``host`` (its
    ``supervisor``: pid, start time and, for a Ray driver, host) no longer exists either;
    False for a worker that names none (a serial run's own process)."""
    supervisor = identity.get("supervisor")
    return isinstance(supervisor, dict) and is_gone({"host": identity.get("host"), **supervisor}, host)


def recover_interrupted(study: Study, options: WorkerOptions, *,
                        host: str | None = None) -> dict[int, TrialState]:
    """Re-queue (or, past ``max_retries``, fail) running trials whose worker is gone: a dead
    process on this machine at once, any other after ``stale_grace`` seconds of silence."""
    host = host or socket.gethostname()
    out: dict[int, TrialState] = {}
    noted = unrecorded_trials(study)
    still_noted: dict[str, dict[str, Any]] = {}  # their process is still ending
    for t in study.storage.get_trials(study.id, [TrialState.RUNNING]):
        identity = t.system_attrs.get("worker")
        note = noted.get(str(t.number))
        unwritten = note is not None and note.get("worker") == identity
        if isinstance(identity, dict) and is_gone(identity, host):
            # A worker dies with the search that started it (kill -9, the terminal closed, the
            # machine restarted): that ends no trial's chances, so it uses up no retry, however
            # often the same command is killed and run again. A worker that died alone did;
            # one that stopped because the storage's disk was full did not die at all.
            ended = supervisor_gone(identity, host)
            if note is not None and unwritten:
                reason = str(note.get("reason"))
            elif ended:
                reason = f"the search process {identity['supervisor'].get('pid')} on {host} that ran it ended"
            else:
                reason = f"its worker process {identity.get('pid')} on {host} died while it ran"
            state = study.storage.recover_trial(study.id, t.number, reason, max_retries=options.max_retries,
                                                counted=not (ended or unwritten))
            if state is not None:
                out[t.number] = state
        elif note is not None and unwritten:
            still_noted[str(t.number)] = note
    if noted:
        _keep_unrecorded(study, still_noted)
    out.update(study.storage.recover_stale_trials(study.id, options.stale_grace,
                                                  max_retries=options.max_retries))
    return out


def requeue_unwritten(study: Study, identity: Mapping[str, Any], reason: str) -> list[int]:
    """Every trial process ``identity`` runs back to the queue, using up none of its retries,
    ``reason`` recorded: the storage's disk is full, which is no trial's fault. Where the
    storage cannot take even that, a note outside it (see :func:`unrecorded_trials`) lets the
    next run do it. The numbers still marked running, to be queued by the next run."""
    mine = [t.number for t in study.storage.get_trials(study.id, [TrialState.RUNNING], with_metrics=False)
            if t.system_attrs.get("worker") == dict(identity)]
    for i, number in enumerate(mine):
        try:
            study.storage.recover_trial(study.id, number, reason, counted=False)
        except StorageFull:
            left = mine[i:]
            kept = _keep_unrecorded(study, {**unrecorded_trials(study), **{
                str(n): {"worker": dict(identity), "reason": reason} for n in left}})
            return left if kept else []  # no note either: the next run takes them for crashes
    return []


def unrecorded_trials(study: Study) -> dict[str, dict[str, Any]]:
    """The trials a run left marked running because the storage could not be written when
    it ended, by number: the process that ran each, and why it stopped. Nothing when none."""
    try:
        noted = json.loads(_unrecorded_note(study).read_text())
    except (OSError, ValueError):
        return {}
    return noted if isinstance(noted, dict) else {}


def _keep_unrecorded(study: Study, notes: Mapping[str, Mapping[str, Any]]) -> bool:
    """Write ``notes`` (see :func:`unrecorded_trials`), or remove the note when none is
    left; False when it cannot be written."""
    path = _unrecorded_note(study)
    try:
        if not notes:
            path.unlink(missing_ok=True)
            return True
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(notes))
    except OSError:
        return False
    return True


def _unrecorded_note(study: Study) -> Path:
    """Where :func:`requeue_unwritten` notes what the storage could not take: outside the
    storage's own folder, whose disk is the full one, and named by the storage and study."""
    key = f"{getattr(study.storage, 'url', '')}\n{study.id}".encode()
    return Path(tempfile.gettempdir()) / "nntune-unrecorded" / f"{hashlib.sha256(key).hexdigest()[:24]}.json"


def running_elsewhere(trials: Iterable[FrozenTrial], host: str | None = None) -> list[FrozenTrial]:
    """The running trials a live search process still trains. One whose process on this
    machine is gone does not count (the next search re-queues it); one of another machine
    does until its heartbeat lapses and a search recovers it."""
    host = host or socket.gethostname()
    return [t for t in trials if t.state == TrialState.RUNNING and isinstance(t.system_attrs.get("worker"), dict)
            and not is_gone(t.system_attrs["worker"], host)]


def dead_trials_requeued(study: Study, options: WorkerOptions) -> bool:
    """Whether trials of dead processes went back to the queue, looked for when a search
    reaches its budget: the budget counts running trials, and one whose process died on this
    machine since the last sweep (another search on the study, killed mid-trial) would
    otherwise end the search with that trial never run, its report and test look one short."""
    return TrialState.WAITING in recover_interrupted(study, options).values()


def timed_out(limit: float) -> str:
    """The error of a trial that ran past ``trial_timeout``: the same words whichever
    executor stopped it (a killed worker or actor, a member dropped from its stack)."""
    return f"timed out after {limit:g}s (trial timeout)"


def stop_reason_now(study: Study, timeout: float | None, elapsed: float) -> str | None:
    """Why a supervisor should start no more trials now (a callback stopped the study, or
    the timeout passed), or None to go on."""
    if study.stop_requested:
        return study.stop_reason or "stopped by a callback"
    if timeout is not None and elapsed >= timeout:
        return f"timeout of {timeout:g}s reached"
    return None


def announce(study: Study, callbacks: Sequence[Callback], numbers: Iterable[int]) -> None:
    """Run the callbacks (progress, patience) on trials that have just finished."""
    for number in numbers:
        frozen = study.storage.get_trial(study.id, number, with_metrics=False)
        for cb in callbacks:
            cb(study, frozen)


def failed_numbers(states: Mapping[int, TrialState]) -> list[int]:
    """The recovered trials that ended failed (re-queued ones have not finished yet)."""
    return [number for number, state in states.items() if state == TrialState.FAILED]


GRID_DONE = "every grid point has been tried"
POPULATION_DONE = "every member of the population has finished"
EXHAUSTED = (GRID_DONE, POPULATION_DONE)  # a worker that stops for these is not replaced
WAIT_SECONDS = 0.2  # how long a worker idles before asking again when told to wait


def sampler_exhausted(study: Study) -> bool:
    """Whether the study's sampler has nothing left to suggest (every grid point tried)."""
    exhausted = getattr(study.sampler, "is_exhausted", None)
    if exhausted is None:
        return False
    from nntune.study import infer_space

    history = study.get_trials(deepcopy=False)
    return bool(exhausted(study.space or infer_space(history), history))


def admission(study: Study, total: int | None = None) -> tuple[str, str]:
    """Whether a worker may start a trial: ``("ask", "")``, ``("queued", "")`` (only an
    enqueued one: ``try_ask(..., waiting_only=True)``), ``("wait", "")`` (nothing to start
    yet, but running trials may create some: population-based training) or
    ``("done", why)``. The scheduler decides where it says (``admission(history)``), within
    the budget: once the study holds ``total`` trials running or finished, it is done,
    whatever waits in the queue (nothing may start, so waiting would never end)."""
    if sampler_exhausted(study):
        return "done", GRID_DONE
    admit = getattr(study.scheduler, "admission", None)
    if admit is None:
        return "ask", ""
    history = study.get_trials(deepcopy=False)
    if total is not None and budget_used(history) >= total:
        return "done", budget_reached(total)
    verdict = admit(history)
    return verdict, POPULATION_DONE if verdict == "done" else ""


def budget_used(history: Sequence[FrozenTrial]) -> int:
    """Trials that count against the budget: running or finished (not those still queued)."""
    return sum(t.state != TrialState.WAITING for t in history)


def useful_workers(study: Study, total: int, workers: int) -> int:
    """How many of ``workers`` can have a trial: no more than the trials the study may still
    start (``total`` less those running or finished), and at least one, which says why the
    search is over. More would only be started to stop, and share the cores with nothing."""
    room = total - budget_used(study.get_trials(deepcopy=False))
    return max(1, min(workers, room))


def budget_reached(total: int) -> str:
    """Why a search ended at its budget, in the words the CLI prints."""
    return f"the study holds {total} trial{'' if total == 1 else 's'}"


def thread_share(workers: int, cores: int, cpus: float | None = None) -> int:
    """Torch threads per worker: the trial's ``cpus`` if given, else an equal share of the
    cores, at least one (N workers never oversubscribe the machine)."""
    if cpus is not None:
        return max(1, int(cpus))
    return max(1, cores // max(1, workers))


def gpu_for(index: int, gpu_ids: Sequence[str]) -> str | None:
    """The GPU worker ``index`` sees (round robin), None without GPUs."""
    return gpu_ids[index % len(gpu_ids)] if gpu_ids else None


def visible_gpus(environ: Mapping[str, str] | None = None) -> list[str]:
    """Ids of the GPUs this process may hand to workers."""
    env = os.environ if environ is None else environ
    listed = env.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [g.strip() for g in listed.split(",") if g.strip() and g.strip() != "-1"]
    import sys

    if "torch" not in sys.modules:  # no torch loaded: nothing here uses a GPU
        return []
    torch = sys.modules["torch"]
    return [str(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []


def describe_exit(code: int | None) -> str:
    """A worker's exit code in words."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory, or killed)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    return f"exit code {code}"
