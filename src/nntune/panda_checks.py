"""What a study babysat again must keep, so that the trials it holds still resume and fork
as they trained: the task, the seed of the splits and the folder of the checkpoints."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nntune.config import Config
from nntune.config_compare import config_difference
from nntune.exceptions import ConfigError
from nntune.storage import StudyRecord

ATTR = "babysit"  # the study attribute holding the config it was babysat with


def check_same_task(cfg: Config, rec: StudyRecord) -> None:
    """Refuse (ConfigError naming the field, nothing written) a config whose task or split
    seed differs from the one the existing study ``rec`` was tuned or babysat with (its
    trials' values would be relabelled with another metric, or a resume of them trained on
    other data or another split), or whose checkpoint folder is not the babysat study's."""
    stored_metric = rec.attrs.get("metric")
    if isinstance(stored_metric, str) and stored_metric != cfg.task.trained_metric:
        raise ConfigError("task.metric", f"{cfg.task.trained_metric!r} here, but study {rec.name!r} measures "
                                         f"{stored_metric!r}; babysit another study (--study NAME)")
    babysat = rec.attrs.get(ATTR)
    dumped = cfg.model_dump(mode="json")
    given = {"task": dumped["task"], "search": {"seed": dumped["search"]["seed"]}}
    for stored in (rec.attrs.get("config"), babysat.get("config") if isinstance(babysat, dict) else None):
        found = config_difference(given, _splits_of(stored)) if isinstance(stored, Mapping) else None
        if found is not None:
            field, here, was = found
            raise ConfigError(field, f"{here!r} here, {was!r} in the config study {rec.name!r} was trained with; "
                                     "babysit another study (--study NAME)")
    check_same_folder(cfg, rec)


def _splits_of(stored: Mapping[str, Any]) -> dict[str, Any]:
    """What of a stored config decides the data and its splits: the task and the seed."""
    task, search = stored.get("task"), stored.get("search")
    seed = search.get("seed") if isinstance(search, Mapping) else None
    return {"task": task if isinstance(task, Mapping) else None, "search": {"seed": seed}}


def check_same_folder(cfg: Config, rec: StudyRecord) -> None:
    """Refuse a ``search.checkpoint_dir`` other than the one babysat study ``rec`` keeps its
    snapshots in: a fork or resume reads the folder the study remembers last, so the earlier
    trials' snapshots would no longer be found (a relative folder counts from here)."""
    babysat = rec.attrs.get(ATTR)
    stored = babysat.get("config") if isinstance(babysat, dict) else None
    search = stored.get("search") if isinstance(stored, Mapping) else None
    was = search.get("checkpoint_dir") if isinstance(search, Mapping) else None
    here = Path(cfg.search.checkpoint_dir).expanduser().resolve()
    if isinstance(was, str) and Path(was).expanduser().resolve() != here:
        raise ConfigError("search.checkpoint_dir", f"{str(here)!r} here, but study {rec.name!r} keeps its "
                                                   f"checkpoints in {was!r}; give that folder "
                                                   f"(--set search.checkpoint_dir={was}), or babysit another "
                                                   "study (--study NAME)")
