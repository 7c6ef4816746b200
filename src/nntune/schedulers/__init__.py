"""Schedulers (pruners): which trials keep training."""

from __future__ import annotations

from nntune.schedulers._base import Decision, NoScheduler, Scheduler

__all__ = ["Decision", "NoScheduler", "Scheduler", "SCHEDULERS", "make_scheduler"]

SCHEDULERS: dict[str, type] = {"none": NoScheduler}


def make_scheduler(name: str, **options: object) -> Scheduler:
    """A scheduler by its config name (``none``, ...)."""
    from nntune.exceptions import ConfigError

    try:
        cls = SCHEDULERS[name]
    except KeyError:
        raise ConfigError("search.scheduler", f"unknown scheduler {name!r}; choose from "
                                              f"{', '.join(sorted(SCHEDULERS))}") from None
    return cls(**options)  # type: ignore[no-any-return]
