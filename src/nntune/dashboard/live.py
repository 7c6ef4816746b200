"""A study kept up to date between requests: read in bulk once, then only the trials that
changed since the last read (``Storage.get_trials_since``), each stamped with a version so a
page asks for "what changed since version V" and gets a few rows, not the whole study.

The clock is injected; a study counts as finished once no trial has been running or waiting
for :data:`FINISH_GRACE` seconds (a serial run has a gap of milliseconds between trials).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from nntune.report.browse import stages_data
from nntune.report.data import best_of, rank, study_sections
from nntune.report.lineage import stopped_text
from nntune.report.study_data import edf_data
from nntune.samplers import is_feasible
from nntune.samplers._nsga import pareto_trials
from nntune.storage import Storage, StudyNotFoundError, StudyRecord
from nntune.trial import FrozenTrial, TrialState

# A writer stamps a change before its transaction commits: read again this far back.
COMMIT_MARGIN = timedelta(seconds=2)
MIN_REFRESH = 0.25  # seconds between two reads of the storage for one study, however many pages ask
FINISH_GRACE = 3.0  # seconds without a running or waiting trial before a study counts as finished
# The plot sections are rebuilt at most this often, and never more often than OVERVIEW_COST_FACTOR
# times their last build time (10,000 trials cost a second; a refresh must not).
MIN_OVERVIEW_PERIOD = 1.0
OVERVIEW_COST_FACTOR = 5.0
WARM_STUDIES = 10  # studies read in the background when the dashboard starts
FREEZE_AFTER = 1000  # trials read at once that are worth keeping out of the collector's sight


def objectives_of(attrs: dict[str, Any]) -> list[dict[str, str]] | None:
    """Each objective's name and direction for a study of several (its ``directions`` and
    ``metrics`` attributes, as the report reads them), None for one objective."""
    directions = attrs.get("directions")
    if not isinstance(directions, list) or len(directions) < 2:
        return None
    names = attrs.get("metrics")
    if not isinstance(names, list) or len(names) != len(directions):
        names = [f"objective {i}" for i in range(len(directions))]
    return [{"name": str(n), "direction": str(d)} for n, d in zip(names, directions)]


def utc_now() -> datetime:
    """The wall clock in the storage's terms (naive UTC, as trials' start and end are stored)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _same(a: FrozenTrial, b: FrozenTrial) -> bool:
    """Whether a trial read again shows nothing new. Its system attributes count: a study
    stores where a scheduler left a trial (bracket, rung) just after the trial ended."""
    return (a.state, a.value, a.intermediate_values, a.params, a.datetime_complete, a.user_attrs, a.system_attrs) == \
        (b.state, b.value, b.intermediate_values, b.params, b.datetime_complete, b.user_attrs, b.system_attrs)


