"""The Ray executor: trials run in Ray actors anywhere on a cluster, each actor with the
per-trial resources (``cpus``, ``gpus``, fractions allowed; ``memory_mb``).

Every actor opens the study itself (the storage must be reachable from every node:
PostgreSQL, or an SQLite or journal file when the cluster is this one machine or the file
is on a file system every node shares) and, like a local
worker, claims a trial within the study's budget, runs it with heartbeats and tells it.
The driver here supervises: it runs the callbacks as trials end, fails a trial past
``trial_timeout`` by killing its actor, re-queues (or, past ``max_retries``, fails) the
trial of an actor that died, and replaces dead actors while there is work.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nntune.exceptions import ConfigError
from nntune.executors._common import (
    Callback,
    WorkerOptions,
    announce,
    failed_numbers,
    recover_interrupted,
    WAIT_SECONDS,
    admission,
    stop_reason_now,
    timed_out,
    useful_workers,
    worker_identity,
    budget_reached,
)
from nntune.executors._memory import MB, PeakMemory
from nntune.executors._processes import WorkerSetupError
from nntune.executors._running import INTERRUPTED, TERMINATING, Heartbeat, run_measured, termination_as_interrupt
from nntune.executors._worker import Setup, limit_threads
from nntune.trial import TrialState

WAIT = "wait"  # an actor's answer when it may not start a trial yet

if TYPE_CHECKING:
    from nntune.study import Study


class TrialRunner:
    """The body of one Ray actor: opens the study once, then runs one trial per call."""

    def __init__(self, setup: Setup, threads: int, heartbeat_interval: float,
                 driver: dict[str, Any] | None = None) -> None:
        limit_threads(threads, native=False)  # the libraries themselves once set-up loaded all
        self.study, self.objective = setup()
        limit_threads(threads)
        # Who runs the trial, and the driver whose search it is (see supervisor_gone).
        self.identity = {**worker_identity(), **({"supervisor": driver} if driver else {})}
        self.heartbeat = Heartbeat(self.study.storage, self.study.id, heartbeat_interval, PeakMemory())
        self.heartbeat.__enter__()

    def who(self) -> dict[str, Any]:
        return self.identity

    def run(self, total: int) -> tuple[int | None, str]:
        """Claim and run one trial: (its number, ""), or (None, why there is none)."""
        verdict, why = admission(self.study, total)
        if verdict == "wait":  # running members may still be replaced: the driver asks again
            time.sleep(WAIT_SECONDS)
            return None, WAIT
        if verdict == "done":
            return None, why
        trial = self.study.try_ask(total, system_attrs={"worker": self.identity},
                                   waiting_only=verdict == "queued")
        if trial is None and verdict == "queued":
            return None, WAIT  # another actor took the queued trial first: the driver asks again
        if trial is None:
            return None, budget_reached(total)
        if run_measured(self.study, trial, self.objective, self.heartbeat) is None:
            return None, WAIT  # taken from this actor after it stalled: it is announced where it ends
        return trial.number, ""


def gcs_endpoint(address: str | None) -> tuple[str, int] | None:
    """The host and port of a Ray head given as ``HOST:PORT`` (or, without an address, in
    ``RAY_ADDRESS``, which Ray reads then); None for ``auto``, ``local``, ``ray://`` or none."""
    address = address or os.environ.get("RAY_ADDRESS")
    if not address or address in ("auto", "local") or "://" in address:
        return None
    host, _, port = address.rpartition(":")
    return (host.strip("[]"), int(port)) if host and port.isdigit() else None


