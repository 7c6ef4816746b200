"""Search spaces: what each hyperparameter may be, and on which scale it is searched.

Every distribution maps its values to and from the unit interval on its own scale
(``to_unit`` / ``from_unit``): a uniform draw in [0, 1) is a uniform draw on the right
scale, so the learning rate spreads evenly over decades (note 001: r = -4 * rand(),
alpha = 10^r) and an averaging coefficient beta spreads evenly over (1 - beta) decades
(beta = 1 - 10^r). Samplers work in that unit cube and never need to know the scales.

Distributions are frozen dataclasses that round-trip through JSON (``to_json`` /
``dist_from_json``) because storage keeps them beside every trial's parameters.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from nntune._conditions import check_conditions, parents_first, same_value
from nntune._distribution_extras import OptunaRepr, on_grid_high, plain, steps_in
from nntune._space_grid import grid_from_lists, grid_size, grid_values, space_grid
from nntune.exceptions import ConfigError

Value = Union[float, int, str, bool, None]


def _check_number(name: str, value: Any) -> float:
    value = plain(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(name, f"must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Float(OptunaRepr):
    """A real number in [low, high]; ``log=True`` searches it evenly over decades."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        low, high = _check_number("low", self.low), _check_number("high", self.high)
        if low > high:
            raise ConfigError("low", f"low ({low:g}) must not exceed high ({high:g})")
        # Floats, as Optuna keeps them: Float(0, 10, step=2) draws 4.0, not the int 4.
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        if self.log and low <= 0:
            raise ConfigError("low", f"a log-scale range needs low > 0, got {low:g}")
        if self.log and self.step is not None:
            raise ConfigError("step", "step and log=True cannot be combined")
        if self.step is not None and _check_number("step", self.step) <= 0:
            raise ConfigError("step", f"must be > 0, got {self.step!r}")
        if self.step is not None:
            object.__setattr__(self, "step", float(self.step))
            object.__setattr__(self, "high", on_grid_high(self.low, self.high, self.step))

    @property
    def q(self) -> float | None:
        """The step, by the name of Optuna's (deprecated) ``DiscreteUniformDistribution``."""
        return self.step

    @property
    def n_steps(self) -> int:
        """How many values a stepped range holds (``step`` set): low, low + step, ..., high."""
        return steps_in(self.low, self.high, self.step)[0] + 1 if self.step is not None else 0

    def to_unit(self, value: float) -> float:
        # A value outside the range (enqueued or given, kept with a warning) sits at its end:
        # the log of an enqueued 0 must not end a sampler's read of the history.
        value = min(self.high, max(self.low, float(value)))
        if self.step is not None:
            # As an integer's: each value of the grid owns an equal slice, mapped to its centre,
            # so a uniform draw gives every value the same chance (the ends too, as Optuna's).
            k = self.n_steps - 1 if value == self.high else round((value - self.low) / self.step)
            return (min(self.n_steps - 1, max(0, k)) + 0.5) / self.n_steps
        lo, hi, v = (math.log(self.low), math.log(self.high), math.log(value)) if self.log else (
            self.low, self.high, value)
        return 0.5 if hi == lo else min(1.0, max(0.0, (v - lo) / (hi - lo)))

    def from_unit(self, u: float) -> float:
        u = min(1.0, max(0.0, float(u)))
        if self.step is not None:
            # The slice u falls in; the last value is high itself: never off the grid.
            k = min(self.n_steps - 1, int(u * self.n_steps))
            return self.high if k == self.n_steps - 1 else self.low + k * self.step
        if self.log:
            if u in (0.0, 1.0):  # exact endpoints, free of exp/log rounding
                return self.low if u == 0.0 else self.high
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return min(self.high, max(self.low, x))

    def contains(self, value: Any) -> bool:
        value = plain(value)
        return isinstance(value, (int, float)) and not isinstance(value, bool) and \
            self.low <= value <= self.high

    def to_json(self) -> dict[str, Any]:
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log, "step": self.step}


