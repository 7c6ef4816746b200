"""The live trial handed to an objective: define-by-run suggestions, reports, pruning.

The calls match Optuna's common subset (``suggest_float``, ``suggest_int``,
``suggest_categorical``, ``report``, ``should_prune``, ``set_user_attr``), so an objective
written for Optuna runs after changing its import line.
"""

from __future__ import annotations

import abc
import contextlib
import math
import operator
import warnings
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from nntune._json import refused_by_json
from nntune._known_values import known_value
from nntune._stored_value import as_stored
from nntune._study_storage import StoredSystemAttrs
from nntune.changes import STOP
from nntune.exceptions import ConfigError, PruningUndefined, TrialStateError
from nntune.samplers._optuna_methods import asked_like_optuna
from nntune.schedulers import Decision
from nntune.schedulers._asha import ASKED_STEP
from nntune.space import Choice, Distribution, Space
from nntune.storage._base import LazyHistory
from nntune import trial as _records
from nntune.trial import FrozenTrial, SuggestFamily, TrialState

# should_prune looks for a person's stop (a storage read) at most once a second by the
# study's clock: a loop that reports every few milliseconds would pay that read at each
# step (a quarter of a bare SQLite loop's time), while a person waits far longer for a stop.
STOP_LOOK_SECONDS = 1.0

if TYPE_CHECKING:
    from nntune.study import Study


def derive_seed(study_seed: int, number: int) -> int:
    """A per-trial seed from the study's seed and the trial's number (same for any worker count)."""
    return int(np.random.SeedSequence([int(study_seed), int(number)]).generate_state(1)[0] & 0x7FFFFFFF)


def report_step(step: Any) -> int:
    """A reported step as the whole number it is: ``2.0`` (an epoch counted in floats) is step
    2, as Optuna takes it, and so is a one-number tensor or array (an epoch counter kept as
    ``torch.tensor(2)``); ``1.5``, a negative step, a bool or a string is refused in one line."""
    whole = _whole_step(step)
    if whole is None or whole < 0:
        raise ValueError(f"step must be a non-negative integer, got {step!r}")
    return whole


def _whole_step(step: Any) -> int | None:
    """``step`` as an int where it holds a whole number, else None."""
    if isinstance(step, (bool, np.bool_, str, bytes)) or str(getattr(step, "dtype", "")) in ("bool", "torch.bool"):
        return None
    if isinstance(step, (int, np.integer)):
        return int(step)
    with contextlib.suppress(TypeError, ValueError, RuntimeError):
        return operator.index(step)  # an integer tensor or 0-d array
    try:  # a float, or a one-number float tensor or array (float() reads those as Optuna's does)
        number = float(step)
    except (TypeError, ValueError, RuntimeError):
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


class Suggestions(SuggestFamily, abc.ABC):
    """What every trial offers an objective: Optuna's ``suggest_*`` over :meth:`suggest`
    (:class:`~nntune.trial.SuggestFamily`), and what it has suggested."""

    _params: dict[str, Any]
    _dists: dict[str, Distribution]
    _user_attrs: dict[str, Any]

    @abc.abstractmethod
    def suggest(self, name: str, dist: Distribution) -> Any:
        """The value of ``name`` in this trial, for ``dist`` (drawn, given or kept)."""

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        return dict(self._dists)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)


# Optuna's FrozenTrial is a BaseTrial too (an objective runs on ``study.best_trial``): a check
# such as ``isinstance(trial, optuna.trial.BaseTrial)`` holds for it here as there. Registered,
# since nntune.trial sits below this module and cannot subclass it.
Suggestions.register(FrozenTrial)


