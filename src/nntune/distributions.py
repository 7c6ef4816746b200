"""Distributions by Optuna's names: ``FloatDistribution(low, high, log=False, step=None)``,
``IntDistribution(low, high, log=False, step=1)``, ``CategoricalDistribution(choices)``.

They are nntune's own :class:`~nntune.space.Float`, :class:`~nntune.space.Int` and
:class:`~nntune.space.Choice`, so a distribution built either way is the same value, and
``isinstance(trial.distributions["lr"], FloatDistribution)`` holds for suggested ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nntune.space import Beta, Choice, Distribution, Float, Int, Value, dist_from_json

FloatDistribution = Float
IntDistribution = Int
BaseDistribution = (Float, Int, Choice, Beta)


class _ChoiceAlias(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, Choice)

    def __call__(cls, choices: Sequence[Value]) -> Choice:  # type: ignore[override]
        return Choice(tuple(choices))


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


def distribution_to_json(dist: Distribution) -> dict[str, Any]:
    return dist.to_json()


def json_to_distribution(data: dict[str, Any]) -> Distribution:
    return dist_from_json(data)


__all__ = ["BaseDistribution", "CategoricalDistribution", "DiscreteUniformDistribution", "FloatDistribution",
           "IntDistribution", "IntLogUniformDistribution", "IntUniformDistribution", "LogUniformDistribution",
           "UniformDistribution", "distribution_to_json", "json_to_distribution"]