@dataclass(frozen=True)
class Int(OptunaRepr):
    """An integer in [low, high] (both included), every ``step``; ``log=True`` for widths."""

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        for name in ("low", "high", "step"):
            v = plain(getattr(self, name))
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) and not (
                    isinstance(v, float) and v.is_integer()):
                raise ConfigError(name, f"must be an integer, got {v!r}")
            object.__setattr__(self, name, int(v))
        if self.low > self.high:
            raise ConfigError("low", f"low ({self.low}) must not exceed high ({self.high})")
        if self.step < 1:
            raise ConfigError("step", f"must be >= 1, got {self.step}")
        if self.log and self.low < 1:
            raise ConfigError("low", f"a log-scale range needs low >= 1, got {self.low}")
        if self.log and self.step != 1:
            raise ConfigError("step", "step and log=True cannot be combined")
        object.__setattr__(self, "high", on_grid_high(self.low, self.high, self.step))

    @property
    def n_values(self) -> int:
        return (self.high - self.low) // self.step + 1

    def to_unit(self, value: int) -> float:
        # Each integer owns an equal slice of the unit interval on its scale; map to the
        # slice's centre so that from_unit(to_unit(v)) == v. A value outside the range
        # (enqueued, kept with a warning) sits at its end, inside the unit interval.
        value = min(self.high, max(self.low, value))
        if self.log:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            return (math.log(value) - lo) / (hi - lo)
        return ((value - self.low) / self.step + 0.5) / self.n_values

    def from_unit(self, u: float) -> int:
        u = min(1.0, max(0.0, float(u)))
        if self.log:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            x = int(round(math.exp(lo + u * (hi - lo))))
            return min(self.high, max(self.low, x))
        k = min(self.n_values - 1, int(u * self.n_values))
        return self.low + k * self.step

    def contains(self, value: Any) -> bool:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and \
            self.low <= value <= self.high and (value - self.low) % self.step == 0

    def to_json(self) -> dict[str, Any]:
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log, "step": self.step}


@dataclass(frozen=True)
class Choice(OptunaRepr):
    """One of a list of values (numbers, strings, booleans or None)."""

    values: tuple[Value, ...]

    def __post_init__(self) -> None:
        values = tuple(map(plain, self.values)) if not isinstance(self.values, (str, bytes)) else None
        if not values:
            raise ConfigError("values", "needs a non-empty list of choices")
        for v in values:
            if v is not None and not isinstance(v, (bool, int, float, str)):
                # A study keeps its choices and values as JSON, where a tuple (a kernel shape)
                # comes back a list the objective was never handed: refused, with the way round.
                shown = " ".join(repr(v).split())  # one line, whatever the object's repr (a torch module's)
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                raise ConfigError("values", f"choices must be numbers, strings, booleans or null, "
                                            f"got {type(v).__name__} {shown}; give such a choice as a string "
                                            "(a name or a shape like '3x3') and turn it back in the objective")
        if len(set(map(repr, values))) != len(values):
            raise ConfigError("values", f"choices must be distinct, got {list(values)}")
        object.__setattr__(self, "values", values)

    @property
    def choices(self) -> tuple[Value, ...]:
        """The values, under Optuna's name."""
        return self.values

    def index(self, value: Any) -> int:
        value = plain(value)
        if isinstance(value, float) and math.isnan(value):
            # NaN equals no value, itself neither; Optuna takes a NaN choice ("no value", a
            # missing-value strategy) as the NaN among the choices.
            found = [i for i, v in enumerate(self.values) if isinstance(v, float) and math.isnan(v)]
            if found:
                return found[0]
        for i, v in enumerate(self.values):
            if v == value and type(v) is type(value) or (v is None and value is None):
                return i
        for i, v in enumerate(self.values):  # 1 == 1.0 from JSON round trips
            if v == value:
                return i
        raise ValueError(f"{value!r} is not one of {list(self.values)}")

    def to_internal_repr(self, value: Any) -> int:  # the index, an int as in Optuna
        return self.index(value)

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.values)

    def from_unit(self, u: float) -> Value:
        return self.values[min(len(self.values) - 1, int(max(0.0, u) * len(self.values)))]

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
            return True
        except ValueError:
            return False

    def to_json(self) -> dict[str, Any]:
        return {"type": "choice", "values": list(self.values)}