class Trial(Suggestions):
    """One running trial. Parameters are drawn on first use and kept; reports go to storage."""

    def __init__(self, study: Study, number: int, *, fixed_params: Mapping[str, Any] | None = None,
                 relative_params: Mapping[str, Any] | None = None,
                 relative_space: Space | None = None, datetime_start: datetime | None = None,
                 user_attrs: Mapping[str, Any] | None = None, params: Mapping[str, Any] | None = None,
                 distributions: Mapping[str, Distribution] | None = None) -> None:
        self.study = study
        self.number = number
        self.datetime_start = datetime_start  # when the study started it, as stored (Optuna's name)
        self._fixed = dict(fixed_params or {})
        self._relative = dict(relative_params or {})
        self._relative_space = relative_space
        # ``params`` and ``distributions``: those it holds from its start (a waiting trial added
        # with them), as if suggested already; stored with the first suggestions.
        self._params: dict[str, Any] = dict(params or {})
        self._dists: dict[str, Distribution] = dict(distributions or {})
        self._unsaved: dict[str, None] = dict.fromkeys(self._params)  # in the order suggested: Optuna's
        self._intermediate: dict[int, float] = {}
        # Those it was enqueued with (``enqueue_trial(..., user_attrs=)``), as Optuna's trial shows them.
        self._user_attrs: dict[str, Any] = dict(user_attrs or {})
        self._history: LazyHistory | None = None
        self._started = study._clock()  # a cost-aware scheduler reads seconds per epoch
        self._elapsed: list[float] | None = None  # [step, seconds since the start]
        self._asked_step = -1  # the highest step when the scheduler was last asked (-1: never)
        self._stop_looked: float | None = None  # when should_prune last read the user's stops
        self._stop_taken: str | None = None  # who asked the stop take_changes returned
        self._ended: TrialState | None = None  # how its study's tell finished it
        self.eager = False  # store each suggestion at once (threads sharing a study read them)
        # The number of the claim that started it here (``system_attrs["claim"]``): its writes
        # carry it, and storage refuses them once the trial was taken back (None: unchecked).
        self.claim: int | None = None

    # identity -------------------------------------------------------------------------
    @property
    def seed(self) -> int:
        """Seed for this trial's own randomness (weights, batches): derived, never global."""
        return derive_seed(self.study.seed, self.number)

    @property
    def _trial_id(self) -> int:
        """Optuna's storage id of the trial, which scripts pass back to it (``study._storage``
        calls, a trial's id in a log line): nntune numbers trials within their study, and a
        trial's id is its number, as its :class:`~nntune.trial.FrozenTrial` reads it."""
        return self.number

    @property
    def relative_params(self) -> dict[str, Any]:
        """The parameters the sampler drew together at ask (Optuna's name)."""
        return dict(self._relative)

    def suggest(self, name: str, dist: Distribution) -> Any:
        """The value of ``name`` in this trial, drawn from ``dist`` on first use."""
        if name in self._params:
            earlier = self._dists.get(name)
            _check_same_kind(name, earlier, dist)
            if earlier is not None and earlier != dist:
                # Optuna's rule: the first value stands, and a changed range is most often a
                # mistake in the objective, so it says so rather than staying silent.
                warnings.warn(f"{name}: asked again in this trial as {dist!r} after {earlier!r}; "
                              f"the first value {self._params[name]!r} stands", RuntimeWarning, stacklevel=3)
            return self._params[name]
        self.study.check_param_kind(name, dist)
        # A warning about a known value points at the objective's line: known_value, this
        # method, SuggestFamily's suggest_*, the objective.
        # Drawn and (under threads) stored in one turn of the sampling lock: a trial of
        # another thread drawing in between would not see this value yet, and a brute-force
        # or grid sampler would hand the same point out twice.
        with self.study.sampling_lock:
            if name in self._fixed:
                value = known_value(name, dist, self._fixed[name], "enqueued", stacklevel=4)
            elif name in self._relative and (self._relative_space is None or name not in self._relative_space
                                             or self._relative_space.params[name] == dist):
                value = _a_choice(self.study.sampler, name, dist, self._relative[name])
                if self._relative_space is None or name not in self._relative_space:
                    # Chosen without this distribution (a grid of given values): Optuna's rule, a
                    # value off the choices is a ValueError and a number off the range a warning.
                    value = known_value(name, dist, value, "grid", stacklevel=4)
            else:
                value = self._sample_one(name, dist)
            # Stored as Optuna stores it (0.5 for an integer as 0, 1 for a float as 1.0): a grid
            # hands out its values as given, and a later trial whose space holds the parameter
            # takes them unchecked above.
            value = as_stored(dist, value)
            self._params[name] = value
            self._dists[name] = dist
            self._unsaved[name] = None
            if self.eager:
                self._flush()
        return value

    def _sample_one(self, name: str, dist: Distribution) -> Any:
        sampler: Any = self.study.sampler
        with self.study.sampling_lock:
            if asked_like_optuna(sampler, "sample_independent"):  # a sampler written for Optuna
                drawn = sampler.sample_independent(self.study, self.frozen(stored_attrs=True), name, dist)
                return _a_choice(sampler, name, dist, drawn)
            if self._history is None:  # one bulk read per trial, and only if the sampler looks
                self._history = LazyHistory(self.study.storage, self.study.id)
            seen, direction = self.study.sampler_view(self._history)
            return sampler.suggest_one(name, dist, seen, number=self.number, direction=direction)

    def suggest_space(self, space: Space) -> dict[str, Any]:
        """Every parameter of ``space`` that is active given the others, in order."""
        out: dict[str, Any] = {}
        for name, dist in space.params.items():
            if space.is_active(name, out):
                out[name] = self.suggest(name, dist)
        # Stored at once, in one write, before the trial trains: a sampler in another worker
        # that reads the running trials (a grid's unused points) must see this configuration
        # taken, or it hands it out again.
        self._flush()
        return out

    def _flush(self) -> None:
        if self._unsaved:
            names = list(self._unsaved)
            self.study.storage.set_trial_params(self.study.id, self.number,
                                                {n: self._params[n] for n in names},
                                                {n: self._dists[n] for n in names}, **self._held)
            self._unsaved.clear()

    # reporting and pruning ------------------------------------------------------------
    def report(self, value: float, step: int, metrics: Mapping[str, Any] | None = None) -> None:
        """Record the objective's intermediate ``value`` at ``step`` (an epoch), with an
        optional full record (losses, learning rate, per-layer statistics) beside it."""
        step = report_step(step)
        if int(step) in self._intermediate:  # as Optuna: the first value of a step stands
            # No trial number in the text, as in Optuna's: Python's filter then shows this
            # once per step and line, not once for every trial of a long study.
            warnings.warn(f"the value reported for step {int(step)} is ignored: that step was reported already",
                          UserWarning, stacklevel=2)
            return
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"trial.report: the value must be a number, got {type(value).__name__} {value!r}") \
                from None
        self._flush()
        self._intermediate[int(step)] = value
        if getattr(self.study.scheduler, "cost_aware", False):  # seconds by the study's clock
            self._elapsed = [int(step), float(self.study._clock() - self._started)]
            self.set_system_attr("elapsed_s", self._elapsed)
        self.study.storage.report(self.study.id, self.number, int(step),
                                  value if math.isfinite(value) else None, metrics, **self._held)

    def should_prune(self) -> bool:
        """Whether the study's scheduler says this trial should stop now, or the user stopped
        it (``nntune trial stop``, the dashboard). A study of several objectives has no pruning
        (one value per step cannot rank trials on several): asking raises, as in Optuna;
        ``report`` still records the trial's curve. A trial already told is refused
        (``UpdateFinishedTrialError``), as Optuna's pruners that keep records refuse it."""
        if self.study.is_multi_objective:
            raise PruningUndefined(f"pruning compares one value per step, which is undefined for "
                                      f"{len(self.study.directions)} objectives: a trial of this study "
                                      "runs to its end (leave should_prune out)")
        if self._ended is not None:
            # Judging it would take a user's stop and write the scheduler's notes onto a
            # finished record, and its answer could only be acted on by a trial still running.
            raise TrialStateError(f"trial {self.number} has already finished ({self._ended.value}); "
                                  "should_prune judges a running trial")
        if self._stop_taken is not None:  # taken with the changes: this answer is what ends the trial
            self.set_system_attr("stopped_by", self._stop_taken)
            return True
        return self._take_stop() or self._scheduler_stops()

    def _scheduler_stops(self) -> bool:
        """Whether the study's scheduler stops this trial now. nntune's own trainers ask this
        alone: they take a user's stop, with the changes beside it, at their epoch boundary,
        where they know the values those changes replace."""
        if not self._intermediate:
            return False
        step = max(self._intermediate)
        # Read only if the scheduler looks: ASHA and Hyperband look at rung steps alone,
        # PBT at ready steps, so most epochs cost no read of the whole history.
        scheduler = self.study.scheduler
        if not hasattr(scheduler, "decide"):  # a pruner written for Optuna: prune(study, trial)
            return bool(scheduler.prune(self.study, self.frozen(stored_attrs=True)))
        history = LazyHistory(self.study.storage, self.study.id)
        # Successive halving judges the rungs passed since it was last asked (every few
        # reports, or a late report of an earlier step, which passes none).
        frozen = self.frozen()
        frozen.system_attrs[ASKED_STEP] = self._asked_step
        decision = scheduler.decide(frozen, step, history, self.study.directions[0])
        self._asked_step = step
        annotate = getattr(scheduler, "annotation", None)  # what it predicted, kept with the trial
        for key, value in ((annotate(self.number) or {}) if annotate is not None else {}).items():
            self.study.storage.set_trial_system_attr(self.study.id, self.number, key, value)
        return decision == Decision.STOP

    def _take_stop(self) -> bool:
        """Whether the user stopped this trial (``nntune trial stop``, the dashboard's stop,
        ``study.stop_trial``): the stop is then taken after the last reported step, with any
        change pending beside it (the trial ends there, as nntune's own trainer ends it), and
        the trial is marked stopped by whoever asked, so it reads as the user's prune."""
        now = self.study._clock()
        if self._stop_looked is not None and now - self._stop_looked < STOP_LOOK_SECONDS:
            return False
        self._stop_looked = now
        changes = self.study.storage.get_param_changes(self.study.id, self.number)
        stop = next((c for c in changes if c.pending and c.param == STOP), None)
        if stop is None:
            return False
        step = max(self._intermediate) if self._intermediate else 0
        self.study.storage.take_param_changes(self.study.id, self.number, step, self._params)
        self.set_system_attr("stopped_by", stop.who)
        return True

    # changes made while training ---------------------------------------------------------
    def pending_changes(self) -> dict[str, Any]:
        """Hyperparameter changes asked for this trial and not yet taken (``stop``: True
        when the user asked it to end), by name, the latest value of each."""
        changes = self.study.storage.get_param_changes(self.study.id, self.number)
        return {c.param: c.new for c in changes if c.pending}

    def take_changes(self, epoch: int, current: Mapping[str, Any]) -> dict[str, Any]:
        """The pending changes, recorded as taken after ``epoch`` with their old values read
        from ``current`` (what the objective trains with now); call it at an epoch boundary
        and train with the returned values from the next epoch on. A stop among them
        (``stop``: True) makes the next :meth:`should_prune` answer True."""
        taken = self.study.storage.take_param_changes(self.study.id, self.number, epoch, current)
        self._stop_taken = next((c.who for c in taken if c.param == STOP), self._stop_taken)
        return {c.param: c.new for c in taken}

    def set_user_attr(self, key: str, value: Any) -> None:
        self.set_user_attrs({key: value})

    def set_user_attrs(self, attrs: Mapping[str, Any]) -> None:
        """Several user attributes in one storage write (one transaction on a database).
        A trial this process runs refuses them once it has been told, as Optuna's does
        (``UpdateFinishedTrialError``): a value set after the end would describe a trial
        whose record was already read as final. Storage-level writes (the CLI, copies)
        may still annotate a finished trial."""
        if self.claim is not None:
            state = self.study.storage.get_trial(self.study.id, self.number, with_metrics=False).state
            if state.is_finished():
                raise TrialStateError(f"trial {self.number} has already finished ({state.value}) and cannot be updated")
        try:
            self.study.storage.set_trial_user_attrs(self.study.id, self.number, attrs, **self._held)
        except TypeError as err:
            if not refused_by_json(err):
                raise
            # A value JSON cannot hold (a datetime, an object, a tuple as a key): say whose.
            raise TypeError(f"user attribute {', '.join(map(repr, attrs))}: {err}; store numbers, strings, "
                            "lists or mappings of them (str() a date)") from None
        self._user_attrs.update(attrs)

    def set_system_attr(self, key: str, value: Any) -> None:
        self.study.storage.set_trial_system_attr(self.study.id, self.number, key, value, **self._held)

    @property
    def _held(self) -> dict[str, int]:
        """The claim keyword of this trial's writes (none for a trial not claimed here)."""
        return {} if self.claim is None else {"claim": self.claim}

    @property
    def system_attrs(self) -> dict[str, Any]:
        """The trial's system attributes as stored now (its constraints among them)."""
        return dict(self.study.storage.get_trial(self.study.id, self.number, with_metrics=False).system_attrs)

    def frozen(self, *, stored_attrs: bool = False) -> FrozenTrial:
        """This trial as plain data, as a scheduler sees it (a pruner written for Optuna may
        time the trial from its ``datetime_start``). ``stored_attrs``: with every system
        attribute stored so far, read if looked at, as Optuna hands the trial to a sampler's
        ``sample_independent`` and a pruner's ``prune``."""
        system_attrs: dict[str, Any] | StoredSystemAttrs = {} if self._elapsed is None else \
            {"elapsed_s": list(self._elapsed)}
        if stored_attrs:
            study, number = self.study, self.number
            system_attrs = StoredSystemAttrs(
                lambda: study.storage.get_trial(study.id, number, with_metrics=False).system_attrs)
        return FrozenTrial(number=self.number, state=TrialState.RUNNING, params=dict(self._params),
                           distributions=dict(self._dists), intermediate_values=dict(self._intermediate),
                           user_attrs=dict(self._user_attrs), datetime_start=self.datetime_start,
                           system_attrs=system_attrs)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params})"


