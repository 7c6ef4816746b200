"""The trial record that flows between storage, samplers, schedulers and reports.

A :class:`FrozenTrial` is plain data: what storage returns and what samplers and schedulers
read. The live, define-by-run ``Trial`` handed to objectives lives in ``nntune._trial``.
"""

from __future__ import annotations

import enum
import functools
import importlib
import math
import sys
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from nntune._seconds import Seconds
from nntune.distributions import distinct_choices
from nntune.exceptions import ConfigError
from nntune.space import Beta, Choice, Distribution, Float, Int

Direction = Literal["minimize", "maximize"]


class TrialState(str, enum.Enum):
    """How far a trial got. ``waiting`` trials are enqueued and not yet claimed."""

    WAITING = "waiting"
    RUNNING = "running"
    COMPLETE = "complete"
    PRUNED = "pruned"
    FAIL = "failed"  # Optuna's name, so ``state.name`` reads as in Optuna
    FAILED = "failed"
    DIVERGED = "diverged"

    # Optuna's value for the failed state is "fail", and its states are numbered (an int
    # stored by a script or a table): read both as nntune's, and a state's name
    # ("COMPLETE", as Optuna's TrialState.COMPLETE.name reads) as the state.
    @classmethod
    def _missing_(cls, value: object) -> TrialState | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return dict(enumerate((cls.RUNNING, cls.COMPLETE, cls.PRUNED, cls.FAILED, cls.WAITING))).get(value)
        if isinstance(value, str):
            return cls.__members__.get(value.upper())
        return None

    def is_finished(self) -> bool:
        return self not in (TrialState.WAITING, TrialState.RUNNING)

    def __str__(self) -> str:
        return self.value

FINISHED_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED, TrialState.DIVERGED)


# A trial's constraint values (feasible when all are <= 0) live in its system attributes:
# one ``constraints:<key>`` per ``set_constraint``, as Optuna 5 stores them, and the list a
# ``constraints_func`` returned under ``constraints`` (keys "0", "1", ...), as before it.
CONSTRAINTS_KEY = "constraints"


def constraint_values(system_attrs: Mapping[str, Any]) -> dict[str, float]:
    """Every constraint value stored in ``system_attrs``, by key (a keyed one wins over a
    listed one of the same key)."""
    out = {str(i): float(v) for i, v in enumerate(system_attrs.get(CONSTRAINTS_KEY) or ())}
    prefix = CONSTRAINTS_KEY + ":"
    out.update({k[len(prefix):]: float(v) for k, v in system_attrs.items() if k.startswith(prefix)})
    return out


def meets_constraints(system_attrs: Mapping[str, Any]) -> bool:
    """Whether every stored constraint value is <= 0 (true without any), as Optuna reads
    them everywhere: -inf is met, +inf and a NaN (refused where constraints are stored) are not."""
    return constraints_met(constraint_values(system_attrs).values())


def constraints_met(values: Iterable[float]) -> bool:
    """:func:`meets_constraints` of the values themselves."""
    return all(v <= 0 for v in values)


