"""Distributions by Optuna's names: ``FloatDistribution(low, high, log=False, step=None)``,
``IntDistribution(low, high, log=False, step=1)``, ``CategoricalDistribution(choices)``.

They are nntune's own :class:`~nntune.space.Float`, :class:`~nntune.space.Int` and
:class:`~nntune.space.Choice`, so a distribution built either way is the same value, and
``isinstance(trial.distributions["lr"], FloatDistribution)`` holds for suggested ones.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def distribution_to_json(dist: Distribution) -> dict[str, Any]:
    return dist.to_json()


def json_to_distribution(data: dict[str, Any]) -> Distribution:
    return dist_from_json(data)


__all__ = ["BaseDistribution", "CategoricalDistribution", "FloatDistribution", "IntDistribution",
           "distribution_to_json", "json_to_distribution"]