def init_address(address: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """What ``ray.init`` is given: without an address (nor ``RAY_ADDRESS``), ``"local"``, since
    Ray's own default joins a cluster that ``ray start`` left running on this machine, where
    nntune's ``--ray-address`` promises a Ray started here."""
    return address if address or environ.get("RAY_ADDRESS") else "local"


def init_options(address: str | None, environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The arguments of ``ray.init``. A Ray started here runs its actors at this process's
    own niceness: Ray's default of 15 left each trial's actor about 6% of a core beside two
    busy programs on two cores (a PBT search 11x slower than alone), where its fair share
    was a third; ``nice nntune tune`` still gives its actors that niceness. A cluster joined
    (an address) keeps its own setting."""
    where = init_address(address, environ)
    options: dict[str, Any] = {"address": where, "include_dashboard": False, "logging_level": logging.WARNING}
    if where == "local":
        options["_system_config"] = {"worker_niceness": os.nice(0)}
    return options


def check_address(address: str | None, *, wait_s: float = 5.0) -> None:
    """Refuse in one line an empty ``address``, or a ``HOST:PORT`` where nothing answers:
    Ray itself keeps trying such an address for many minutes, without a word. Cheap (no
    Ray started), so a command says it before loading data or opening the study."""
    if address is not None and not address.strip():
        raise ConfigError("search.ray_address", "is empty; give auto, HOST:PORT or ray://HOST:PORT, or leave "
                                                "--ray-address out to start Ray here")
    endpoint = gcs_endpoint(address)
    if endpoint is not None:
        try:
            socket.create_connection(endpoint, timeout=wait_s).close()
        except OSError as err:
            raise ConfigError("search.ray_address", f"no Ray head answers at {endpoint[0]}:{endpoint[1]} "
                                                    f"({err.strerror or err}); start one there with "
                                                    "`ray start --head`") from None


def own_signal_handlers() -> dict[int, Any]:
    """The handlers of the signals that end a process, in the main thread (elsewhere none
    can be set, so none is taken)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.getsignal(s) for s in TERMINATING}


def restore_signal_handlers(handlers: Mapping[int, Any]) -> None:
    for signum, handler in handlers.items():
        if handler is not None:  # None: set outside Python, which cannot be put back
            signal.signal(signum, handler)


def connect(ray: Any, address: str | None, *, wait_s: float = 5.0) -> None:
    """``ray.init`` at ``address``, refused in one line when there is no Ray there.

    ray.init sets a SIGTERM handler of its own in the driver (a plain exit) and leaves it
    there, even when it fails: the ones before it are put back at once, so that a kill ends
    a Ray search as Ctrl-C does (its trials queued again, Ray stopped), and the program that
    called nntune keeps its own."""
    check_address(address, wait_s=wait_s)
    handlers = own_signal_handlers()
    try:
        ray.init(**init_options(address))
    except ValueError as err:  # an address of no form Ray reads ("head" with no port)
        raise ConfigError("search.ray_address", f"{err}; give auto, HOST:PORT or ray://HOST:PORT") from None
    except ConnectionError as err:  # "auto" and no cluster on this machine
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError("search.ray_address", f"{first.split('. ')[0]} ({address or 'RAY_ADDRESS'}); "
                                                "start one with `ray start --head`, or leave "
                                                "--ray-address out to start Ray here") from None
    finally:
        restore_signal_handlers(handlers)


def unfit_request(nodes: Sequence[dict[str, Any]], cpus: float, gpus: float,
                  memory_mb: float | None) -> ConfigError | None:
    """Why no live node of the cluster can hold one trial's actor, or None when one can:
    Ray keeps an actor it cannot place pending for ever, without a word."""
    request = {"resources.cpus": ("CPU", cpus, 1.0, "CPUs"), "resources.gpus": ("GPU", gpus, 1.0, "GPUs"),
               "resources.memory_mb": ("memory", memory_mb or 0.0, MB, "MB of memory")}
    offers = [n.get("Resources", {}) for n in nodes if n.get("Alive", True)]
    for field, (key, wanted, unit, what) in request.items():
        if wanted > 0 and not any(o.get(key, 0.0) >= wanted * unit for o in offers):
            most = max((o.get(key, 0.0) for o in offers), default=0.0) / unit
            return ConfigError(field, f"each trial asks for {wanted:g} {what}, but no node of the Ray cluster "
                                      f"has more than {most:g}")
    if not any(all(o.get(k, 0.0) >= w * u for k, w, u, _ in request.values()) for o in offers):
        return ConfigError("resources", "no single node of the Ray cluster has the CPUs, GPUs and memory "
                                        "that one trial asks for")
    return None


def actors_for(resources: dict[str, float], cpus: float, gpus: float) -> int:
    """How many trials the cluster runs at once with ``cpus`` and ``gpus`` per trial."""
    fits = [resources.get("CPU", 1.0) / cpus] if cpus > 0 else []
    if gpus > 0:
        fits.append(resources.get("GPU", 0.0) / gpus)
    return max(1, int(min(fits))) if fits else 1


@dataclass
class ActorSlot:
    """One actor; ``identity`` is None until Ray has placed it (its ``call`` is then ``who``)."""

    actor: Any
    identity: dict[str, Any] | None
    call: Any = None
    started: float = 0.0


class RayDriver:
    def __init__(self, ray: Any, setup: Setup, study: Study, *, total: int, workers: int,
                 options: WorkerOptions, timeout: float | None, callbacks: Sequence[Callback],
                 clock: Callable[[], float]) -> None:
        self.ray, self.setup, self.study, self.total = ray, setup, study, total
        self.workers, self.options, self.timeout = workers, options, timeout
        self.callbacks, self.clock = list(callbacks), clock
        cpus = options.cpus if options.cpus is not None else 1.0
        resources: dict[str, Any] = {"num_cpus": cpus, "num_gpus": options.gpus, "max_restarts": 0}
        if options.memory_mb is not None:
            resources["memory"] = int(options.memory_mb * MB)
        self.actor_class = ray.remote(TrialRunner).options(**resources)
        self.threads = max(1, int(cpus))
        self.slots: list[ActorSlot] = []
        self.stop_reason: str | None = None
        self.done_reasons: list[str] = []
        self.start_time = clock()
        self.driver = worker_identity()

    def start_actors(self, count: int) -> None:
        """Ask Ray for ``count`` actors. Each starts trials once placed: more actors than the
        cluster holds at once wait for room instead of holding up the ones placed."""
        for _ in range(count):
            actor = self.actor_class.remote(self.setup, self.threads, self.options.heartbeat_interval, self.driver)
            self.slots.append(ActorSlot(actor, None, actor.who.remote(), self.clock()))

    def placed(self, slot: ActorSlot) -> None:
        """An actor answered ``who``: it runs trials from now on."""
        try:
            slot.identity = self.ray.get(slot.call)
        except self.ray.exceptions.RayError as err:
            self.retire(slot)
            raise WorkerSetupError(f"a Ray actor could not start: {err}") from err
        self.submit(slot)

    def submit(self, slot: ActorSlot) -> None:
        if self.stopping():
            self.retire(slot)
            return
        slot.call, slot.started = slot.actor.run.remote(self.total), self.clock()

    def retire(self, slot: ActorSlot) -> None:
        self.ray.kill(slot.actor, no_restart=True)
        self.slots.remove(slot)

    def stopping(self) -> bool:
        if self.stop_reason is None:
            self.stop_reason = stop_reason_now(self.study, self.timeout, self.clock() - self.start_time)
        return self.stop_reason is not None

    def run(self) -> str:
        with termination_as_interrupt(), self.study._searching():
            return self._search()

    def _search(self) -> str:
        recover_interrupted(self.study, self.options)
        self.start_actors(useful_workers(self.study, self.total, self.workers))
        last_sweep = self.clock()
        try:
            while self.slots:
                calls = [s.call for s in self.slots]
                ready, _ = self.ray.wait(calls, num_returns=1, timeout=self.options.poll_interval)
                for slot in [s for s in self.slots if s.call in ready]:
                    self.collect(slot)
                if self.done_reasons or self.stop_reason is not None:
                    for slot in [s for s in self.slots if s.identity is None]:
                        self.retire(slot)  # still waiting for room, and no trial is left for it
                self.police()
                if self.clock() - last_sweep >= self.options.stale_grace / 2:
                    last_sweep = self.clock()
                    self.report(recover_interrupted(self.study, self.options))
        except KeyboardInterrupt:
            # Ctrl-C is no crash: the trials go back to the queue using up no retry.
            for slot in list(self.slots):
                self.settle(slot, INTERRUPTED, self.options.max_retries, counted=False)
            raise
        finally:
            for slot in list(self.slots):  # interrupted: their trials go back to the queue
                self.settle(slot, "the search was interrupted", self.options.max_retries)
        return self.stop_reason or (self.done_reasons[0] if self.done_reasons
                                    else budget_reached(self.total))

    def collect(self, slot: ActorSlot) -> None:
        if slot.identity is None:
            self.placed(slot)
            return
        try:
            number, why = self.ray.get(slot.call)
        except self.ray.exceptions.RayError as err:  # the actor died (OOM, segfault, kill)
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            self.lost(slot, f"its Ray actor died ({first[:200]})", self.options.max_retries)
            return
        if number is None and why == WAIT:
            self.submit(slot)
            return
        if number is None:
            self.done_reasons.append(why)
            self.retire(slot)
            return
        self.announce(number)
        self.submit(slot)

    def police(self) -> None:
        limit = self.options.trial_timeout
        for slot in list(self.slots):
            if slot.identity is not None and limit is not None and self.clock() - slot.started > limit:
                done, _ = self.ray.wait([slot.call], timeout=0)
                if not done:  # (a call that finished meanwhile is collected next round)
                    self.lost(slot, timed_out(limit), 0)

    def lost(self, slot: ActorSlot, reason: str, max_retries: int) -> None:
        """Kill the actor, settle the trial it was running, start a replacement."""
        self.settle(slot, reason, max_retries)
        if not self.stopping():
            self.start_actors(1)

    def settle(self, slot: ActorSlot, reason: str, max_retries: int, *, counted: bool = True) -> None:
        """Kill the actor and recover the trial it was running with ``reason`` (not
        ``counted``: Ctrl-C, which uses up no retry)."""
        self.retire(slot)
        if slot.identity is None:
            return  # never placed: it ran no trial
        states: dict[int, TrialState] = {}
        for t in self.study.storage.get_trials(self.study.id, [TrialState.RUNNING]):
            if t.system_attrs.get("worker") == slot.identity:
                state = self.study.storage.recover_trial(self.study.id, t.number, reason,
                                                         max_retries=max_retries, counted=counted)
                if state is not None:
                    states[t.number] = state
        self.report(states)

    def report(self, states: dict[int, TrialState]) -> None:
        announce(self.study, self.callbacks, failed_numbers(states))

    def announce(self, number: int) -> None:
        announce(self.study, self.callbacks, [number])


def run_ray(setup: Setup, study: Study, *, total: int, workers: int | None = None,
            options: WorkerOptions = WorkerOptions(), address: str | None = None,
            timeout: float | None = None, callbacks: Sequence[Callback] = (),
            clock: Callable[[], float] = time.monotonic) -> str:
    """Run the study on Ray until it holds ``total`` trials (running or finished).

    Uses the Ray instance this process is connected to; else connects to ``address``
    (``"auto"``: the cluster this machine belongs to) or, without one, starts Ray here and
    stops it at the end; per-trial resources no node of a Ray started here holds are a
    ConfigError (a cluster joined may be autoscaling). ``workers`` trials run at once
    (default: as many as the cluster's CPUs and GPUs fit). Returns why the search stopped.
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("search.executor", "ray is not installed; pip install 'nntune[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        connect(ray, address)
    try:
        cpus = options.cpus if options.cpus is not None else 1.0
        if started_here:  # (a cluster joined may be autoscaling: a node that fits may come)
            unfit = unfit_request(ray.nodes(), cpus, options.gpus, options.memory_mb)
            if unfit is not None:
                raise unfit
        count = workers or actors_for(ray.cluster_resources(), cpus, options.gpus)
        driver = RayDriver(ray, setup, study, total=total, workers=count, options=options,
                           timeout=timeout, callbacks=callbacks, clock=clock)
        return driver.run()
    finally:
        if started_here:
            ray.shutdown()