def constraint_attr(key: str, value: Any) -> tuple[str, float]:
    """The system attribute that holds constraint ``key`` and its checked value: a value
    that is no number raises TypeError, NaN ValueError (as Optuna's ``set_constraint``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"constraint {key!r}: the value must be a float, got {type(value).__name__}") from None
    if math.isnan(number):
        raise ValueError(f"constraint {key!r}: NaN is not allowed")
    return f"{CONSTRAINTS_KEY}:{key}", number


class SuggestFamily:
    """Optuna's ``suggest_*`` over one ``suggest(name, dist)``: each builds the distribution
    (a bound error prefixed with the parameter's name) and asks ``suggest`` for the value.
    Every trial shares it: the live one draws, a fixed one gives, a finished one answers
    with what it ran with. Constraints (``set_constraint``, ``constraints``) are shared too,
    over each trial's own ``system_attrs`` and ``set_system_attr``."""

    if TYPE_CHECKING:  # what each trial that takes this family defines
        def suggest(self, name: str, dist: Distribution) -> Any: ...

        @property
        def system_attrs(self) -> dict[str, Any]: ...

        def set_system_attr(self, key: str, value: Any) -> None: ...

    @property
    def constraints(self) -> dict[str, float]:
        """The trial's constraint values by key; it is feasible when all are <= 0."""
        return constraint_values(self.system_attrs)

    def set_constraint(self, key: str, value: float) -> None:
        """Constraint ``key`` of this trial (feasible when <= 0), as Optuna's: set once, a
        second value for the same key is ignored with a warning. Samplers then rank
        infeasible trials below feasible ones, and best trials come from the feasible."""
        attr, number = constraint_attr(key, value)
        if attr in self.system_attrs:
            import warnings

            warnings.warn(f"constraint {key!r} is already set; the new value is ignored", stacklevel=2)
            return
        self.set_system_attr(attr, number)

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None,
                      log: bool = False) -> float:
        return float(self.suggest(name, _named(name, lambda: Float(low, high, log=log, step=step))))

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        return int(self.suggest(name, _named(name, lambda: Int(low, high, log=log, step=step))))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """One of ``choices``; a repeated choice counts once, with a warning (Optuna keeps it)."""
        if isinstance(name, str):  # a name of another type is refused by _named, in its words
            choices = distinct_choices(name, choices)
        return self.suggest(name, _named(name, lambda: Choice(tuple(choices))))

    def suggest_beta(self, name: str, low: float, high: float) -> float:
        """An averaging coefficient in [low, high], searched on the (1 - beta) log scale."""
        return float(self.suggest(name, _named(name, lambda: Beta(low, high))))

    # Optuna 2's names, still in many scripts (Optuna keeps them, deprecated).
    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """``suggest_float(name, low, high)``."""
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """``suggest_float(name, low, high, log=True)``."""
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """``suggest_float(name, low, high, step=q)``."""
        return self.suggest_float(name, low, high, step=q)


def _named(name: str, build: Any) -> Distribution:
    """Build a distribution, prefixing any bound error with the parameter's name."""
    if not isinstance(name, str):  # stored, compared and shown as text: a 1 would come back "1"
        raise TypeError(f"parameter {name!r}: a parameter's name must be a string, got {type(name).__name__} "
                        f"(use {str(name)!r})")
    try:
        return build()  # type: ignore[no-any-return]
    except ConfigError as err:
        raise ConfigError(f"{name}.{err.field}" if err.field else name, err.problem) from None


