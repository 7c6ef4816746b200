"""Distributions by Optuna's names: ``FloatDistribution(low, high, log=False, step=None)``,
``IntDistribution(low, high, log=False, step=1)``, ``CategoricalDistribution(choices)``.

They are nntune's own :class:`~nntune.space.Float`, :class:`~nntune.space.Int` and
:class:`~nntune.space.Choice`, so a distribution built either way is the same value, and
``isinstance(trial.distributions["lr"], FloatDistribution)`` holds for suggested ones.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from nntune._distribution_extras import plain
from nntune.exceptions import ConfigError
from nntune.space import Beta, Choice, Distribution, Float, Int, Space, Value, dist_from_json

FloatDistribution = Float
IntDistribution = Int
BaseDistribution = (Float, Int, Choice, Beta)
# What a choice may be, by Optuna's name (typed scripts annotate suggest_categorical's values with it).
CategoricalChoiceType = Value


def distinct_choices(name: str, choices: Any, *, stacklevel: int = 2) -> Any:
    """``choices`` with each value once, in the order first given. Optuna accepts a repeated
    choice (``[32, 64, 64]``, most often a slip); a choice here is stored and found by its
    value, so the repeat is dropped, with a warning (at ``stacklevel`` above the caller) since
    it no longer doubles that value's share of the draws. Anything that is no list of values
    is returned as given, for the distribution to refuse in its own words."""
    if isinstance(choices, (str, bytes, Mapping)) or not isinstance(choices, Iterable):
        return choices
    given = list(choices)
    seen: dict[str, Any] = {}
    for value in given:  # the same rule as Choice's: 1, 1.0 and True are three choices
        seen.setdefault(repr(plain(value)), value)
    if len(seen) == len(given):
        return given
    counts = Counter(repr(plain(v)) for v in given)
    repeated = [shown for shown, n in counts.items() if n > 1]
    warnings.warn(f"{name}: the choices {given!r} repeat {', '.join(repeated)}; each value is one choice "
                  f"({list(seen.values())!r})", UserWarning, stacklevel=stacklevel + 1)
    return list(seen.values())


class _ChoiceAlias(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, Choice)

    def __call__(cls, choices: Sequence[Value]) -> Choice:  # type: ignore[override]
        return Choice(tuple(distinct_choices("choices", choices)))


class CategoricalDistribution(metaclass=_ChoiceAlias):
    """``CategoricalDistribution(choices=["adam", "sgd"])``: a :class:`~nntune.space.Choice`."""


class _OldName(type):
    """Optuna 2's distribution names, kept by Optuna (deprecated) and by old scripts: each
    builds today's distribution, and ``isinstance`` asks whether one is of that kind."""

    build: Callable[..., Distribution]
    kind: Callable[[object], bool]

    def __instancecheck__(cls, obj: object) -> bool:
        return cls.kind(obj)

    def __call__(cls, *args: Any, **kwargs: Any) -> Distribution:  # type: ignore[override]
        return cls.build(*args, **kwargs)


class UniformDistribution(metaclass=_OldName):
    """``UniformDistribution(low, high)``: ``FloatDistribution(low, high)``."""

    build = staticmethod(lambda low, high: Float(low, high))
    kind = staticmethod(lambda d: isinstance(d, Float) and not d.log and d.step is None)


class LogUniformDistribution(metaclass=_OldName):
    """``LogUniformDistribution(low, high)``: ``FloatDistribution(low, high, log=True)``."""

    build = staticmethod(lambda low, high: Float(low, high, log=True))
    kind = staticmethod(lambda d: isinstance(d, Float) and d.log)


class DiscreteUniformDistribution(metaclass=_OldName):
    """``DiscreteUniformDistribution(low, high, q)``: ``FloatDistribution(low, high, step=q)``."""

    build = staticmethod(lambda low, high, q: Float(low, high, step=q))
    kind = staticmethod(lambda d: isinstance(d, Float) and d.step is not None)


class IntUniformDistribution(metaclass=_OldName):
    """``IntUniformDistribution(low, high, step=1)``: ``IntDistribution(low, high, step=step)``."""

    build = staticmethod(lambda low, high, step=1: Int(low, high, step=step))
    kind = staticmethod(lambda d: isinstance(d, Int) and not d.log)


class IntLogUniformDistribution(metaclass=_OldName):
    """``IntLogUniformDistribution(low, high)``: ``IntDistribution(low, high, log=True)``."""

    build = staticmethod(lambda low, high, step=1: Int(low, high, log=True, step=step))
    kind = staticmethod(lambda d: isinstance(d, Int) and d.log)


