"""Stored rows and their JSON: values written as compact JSON, rows read back as studies and
trials, and a study's trials read in bulk (:class:`DecodedTrials`)."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nntune._json import depth_checked
from nntune.space import Distribution, dist_from_json
from nntune.storage._base import StudyRecord
from nntune.storage._memory_copies import _plain
from nntune.storage._schema import steps, trials
from nntune.trial import FrozenTrial, TrialState


def _dumps(obj: Any) -> str:
    return depth_checked(lambda: json.dumps(obj, separators=(",", ":"), default=_json_default), obj)


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


def _told(value: float | None) -> float | None:
    """A finished trial's value as stored: an infinite one kept (a value, as in Optuna;
    SQLite and PostgreSQL store it as a float), NaN as none."""
    return None if value is None or math.isnan(value) else float(value)


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


# Trials read back in bulk, each finished trial's steps read from the database once. A
# sampler reads the whole history at every ask, and a curve of hundreds of steps per trial
# makes the steps most of that read: ten thousand trials of a hundred epochs are a million
# step rows. A finished trial's steps never change (only a running trial reports, and only a
# running trial's steps are cleared when it is re-queued), so once a finished trial was
# decoded its steps are not read again while its row reads the same. The row itself is read
# every time: it is what says the trial is still the one decoded (a study's id is never
# reused, so a row that reads the same is the same trial, with the same attributes).

IN_CHUNK = 500  # trial ids per IN (...) list
FINISHED = frozenset(s.value for s in TrialState if s.is_finished())


def step_rows(conn: Connection, study_id: int, states: Sequence[str] | None, ids: Sequence[int], *,
              every: bool, with_metrics: bool, metrics_only: bool = False) -> dict[int, list[Any]]:
    """The step rows of the trials with row ids ``ids``, by trial id, in step order.
    ``every``: ``ids`` are all the study's trials in ``states`` (one joined query then).
    ``metrics_only``: only the steps that hold a metric record (the whole study's)."""
    cols = [steps.c.trial_id, steps.c.step, steps.c.value] + ([steps.c.metrics] if with_metrics else [])
    if every:
        q = (sa.select(*cols).join(trials, trials.c.id == steps.c.trial_id).where(trials.c.study_id == study_id))
        if states is not None:
            q = q.where(trials.c.state.in_(states))
        queries = [q.where(steps.c.metrics.is_not(None)) if metrics_only else q]
    else:
        queries = [sa.select(*cols).where(steps.c.trial_id.in_(ids[start:start + IN_CHUNK]))
                   for start in range(0, len(ids), IN_CHUNK)]
    by_trial: dict[int, list[Any]] = {}
    for q in queries:
        for s in conn.execute(q.order_by(steps.c.trial_id, steps.c.step)):
            by_trial.setdefault(s.trial_id, []).append(s)
    return by_trial


class DecodedTrials:
    """Trials (without per-step metric records) as last decoded from their rows, by row id:
    decoding the JSON of a thousand trials at every ask would cost more than reading them."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[tuple[Any, ...], tuple[tuple[int, Any], ...], FrozenTrial]] = {}

    def settled(self, row: Any) -> FrozenTrial | None:
        """The trial decoded earlier from this very row if it is finished (its steps cannot
        have changed since), else None: its steps must be read."""
        hit = self._by_id.get(row.id)
        if hit is not None and row.state in FINISHED and hit[0] == tuple(row):
            return hit[2]
        return None

    def decoded(self, row: Any, step_rows: list[Any]) -> FrozenTrial:
        """``_trial`` of a row and its steps, reused while both read the same."""
        key, marks = tuple(row), tuple((s.step, s.value) for s in step_rows)
        hit = self._by_id.get(row.id)
        if hit is not None and hit[0] == key and hit[1] == marks:
            return hit[2]
        trial = _trial(row, step_rows, False)
        self._by_id[row.id] = (key, marks, trial)
        return trial

    def read(self, conn: Connection, study_id: int, rows: Sequence[Any], states: Sequence[str] | None,
             ) -> list[FrozenTrial]:
        """The trials of ``rows`` (all the study's rows in ``states``), reading the steps of
        only those not :meth:`settled`."""
        kept = {r.id: t for r in rows if (t := self.settled(r)) is not None}
        need = [r.id for r in rows if r.id not in kept]
        by_trial = step_rows(conn, study_id, states, need, every=len(need) == len(rows),
                             with_metrics=False) if need else {}
        return [kept[r.id] if r.id in kept else self.decoded(r, by_trial.get(r.id, [])) for r in rows]

    def read_with_metrics(self, conn: Connection, study_id: int, rows: Sequence[Any],
                          states: Sequence[str] | None) -> list[FrozenTrial]:
        """:meth:`read` with each trial's metric records: the steps' values as :meth:`read`
        has them (a finished trial's from memory), the records read (only the steps that
        hold one), and every trial decoded anew from its row, so that nothing the caller
        changes reaches what this keeps."""
        kept = self.read(conn, study_id, rows, states)
        records = step_rows(conn, study_id, states, [], every=True, with_metrics=True, metrics_only=True)
        out = []
        for row, trial in zip(rows, kept):
            fresh = _trial(row, records.get(row.id, []), True)
            fresh.intermediate_values = dict(trial.intermediate_values)
            out.append(fresh)
        return out