# Optuna users import the live trial as ``optuna.trial.Trial``; nntune.trial holds the
# plain records and cannot import this module (it sits below it), so the name is set here.
_records.Trial = Trial  # type: ignore[attr-defined]


def _a_choice(sampler: Any, name: str, dist: Distribution, value: Any) -> Any:
    """A sampler's value for a categorical parameter, which must be one of its choices: as
    Optuna's trial refuses it, a sampler written for Optuna that returned a choice's index
    (its internal form) is told so, where the objective was handed the index as the value."""
    if isinstance(dist, Choice) and not dist.contains(value):
        raise ValueError(f"{name}: {type(sampler).__name__} returned {value!r}, which is not among the choices "
                         f"{list(dist.values)!r} (a sampler returns the choice itself, not its index)")
    return value


def _check_same_kind(name: str, earlier: Distribution | None, now: Distribution) -> None:
    """A parameter asked for again in one trial must be asked the same way (as Optuna): a
    float asked as an int, or a choice among other values, would silently turn the stored
    value into another one, and so would a changed log scale. A changed range is allowed;
    the first value stands."""
    if earlier is None:
        return
    if type(earlier) is not type(now):
        raise ConfigError(name, f"suggested as {type(now).__name__.lower()} after "
                                f"{type(earlier).__name__.lower()} in the same trial; use another name")
    if isinstance(now, Choice) and tuple(now.values) != tuple(earlier.values):
        raise ConfigError(name, f"suggested with choices {list(now.values)!r} after {list(earlier.values)!r} "
                                "in the same trial")
    if getattr(now, "log", False) != getattr(earlier, "log", False):
        # As Optuna's: the value was drawn on the other scale, which the second ask did not mean.
        raise ConfigError(name, f"suggested with log={getattr(now, 'log', False)} after "
                                f"log={getattr(earlier, 'log', False)} in the same trial")