def distribution_to_json(dist: Distribution) -> str:
    """Optuna's serialisation: ``'{"name": "FloatDistribution", "attributes": {...}}'``, so a
    distribution written here is read by Optuna and the reverse. A :class:`~nntune.space.Beta`
    (nntune's own (1 - beta) scale, which Optuna has not) keeps nntune's shape."""
    if isinstance(dist, Float):
        body: dict[str, Any] = {"name": "FloatDistribution",
                                "attributes": {"step": None if dist.step is None else float(dist.step),
                                               "low": float(dist.low), "high": float(dist.high), "log": dist.log}}
    elif isinstance(dist, Int):
        body = {"name": "IntDistribution",
                "attributes": {"log": dist.log, "step": int(dist.step), "low": int(dist.low), "high": int(dist.high)}}
    elif isinstance(dist, Choice):
        body = {"name": "CategoricalDistribution", "attributes": {"choices": list(dist.values)}}
    else:
        body = dist.to_json()
    return json.dumps(body)


def json_to_distribution(json_str: str | dict[str, Any]) -> Distribution:
    """The distribution :func:`distribution_to_json` wrote (Optuna's shape, its Optuna 2
    names included), or one in nntune's config shape (``{"type": "float", ...}``), as a JSON
    string or a mapping. A malformed one raises ``ValueError`` naming the key."""
    from nntune.cli_ask_inputs import _optuna_distribution  # the one reader of Optuna's shape

    data = json.loads(json_str) if isinstance(json_str, str) else dict(json_str)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object for a distribution, got {type(data).__name__}")
    if "type" in data:
        if not isinstance(data.get("log", False), bool):  # "false" would be true to Python
            raise ConfigError("distribution.log", f"must be true or false, got {data['log']!r}")
        try:
            return dist_from_json(data)
        except KeyError as missing:  # {"type": "float"} alone: one line naming the key
            key = missing.args[0]
            raise ConfigError(f"distribution.{key}", f"a {data['type']} distribution needs {key}") from None
        except ConfigError as err:  # named as the keys of what was read: distribution.values
            raise ConfigError(f"distribution.{err.field}", err.problem) from None
    return _optuna_distribution("distribution", data)


def check_distribution_compatibility(dist_old: Distribution, dist_new: Distribution) -> None:
    """Optuna's rule for asking one parameter again with another distribution: the same kind,
    the same log scale, and for a choice the same choices (a range may change); else
    ``ValueError``."""
    if type(dist_old) is not type(dist_new):
        raise ValueError(f"cannot ask one parameter as {type(dist_new).__name__} after "
                         f"{type(dist_old).__name__}: the kinds differ")
    if isinstance(dist_old, Choice):
        if dist_old != dist_new:
            raise ValueError(f"cannot change a categorical parameter's choices from "
                             f"{list(dist_old.values)!r} to {list(dist_new.values)!r}")
        return
    if getattr(dist_old, "log", False) != getattr(dist_new, "log", False):
        raise ValueError("cannot change a parameter's log scale (log=True and log=False differ)")


def own_distribution(name: str, dist: Any) -> Distribution:
    """``dist`` as nntune's: one of Optuna's own (``optuna.distributions.FloatDistribution``,
    from a script that imports both, or a trial of an Optuna study) becomes the same
    distribution here, read through Optuna's JSON; anything else raises TypeError naming
    ``name``."""
    if isinstance(dist, BaseDistribution):
        return dist
    if type(dist).__module__.split(".")[0] == "optuna":
        from optuna.distributions import distribution_to_json  # present: the object is Optuna's

        return json_to_distribution(distribution_to_json(dist))
    raise TypeError(f"{name}: must be a distribution such as FloatDistribution(0, 1), got "
                    f"{type(dist).__name__} {dist!r}")


def fixed_distributions(given: Any) -> Mapping[str, Distribution] | Space | None:
    """``Study.ask``'s ``fixed_distributions`` as nntune's: None, a Space, or distributions by
    parameter name (Optuna's converted); anything else is refused before a trial starts
    (an ``(0, 1)`` tuple would otherwise fail inside the first suggestion and leave that
    trial running)."""
    if given is None or isinstance(given, Space):
        return given
    if not isinstance(given, Mapping):
        raise TypeError(f"fixed_distributions: must be a dict of distributions by parameter name, got "
                        f"{type(given).__name__} {given!r}")
    return {name: own_distribution(f"fixed_distributions[{name!r}]", dist) for name, dist in given.items()}


__all__ = ["BaseDistribution", "CategoricalChoiceType", "CategoricalDistribution", "DiscreteUniformDistribution",
           "FloatDistribution", "IntDistribution", "IntLogUniformDistribution", "IntUniformDistribution",
           "LogUniformDistribution", "UniformDistribution", "check_distribution_compatibility",
           "distribution_to_json", "json_to_distribution"]