@dataclass(frozen=True)
class Beta(OptunaRepr):
    """An averaging coefficient in [low, high] within (0, 1), searched on the (1 - beta) log scale.

    beta = 1 - 10^r with r uniform in [log10(1 - high), log10(1 - low)], so 0.9..0.99 and
    0.99..0.999 get equal shares (note 001), where a linear draw would put 90% in the first.
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = _check_number("low", self.low), _check_number("high", self.high)
        if not 0 < low < 1 or not 0 < high < 1:
            raise ConfigError("low" if not 0 < low < 1 else "high",
                              f"beta bounds must lie strictly between 0 and 1, got [{low:g}, {high:g}]")
        if low > high:
            raise ConfigError("low", f"low ({low:g}) must not exceed high ({high:g})")
        object.__setattr__(self, "low", low)  # floats, as Float keeps them (JSON, equality)
        object.__setattr__(self, "high", high)

    def to_unit(self, value: float) -> float:
        lo, hi = math.log10(1 - self.high), math.log10(1 - self.low)
        r = math.log10(max(1e-300, 1 - float(value)))
        # u = 0 at low, u = 1 at high: larger u means beta closer to 1.
        return 0.5 if hi == lo else min(1.0, max(0.0, (hi - r) / (hi - lo)))

    def from_unit(self, u: float) -> float:
        u = min(1.0, max(0.0, float(u)))
        lo, hi = math.log10(1 - self.high), math.log10(1 - self.low)
        return min(self.high, max(self.low, 1 - 10 ** (hi - u * (hi - lo))))

    def contains(self, value: Any) -> bool:
        value = plain(value)
        return isinstance(value, (int, float)) and not isinstance(value, bool) and \
            self.low <= value <= self.high

    def to_json(self) -> dict[str, Any]:
        return {"type": "beta", "low": self.low, "high": self.high}


Distribution = Union[Float, Int, Choice, Beta]


def dist_from_json(data: Mapping[str, Any]) -> Distribution:
    """Inverse of ``Distribution.to_json``."""
    kind = data.get("type")
    if kind == "float":
        return Float(data["low"], data["high"], bool(data.get("log", False)), data.get("step"))
    if kind == "int":  # a step of null is the default step, as a float's null is no step
        return Int(data["low"], data["high"], bool(data.get("log", False)),
                   1 if data.get("step") is None else data["step"])
    if kind == "choice":
        values = data["values"]
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):  # "abc" is no list of a, b, c
            raise ConfigError("values", f"must be a list of choices, got {values!r}")
        return Choice(tuple(values))
    if kind == "beta":
        return Beta(data["low"], data["high"])
    raise ConfigError("type", f"unknown distribution type {kind!r}; choose from float, int, choice, beta")


def is_numeric(dist: Distribution) -> bool:
    return not isinstance(dist, Choice)


@dataclass(frozen=True)
class Space:
    """Named distributions, in order, with optional conditions.

    ``conditions[name] = {"optimizer": ["momentum", "nesterov"]}`` means ``name`` exists only
    in trials whose ``optimizer`` is one of those values. A condition may only refer to a
    parameter declared earlier, so one pass in order decides every parameter.
    """

    params: Mapping[str, Distribution]
    conditions: Mapping[str, Mapping[str, Sequence[Value]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "conditions", {k: {p: list(v) for p, v in c.items()}
                                                for k, c in self.conditions.items()})
        check_conditions(self.params, self.conditions)

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self) -> Iterator[str]:
        return iter(self.params)

    def __contains__(self, name: object) -> bool:
        return name in self.params

    def is_active(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether ``name`` exists given the values chosen so far."""
        for parent, allowed in self.conditions.get(name, {}).items():
            if parent not in params or not any(same_value(params[parent], v) for v in allowed):
                return False
        return True

    def from_unit(self, u: Sequence[float] | np.ndarray) -> dict[str, Value]:
        """Map a point of the unit cube (one coordinate per parameter, in order) to params."""
        out: dict[str, Value] = {}
        for (name, dist), ui in zip(self.params.items(), u):
            if self.is_active(name, out):
                out[name] = dist.from_unit(float(ui))
        return out

    def to_unit(self, params: Mapping[str, Any]) -> np.ndarray:
        """The unit-cube point of ``params``; NaN for inactive or missing parameters."""
        return np.array([dist.to_unit(params[n]) if n in params else np.nan
                         for n, dist in self.params.items()], dtype=float)

    def sample(self, rng: np.random.Generator) -> dict[str, Value]:
        return self.from_unit(rng.random(len(self.params)))

    def contains(self, params: Mapping[str, Any]) -> bool:
        active = {n for n in self.params if self.is_active(n, params)}
        return set(params) >= active and all(self.params[n].contains(params[n]) for n in active)

    def grid(self, points: int = 5) -> list[dict[str, Value]]:
        """Every combination: all values of a Choice or a small Int, ``points`` evenly spaced
        values (on the parameter's scale) of the rest. Conditional parameters are enumerated
        only under parents that activate them, so nested spaces yield no duplicates."""
        return space_grid(self, points)

    def to_json(self) -> dict[str, Any]:
        return {"params": {n: d.to_json() for n, d in self.params.items()},
                "conditions": {n: dict(c) for n, c in self.conditions.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Space:
        return cls({n: dist_from_json(d) for n, d in data["params"].items()},
                   data.get("conditions", {}))


# The grids (nntune._space_grid) and the conditions' helpers (nntune._conditions), importable from here.
__all__ = ["Beta", "Choice", "Distribution", "Float", "Int", "Space", "Value", "dist_from_json", "grid_from_lists",
           "grid_size", "grid_values", "is_numeric", "parents_first", "same_value"]