@dataclass
class LiveStudy:
    store: Storage
    rec: StudyRecord
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], datetime] = utc_now  # where the timeline's running trials end (/api/timeline)
    trials: dict[int, FrozenTrial] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)
    version: int = 0
    cursor: datetime | None = None
    read_at: float = -1e9
    idle_since: float | None = None
    last_read_seconds: float = 0.0
    looks: int | None = None  # test looks stored at the last read
    _overview: tuple[int, float, float, dict[str, Any]] | None = None  # (version, built at, cost, data)
    _rebuilding: threading.Thread | None = None
    _ordered: tuple[int, list[FrozenTrial]] | None = None
    _best: tuple[int, FrozenTrial | None] | None = None
    _front: tuple[int, list[int]] | None = None
    counts: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in TrialState})
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _merge(self, changed: list[FrozenTrial]) -> None:
        """Take the trials that differ from what is held: a new version, the counts by state
        and the best trial kept up to date from the changed trials alone."""
        fresh = [t for t in changed if t.number not in self.trials or not _same(self.trials[t.number], t)]
        if not fresh:
            return
        self.version += 1
        for t in fresh:
            old = self.trials.get(t.number)
            if old is not None:
                self.counts[old.state.value] -= 1
            self.counts[t.state.value] = self.counts.get(t.state.value, 0) + 1
            self.trials[t.number] = t
            self.versions[t.number] = self.version
        if self._best is not None and self._best[0] != self.version - 1:
            self._best = None  # ranked for another version than the one just updated: rank again
        if self._best is not None:
            best = self._best[1]
            if best is not None and best.number in {t.number for t in fresh}:
                self._best = None  # the best trial itself changed: rank them all again
            else:  # the ranking key is the trial's own: the best of the old best and the fresh ones
                self._best = (self.version, best_of(rank(([best] if best is not None else []) + fresh,
                                                         self.rec.direction)))

    def refresh(self, *, force: bool = False) -> None:
        """Read what changed since the last read (everything the first time); at most once
        per :data:`MIN_REFRESH` seconds unless ``force``."""
        with self._lock:
            now = self.clock()
            if not force and now - self.read_at < MIN_REFRESH:
                return
            t0 = time.perf_counter()
            # The storage's own change marks (its writers' clocks) move the cursor, never ours.
            since = None if self.cursor is None else self.cursor - COMMIT_MARGIN
            changes = self.store.get_trials_since(self.rec.id, since)
            self._merge(changes.trials)
            self._read_study()
            if changes.latest is not None and (self.cursor is None or changes.latest > self.cursor):
                self.cursor = changes.latest
            elif self.cursor is None:  # nothing stored yet: follow from the first change
                self.cursor = datetime(1970, 1, 1)
            self.last_read_seconds = time.perf_counter() - t0
            first = self.read_at < -1e8
            active = self.counts[TrialState.RUNNING.value] + self.counts[TrialState.WAITING.value] > 0
            if active:
                self.idle_since = None
            elif self.idle_since is None:  # a study found idle at the first look has finished already
                self.idle_since = now - FINISH_GRACE if first else now
            self.read_at = now

    def _read_study(self) -> None:
        """Take the study's attributes (its metric, the terminator's last reading, the objectives'
        names) and its test looks as they are now: a change to them changes no trial row but
        changes what the page shows, so it is a new version too. A study deleted meanwhile
        is not found."""
        rec = self.store.load_study(self.rec.name)
        if rec is None or rec.id != self.rec.id:
            raise StudyNotFoundError(f"no study named {self.rec.name!r}")
        looks = len(self.store.get_test_evaluations(rec.id))
        if self.looks is not None and (rec.attrs != self.rec.attrs or looks != self.looks):
            self.version += 1
        self.rec, self.looks = rec, looks

    def read_trial(self, number: int) -> FrozenTrial:
        """One trial in full (its per-epoch records too), read now and taken into the held
        trials in the same step: the table rows and polls served after this answer are never
        older than the trial it shows (its state, value and epochs come from one read)."""
        with self._lock:
            full = self.store.get_trial(self.rec.id, number, with_metrics=True)
            self._merge([replace(full, metrics=[])])
        return full

    def ordered(self) -> list[FrozenTrial]:
        """The trials in number order (one list per version, shared: read-only)."""
        if self._ordered is None or self._ordered[0] != self.version:
            self._ordered = (self.version, [self.trials[n] for n in sorted(self.trials)])
        return self._ordered[1]

    def best(self) -> FrozenTrial | None:
        """The best trial, as the report and ``show`` choose it and ``study.best_trial`` answers
        (an infinite value counts, as in Optuna; one ranking per version)."""
        held = self._best
        if held is None or held[0] != self.version:
            version, trials = self.version, self.ordered()
            held = (version, best_of(rank(trials, self.rec.direction)))
            self._best = held
        return held[1]

    def front(self) -> list[int] | None:
        """A study of several objectives has no one best trial: the numbers of its Pareto
        front's feasible trials, as the report lists them (one computation per version);
        None for one objective."""
        objectives = objectives_of(self.rec.attrs)
        if objectives is None:
            return None
        held = self._front
        if held is None or held[0] != self.version:
            version, trials = self.version, self.ordered()
            directions = [o["direction"] for o in objectives]
            held = (version, [t.number for t in pareto_trials([t for t in trials if is_feasible(t)], directions)])
            self._front = held
        return held[1]

    @property
    def finished(self) -> bool:
        return bool(self.trials) and self.idle_since is not None and self.clock() - self.idle_since >= FINISH_GRACE

    def status(self) -> str:
        if not self.trials:
            return "empty"
        return "finished" if self.finished else "running"

    def changed_since(self, version: int) -> list[FrozenTrial]:
        return [self.trials[n] for n in sorted(self.trials) if self.versions.get(n, 0) > version]

    def overview(self, build: Callable[[StudyRecord, list[FrozenTrial]], dict[str, Any]] | None = None,
                 *, force: bool = False, wait: bool = True) -> dict[str, Any]:
        """The report's plot sections for the current trials, rebuilt only when trials changed
        and the last build is old enough for its cost; ``version`` tells what it reflects.
        Without ``wait``, a stale build is answered at once while a fresh one is made in the
        background (10,000 trials take a second to summarize; a page must not wait for it)."""
        with self._lock:
            now = self.clock()
            cached = self._overview
            if cached is not None and (cached[0] == self.version or (
                    not force and now - cached[1] < max(MIN_OVERVIEW_PERIOD, OVERVIEW_COST_FACTOR * cached[2]))):
                return cached[3]
            if cached is not None and not wait:
                if self._rebuilding is None or not self._rebuilding.is_alive():
                    self._rebuilding = threading.Thread(target=self._build, args=(build, now), daemon=True)
                    self._rebuilding.start()
                return cached[3]
        return self._build(build, now)

    def _build(self, build: Callable[[StudyRecord, list[FrozenTrial]], dict[str, Any]] | None,
               now: float) -> dict[str, Any]:
        with self._lock:
            version, trials = self.version, self.ordered()
        t0 = time.perf_counter()
        data = (build or self._sections)(self.rec, trials)
        data["version"] = version
        with self._lock:
            if self._overview is None or self._overview[0] <= version:
                self._overview = (version, now, time.perf_counter() - t0, data)
        return data

    def _sections(self, rec: StudyRecord, trials: list[FrozenTrial]) -> dict[str, Any]:
        """The report's sections (PBT lineage among them) and coarse-to-fine stages; the table is paged
        by its own call."""
        data = study_sections(self.store, rec, trials)
        data["stages"] = stages_data(trials, rec.attrs, rec.direction)
        data["edf"] = edf_data(trials)  # optuna-dashboard's EDF, from plot_edf's builder
        # The report's sentence on the PBT members no line leaves, built where the report builds
        # it so the two say the same ("" when none was stopped).
        data["lineage"]["stopped_text"] = stopped_text(data["lineage"]).strip()
        data.pop("trials", None)
        return data

    def last_overview(self) -> dict[str, Any] | None:
        """The sections last built, whatever version they reflect (None before the first);
        builds nothing."""
        with self._lock:
            return None if self._overview is None else self._overview[3]


