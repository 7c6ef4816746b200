"""Stored rows and their JSON: values written as compact JSON, rows read back as studies and trials."""

from __future__ import annotations

import functools
import json
import math
from typing import Any

from nntune.space import Distribution, dist_from_json
from nntune.storage._base import StudyRecord
from nntune.trial import FrozenTrial, TrialState


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), default=_json_default)


def _json_default(obj: Any) -> Any:
    # numpy scalars and the like: their Python equivalent
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _study(row: Any) -> StudyRecord:
    return StudyRecord(row.id, row.name, row.direction, json.loads(row.attrs), row.created_at)


@functools.lru_cache(maxsize=4096)
def _distributions(text: str) -> dict[str, Distribution]:
    """Decoded distributions by their JSON text: trials of a study share a handful of texts,
    and distributions are immutable, so a history read decodes each text once."""
    return {k: dist_from_json(d) for k, d in json.loads(text).items()}


def _object(text: str) -> dict[str, Any]:
    return {} if text == "{}" else dict(json.loads(text))


def _trial(row: Any, step_rows: list[Any], with_metrics: bool) -> FrozenTrial:
    metrics: list[dict[str, Any]] = []
    if with_metrics:
        metrics = [{"step": s.step, **json.loads(s.metrics)} for s in step_rows if s.metrics is not None]
    return FrozenTrial(
        number=row.number, state=TrialState(row.state), params=_object(row.params),
        distributions=dict(_distributions(row.distributions)), value=row.value,
        intermediate_values={s.step: s.value for s in step_rows if s.value is not None},
        metrics=metrics, user_attrs=_object(row.user_attrs), system_attrs=_object(row.system_attrs),
        datetime_start=row.datetime_start, datetime_complete=row.datetime_complete, error=row.error)
