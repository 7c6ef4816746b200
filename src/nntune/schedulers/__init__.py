"""Schedulers (pruners): which trials keep training."""

from __future__ import annotations

from nntune.schedulers._asha import ASHA, promotable
from nntune.schedulers._base import Decision, NoScheduler, Scheduler
from nntune.schedulers._bohb import BOHB, BOHBSampler, equal_budget_sampler
from nntune.schedulers._curve import CurveExtrapolation
from nntune.schedulers._hyperband import Bracket, Hyperband, brackets, halvings
from nntune.schedulers._median import MedianStopping
from nntune.schedulers._pbt import PBT, Proposal, exploit, explore, pbt_objective, pbt_replacer, run_pbt

__all__ = ["ASHA", "BOHB", "BOHBSampler", "Bracket", "CurveExtrapolation", "Decision", "Hyperband", "MedianStopping",
           "NoScheduler", "PBT", "Proposal", "Scheduler", "SCHEDULERS", "brackets", "equal_budget_sampler", "exploit",
           "explore", "halvings", "make_scheduler", "pbt_objective", "pbt_replacer", "promotable",
           "run_pbt"]

SCHEDULERS: dict[str, type] = {"none": NoScheduler, "median": MedianStopping, "asha": ASHA,
                               "hyperband": Hyperband, "bohb": BOHB, "pbt": PBT,
                               "curve": CurveExtrapolation}


def make_scheduler(name: str, **options: object) -> Scheduler:
    """A scheduler by its config name (``none``, ``median``, ``asha``, ``hyperband``,
    ``bohb``, ``pbt``, ``curve``)."""
    from nntune.exceptions import ConfigError

    try:
        cls = SCHEDULERS[name]
    except KeyError:
        raise ConfigError("search.scheduler", f"unknown scheduler {name!r}; choose from "
                                              f"{', '.join(sorted(SCHEDULERS))}") from None
    return cls(**options)  # type: ignore[no-any-return]