# Ordered as Optuna's (functools.total_ordering over __lt__ and __eq__): scripts sort and
# compare trials with <= and >= as well as <.
@functools.total_ordering
@dataclass
class FrozenTrial(SuggestFamily):
    """One trial as stored. ``intermediate_values`` maps a step (epoch) to the reported
    objective value; ``metrics`` holds the full per-step records a trainer reported."""

    number: int
    state: TrialState
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    value: float | None = None
    intermediate_values: dict[int, float] = field(default_factory=dict)
    # Not compared: a read with the per-step records (``study.trials``) and one without
    # (``get_trials()``) are the same trial, equal as Optuna's two reads of it are.
    metrics: list[dict[str, Any]] = field(default_factory=list, compare=False)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    datetime_start: datetime | None = None
    datetime_complete: datetime | None = None
    error: str | None = None
    # Optuna's storage id of the trial: kept where a caller gives it (nntune's storages
    # number trials within their study, and this is never compared or shown).
    trial_id: int | None = field(default=None, compare=False, repr=False)

    @property
    def _trial_id(self) -> int:
        return self.number if self.trial_id is None else self.trial_id

    @property
    def duration(self) -> Seconds | None:
        """Seconds from start to end (``None`` while running): a float that also answers
        Optuna's ``duration.total_seconds()``."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return Seconds((self.datetime_complete - self.datetime_start).total_seconds())

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None

    @property
    def epochs(self) -> int:
        """Epochs trained: the largest reported step, one more when steps count from 0 (as an
        Optuna objective's ``for epoch in range(n): trial.report(v, epoch)`` does); 0 when
        nothing was reported."""
        if not self.intermediate_values:
            return 0
        return max(self.intermediate_values) + (1 if 0 in self.intermediate_values else 0)

    @property
    def values(self) -> list[float] | None:
        """Every objective's value: a multi-objective trial keeps them in
        ``system_attrs["values"]`` (``value`` is the first), a single-objective one has one."""
        stored = self.system_attrs.get("values")
        if stored is not None and self.value is not None:
            return [float(v) for v in stored]
        return None if self.value is None else [self.value]

    @values.setter
    def values(self, values: Sequence[float] | None) -> None:
        """As Optuna's ``trial.values = [...]`` on a trial about to be added to a study."""
        vals = None if values is None else [float(v) for v in values]
        self.value = vals[0] if vals else None
        self.system_attrs = {k: v for k, v in self.system_attrs.items() if k != "values"}
        if vals is not None and len(vals) > 1:
            self.system_attrs["values"] = vals

    # An objective runs on a finished trial as on a live one, as in Optuna (its tutorial
    # re-runs the best trial: ``detailed_objective(study.best_trial)``): each suggest_* answers
    # with the value the trial ran with, by FixedTrial's rule; reports and pruning do nothing;
    # attributes are set on this object, never in storage. The rule lives above this module
    # (nntune._fixed_trial) and is loaded on first use.
    def suggest(self, name: str, dist: Distribution) -> Any:
        """``params[name]``: a name the trial lacks raises ValueError, a distribution of
        another kind than the one it ran with raises ConfigError (a ValueError), a value
        outside ``dist`` warns; ``distributions[name]`` becomes ``dist``."""
        given_value = importlib.import_module("nntune._fixed_trial").given_value
        missing = f"not among this trial's parameters ({', '.join(self.params) or 'it has none'})"
        # The objective's line: the helper, this method, SuggestFamily's suggest_*, the caller.
        return given_value(name, dist, self.params, self.distributions, missing=missing, stacklevel=4)

    def report(self, value: float, step: int, metrics: Mapping[str, Any] | None = None) -> None:
        """Nothing: a finished trial's curve is what it reported while it ran. ``metrics`` is
        taken as the live trial's is, so an objective (or a framework's callback) that reports
        the epoch's record runs again on the best trial."""

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        self.system_attrs[key] = value

    def _validate(self) -> None:
        """Optuna's check of a record (made by hand): a ValueError naming what disagrees."""
        problem = importlib.import_module("nntune._create_trial").frozen_problem(self)
        if problem:
            raise ValueError(problem)

    def __lt__(self, other: FrozenTrial) -> bool:
        """By number, as Optuna's: ``sorted(study.trials)`` is the trials in the order they began."""
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number < other.number


_fields_init = FrozenTrial.__init__


# Optuna's positional order: ``FrozenTrial(number, state, value, datetime_start, ...)``.
_OPTUNA_ORDER = ("number", "state", "value", "datetime_start", "datetime_complete", "params", "distributions",
                 "user_attrs", "system_attrs", "intermediate_values", "trial_id")


def _init_with_values(self: FrozenTrial, *args: Any, values: Sequence[float] | None = None, **kwargs: Any) -> None:
    """The dataclass's ``__init__``, also taking Optuna's ``values=`` (several objectives;
    with ``value`` left None), which the ``values`` property then reads back, and Optuna's
    positional order (a third argument that is no mapping is the value, not the params)."""
    if len(args) > 2 and not isinstance(args[2], Mapping):
        if len(args) > len(_OPTUNA_ORDER):
            raise TypeError(f"FrozenTrial takes at most {len(_OPTUNA_ORDER)} positional arguments")
        clash = sorted(set(_OPTUNA_ORDER[:len(args)]) & set(kwargs))
        if clash:
            raise TypeError(f"FrozenTrial got multiple values for {', '.join(clash)}")
        kwargs.update(zip(_OPTUNA_ORDER, args))
        args = ()
    _fields_init(self, *args, **kwargs)
    if values is None:
        return
    if self.value is not None:
        raise ValueError("give value or values, not both")
    vals = [float(v) for v in values]
    self.value = vals[0] if vals else None
    if len(vals) > 1:
        self.system_attrs = {**self.system_attrs, "values": vals}


FrozenTrial.__init__ = _init_with_values  # type: ignore[method-assign]


def is_better(a: float, b: float | None, direction: Direction) -> bool:
    """Whether value ``a`` beats ``b`` (``None`` loses to everything)."""
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return not math.isnan(a)
    return a > b if direction == "maximize" else a < b


def validation_loss(t: FrozenTrial) -> float | None:
    """The validation loss at the epoch the trial's value describes: the ``val_loss`` the
    built-in objective stores, else the last per-epoch record with the trial's value."""
    loss = t.user_attrs.get("val_loss")
    if loss is None and t.value is not None:
        loss = next((r.get("val_loss") for r in reversed(t.metrics) if r.get("value") == t.value), None)
    if isinstance(loss, (int, float)) and not isinstance(loss, bool) and math.isfinite(loss):
        return float(loss)
    return None


def tie_break(t: FrozenTrial) -> tuple[float, int, int]:
    """Among trials of equal value: the lower validation loss first (unknown last), then
    fewer epochs, then the lower number."""
    loss = validation_loss(t)
    return (math.inf if loss is None else loss, t.epochs, t.number)


def best_trial(trials: Sequence[FrozenTrial], direction: Direction) -> FrozenTrial | None:
    """The complete trial with the best value; ties go to the lower validation loss, then
    to fewer epochs, then to the lower number."""
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    top = ranked(complete, direction)
    return top[0] if top else None


def ranked(trials: Sequence[FrozenTrial], direction: Direction) -> list[FrozenTrial]:
    """Trials with a value, best first; at equal value complete trials before pruned ones,
    then :func:`tie_break` (lower validation loss, fewer epochs, lower number)."""
    scored = [t for t in trials if t.value is not None and not math.isnan(t.value)]
    sign = -1.0 if direction == "maximize" else 1.0
    return sorted(scored, key=lambda t: (sign * t.value, t.state != TrialState.COMPLETE, *tie_break(t)))


def counts_by_state(trials: Sequence[FrozenTrial]) -> dict[str, int]:
    out = {s.value: 0 for s in FINISHED_STATES}
    for t in trials:
        if t.state.is_finished():
            out[t.state.value] += 1
    return out


def params_key(params: Mapping[str, Any]) -> str:
    """A canonical string for a parameter set (used to spot repeats)."""
    return repr(sorted((k, float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                       for k, v in params.items()))


def dominates(a: Sequence[float], b: Sequence[float], directions: Sequence[str]) -> bool:
    """Whether values ``a`` are at least as good as ``b`` on every objective and better on one."""
    sign = [-1.0 if d == "maximize" else 1.0 for d in directions]
    pa, pb = [s * x for s, x in zip(sign, a)], [s * x for s, x in zip(sign, b)]
    return all(x <= y for x, y in zip(pa, pb)) and any(x < y for x, y in zip(pa, pb))


def pareto_front(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> list[FrozenTrial]:
    """The complete trials no other complete trial dominates, in number order (the first of
    several trials with equal values stands for them all only if it is undominated: all stay)."""
    done = [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None
            and len(t.values) == len(directions) and all(math.isfinite(v) for v in t.values)]
    return [t for t in done if not any(dominates(o.values, t.values, directions)  # type: ignore[arg-type]
                                       for o in done if o is not t)]


def __getattr__(name: str) -> Any:
    """``nntune.trial.Trial``, ``FixedTrial``, ``BaseTrial`` and ``create_trial``, as scripts written
    for Optuna import them (``from optuna.trial import Trial``): the live trial of ``nntune._trial``,
    the fixed one of ``nntune._fixed_trial`` and ``nntune._create_trial``, which sit above this
    module and are loaded on first use."""
    if name == "create_trial":
        return importlib.import_module("nntune._create_trial").create_trial
    if name in ("Trial", "FixedTrial", "BaseTrial"):
        if name == "BaseTrial":  # what Trial and FixedTrial share: suggest_*, params, user_attrs
            return importlib.import_module("nntune._trial").Suggestions
        return getattr(importlib.import_module("nntune._fixed_trial" if name == "FixedTrial" else "nntune._trial"),
                       name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Optuna's tutorial on pruners imports ``from optuna.trial._state import TrialState``, Optuna's
# private module path; this module stands in for Optuna's package, so the path is a module of
# its own registered under that name (Python finds a registered submodule before any search).
_state = types.ModuleType(f"{__name__}._state", "Optuna's optuna.trial._state: TrialState.")
_state.TrialState = TrialState  # type: ignore[attr-defined]
sys.modules.setdefault(_state.__name__, _state)