class LiveStudies:
    """The :class:`LiveStudy` of each study a page has asked about, by name."""

    def __init__(self, store: Storage, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.clock = clock
        self.wall = wall
        self._studies: dict[str, LiveStudy] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> LiveStudy:
        """The study, refreshed; :class:`StudyNotFoundError` when it does not exist (any more)."""
        with self._lock:
            live = self._studies.get(name)
        if live is None:
            rec = self.store.load_study(name)
            if rec is None:
                raise StudyNotFoundError(f"no study named {name!r}")
            with self._lock:
                live = self._studies.setdefault(name, LiveStudy(self.store, rec, self.clock, self.wall))
        first = live.read_at < -1e8
        try:
            live.refresh()
        except StudyNotFoundError:
            self.forget(name)
            raise
        if first and len(live.trials) >= FREEZE_AFTER:
            # The trials just read stay for the dashboard's life: out of the cyclic collector's
            # sight, a full collection no longer walks them (a pause of 100 ms or more at
            # 10,000 trials, landing on whichever refresh is running).
            gc.freeze()
        return live

    def warm(self, limit: int = WARM_STUDIES) -> None:
        """Read the most recently active studies now and summarize them for their plots (a bulk
        read of 10,000 trials takes seconds, its summary another), so that their pages open at
        once; errors are left for the page to report."""
        recent = sorted(self.store.study_summaries(), key=lambda s: s.last_activity or datetime.min, reverse=True)
        for summary in recent[:limit]:
            try:
                self.get(summary.name).overview()
            except StudyNotFoundError:
                continue

    def forget(self, name: str) -> None:
        with self._lock:
            self._studies.pop(name, None)
