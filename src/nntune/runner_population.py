"""``nntune tune --executor population --workers N``: one population process per device
(``cuda:i`` for each of N GPUs; on a machine without GPUs N processes sharing the cores),
each rebuilding the study and the stacked trainer from the config's plain data."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from nntune.config import Config, parse_config
from nntune.executors._population import check_checkpoints
from nntune.executors._population_workers import PopulationJob, population_devices, run_population_workers
from nntune.runner import Prepared, absolute_sqlite, open_study, prepare, worker_options
from nntune.schedulers import PBT
from nntune.study import Study
from nntune.trial import FrozenTrial


def gpu_count(device: str | None) -> int:
    """The GPUs population processes may take: none when ``device`` names another device."""
    if device is not None and not device.startswith("cuda"):
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def check_devices(cfg: Config, device: str | None) -> list[str]:
    """Each population process's device; a one-line ``search.workers`` error when there
    are more processes than GPUs (checked before the study is opened: nothing is written)."""
    if cfg.search.executor != "population" or cfg.search.workers <= 1:
        return []
    return population_devices(cfg.search.workers, gpu_count(device))


def population_setup(config: dict[str, Any], device: str | None) -> tuple[Study, PopulationJob]:
    """What a population process runs once: the study and the stacked trainer, rebuilt from
    the config's plain data on this process's device."""
    from nntune.builtin_stack import StackTrainer

    p = prepare(parse_config(config, "worker"))
    cfg = p.cfg
    trainer = StackTrainer(cfg, p.space, p.splits, device=device, epochs=p.epochs, checkpoints=p.checkpoints,
                           pbt=p.scheduler if isinstance(p.scheduler, PBT) else None)
    return open_study(p), PopulationJob(trainer, cfg.search.population, cfg.search.timeout,
                                          max(1, cfg.search.workers), cfg.search.structure_block)


def search_population_workers(p: Prepared, study: Study, callbacks: Sequence[Callable[[Study, FrozenTrial], None]],
                              *, device: str | None = None) -> str:
    """The config's trials trained by ``search.workers`` population processes, one per device."""
    from pathlib import Path

    cfg = p.cfg
    devices = check_devices(cfg, device)
    check_checkpoints(p.checkpoints)  # here, once: a process that cannot would only be started again
    config = cfg.model_dump(mode="json")
    config["storage"] = absolute_sqlite(cfg.storage)  # processes may start elsewhere
    config["search"]["checkpoint_dir"] = str(Path(cfg.search.checkpoint_dir).expanduser().resolve())
    # Each process sees only its own GPU (CUDA_VISIBLE_DEVICES), as its cuda:0.
    child_device = "cuda:0" if devices and devices[0].startswith("cuda") else device
    setup = functools.partial(population_setup, config, child_device)
    return run_population_workers(setup, study, total=cfg.search.trials, workers=cfg.search.workers,
                                  options=worker_options(cfg), timeout=cfg.search.timeout, callbacks=callbacks)
