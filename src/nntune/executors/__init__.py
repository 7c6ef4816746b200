"""Executors: how a study's trials get run.

``run_serial`` runs them one after another in this process; ``run_processes`` runs N
worker processes on this machine against the shared storage; ``run_ray`` runs them as Ray
actors on a cluster; ``run_population`` trains them K at a time as stacks in this process.
All of them ask within the study's budget (several processes or machines sharing a study
never run more than ``total`` trials between them), heartbeat while a trial runs, record each trial's peak memory, and first recover trials that a
crashed run left running.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from nntune.executors._common import WorkerOptions, recover_interrupted, thread_share, worker_identity
from nntune.executors._population import run_population
from nntune.executors._processes import WorkerSetupError, run_processes
from nntune.executors._serial import run_serial
from nntune.executors._worker import Setup

if TYPE_CHECKING:
    from nntune.samplers import Sampler
    from nntune.schedulers import Scheduler
    from nntune.study import Objective, Study

__all__ = ["Setup", "WorkerOptions", "WorkerSetupError", "recover_interrupted", "run_population",
           "run_processes", "run_ray", "run_serial", "study_setup", "thread_share", "worker_identity"]


def _open_study(storage: str, study_name: str, objective: Objective, sampler: Sampler | None,
                scheduler: Scheduler | None) -> tuple[Study, Objective]:
    from nntune.study import load_study

    return load_study(study_name, storage, sampler=sampler, scheduler=scheduler), objective


def study_setup(storage: str, study_name: str, objective: Objective, *, sampler: Sampler | None = None,
                scheduler: Scheduler | None = None) -> Setup:
    """What a worker calls to open a stored study and get the objective: ``objective`` must
    be importable by name (a module-level function), ``storage`` a URL every worker reaches."""
    return functools.partial(_open_study, storage, study_name, objective, sampler, scheduler)


def run_ray(*args: Any, **kwargs: Any) -> str:
    """``nntune.executors._ray.run_ray`` (imported on use: Ray is an optional extra)."""
    from nntune.executors._ray import run_ray as run

    return run(*args, **kwargs)
