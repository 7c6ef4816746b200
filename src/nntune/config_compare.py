"""Whether a config given again (``nntune test CONFIG``) describes the model a study was
tuned with: the task, the fixed hyperparameters and the seed of the splits must match."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# What decides the model and the splits a look at the test split rebuilds; ``task``'s own
# fields may be missing from a config an older version stored (no difference then), every
# mapping inside a field (the data's, the fixed hyperparameters) is compared whole.
COMPARED = (("task",), ("fixed",), ("search", "seed"))


def _first_difference(given: Any, stored: Any, path: tuple[str, ...], *,
                      lenient: bool = False) -> tuple[str, Any, Any] | None:
    if isinstance(given, Mapping) and isinstance(stored, Mapping):
        for key in list(given) + [k for k in stored if k not in given]:
            if lenient and key not in stored:
                continue
            found = _first_difference(given.get(key), stored.get(key), (*path, str(key)))
            if found is not None:
                return found
        return None
    return None if given == stored else (".".join(path), given, stored)


def _directions(task: Any) -> Any:
    """``task.direction`` as the directions it stands for (one word for one metric): left
    out, each metric's own, so ``direction: maximize`` and none agree for an accuracy."""
    if not isinstance(task, Mapping) or "direction" not in task:
        return task
    from nntune.train.costs import COSTS
    from nntune.train.metrics import metric_direction

    direction, metric = task["direction"], task.get("metric")
    metrics = [metric] if isinstance(metric, str) else list(metric or [])
    if direction is None:
        try:
            direction = [COSTS[m] if m in COSTS else metric_direction(m) for m in metrics]
        except (KeyError, ValueError):  # a metric this version does not know: compared as written
            return task
    elif isinstance(direction, str):
        direction = [direction] * max(len(metrics), 1)
    return {**task, "direction": direction[0] if len(direction) == 1 else direction}


def config_difference(given: Mapping[str, Any], stored: Mapping[str, Any]) -> tuple[str, Any, Any] | None:
    """The first field (dotted) where ``given`` and ``stored`` (both ``Config.model_dump(mode=
    "json")``) differ in what builds the model and the splits, with both values; None when
    they agree."""
    given = {**given, "task": _directions(given.get("task"))} if "task" in given else given
    stored = {**stored, "task": _directions(stored.get("task"))} if "task" in stored else stored
    for section in COMPARED:
        a: Any = given
        b: Any = stored
        for key in section:
            a = a.get(key) if isinstance(a, Mapping) else None
            b = b.get(key) if isinstance(b, Mapping) else None
        if b is None:  # not stored: nothing to hold the config to
            continue
        found = _first_difference(a, b, section, lenient=section == ("task",))
        if found is not None:
            return found
    return None


def check_same_model(cfg: Any, stored: Mapping[str, Any],
                     advice: str = "give that config, or none to use the stored one") -> None:
    """Refuse (ConfigError naming the field) a config that would rebuild another model or
    other splits than the study's stored config."""
    from nntune.exceptions import ConfigError

    task = stored.get("task")
    named = cfg.task.positive_class if isinstance(cfg.task.positive_class, str) else None
    if named is not None and isinstance(task, Mapping) and "positive_class" in task:
        # A class's name against the stored index: which index it is only the data says.
        from nntune.builtin_task import load_task_splits, resolved_config

        cfg = resolved_config(cfg, load_task_splits(cfg))
    found = config_difference(cfg.model_dump(mode="json", exclude={"storage"}), stored)
    if found is not None:
        field, given, was = found
        here = f"{named!r} (class {given})" if named is not None and field == "task.positive_class" else _written(given)
        raise ConfigError(field, f"{here} here, {_written(was)} in the config study {cfg.study!r} was tuned "
                                 f"with; {advice}")


def _written(value: Any) -> str:
    """A compared value as a config gives it: a key one of the two configs leaves out is
    "not set" (Python's ``None`` is no word of YAML), a flag is true or false."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
