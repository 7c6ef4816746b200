"""Stored rows and their JSON: values written as compact JSON, rows read back as studies and trials."""

from __future__ import annotations

import functools
import json
import math
from typing import Any

from nntune.space import Distribution, dist_from_json
from nntune.storage._base import StudyRecord
from nntune.storage._memory_copies import _plain
from nntune.trial import FrozenTrial, TrialState


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), default=_json_default)


_json_default = _plain  # the memory storage's rule, so both keep the same values


def plain_text(text: str | None) -> str | None:
    """``text`` as a text column of every database keeps it: PostgreSQL refuses a NUL
    character (an exception's message may hold one), so it is written as the escape ``\\x00``."""
    return None if text is None else text.replace("\x00", "\\x00")


def name_problem(name: str, limit: int) -> str | None:
    """Why a name cannot be a key of a column of ``limit`` characters (None when it can): the
    same on SQLite, which would keep it, as on PostgreSQL, which refuses it, so that a study
    kept in one can be copied to the other."""
    if len(name) > limit:
        return f"is {len(name)} characters long; an SQL storage keeps names of at most {limit}"
    if "\x00" in name:
        return "holds a NUL character (\\x00), which PostgreSQL cannot store"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (a file name decoded with surrogateescape)
        return "is not valid Unicode text (it holds a lone surrogate), which no database stores"
    return None


def never_stored(name: str) -> bool:
    """A name :func:`name_problem` refuses for its characters: no study has it, and a query
    for it would fail (PostgreSQL cannot compare a NUL, no driver encodes a lone surrogate)."""
    return "\x00" in name or not name.isascii() and name_problem(name, len(name)) is not None


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
