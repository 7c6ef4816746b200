"""Distribution functions Optuna users and samplers written for Optuna call."""

from __future__ import annotations

import math

import pytest

from nntune.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
)


def test_check_distribution_compatibility_follows_optuna() -> None:
    check_distribution_compatibility(FloatDistribution(0, 1), FloatDistribution(0, 2, step=0.5))
    check_distribution_compatibility(IntDistribution(0, 5), IntDistribution(1, 9))
    check_distribution_compatibility(CategoricalDistribution(["a", "b"]), CategoricalDistribution(["a", "b"]))
    with pytest.raises(ValueError, match="kinds differ"):
        check_distribution_compatibility(FloatDistribution(0, 1), IntDistribution(0, 1))
    with pytest.raises(ValueError, match="log scale"):
        check_distribution_compatibility(FloatDistribution(1e-3, 1), FloatDistribution(1e-3, 1, log=True))
    with pytest.raises(ValueError, match="choices"):
        check_distribution_compatibility(CategoricalDistribution(["a"]), CategoricalDistribution(["b"]))


@pytest.mark.parametrize(("dist", "inside", "outside"), [
    (FloatDistribution(0, 1), [0.0, 0.5, 1.0], [-0.1, 1.5, math.nan]),
    (FloatDistribution(0, 1, step=0.25), [0.25, 0.75], [0.3]),
    (IntDistribution(0, 10, step=2), [0.0, 4.0, 10.0], [3.0, 12.0]),
    (CategoricalDistribution(["a", "b"]), [0.0, 1.0], [2.0, 0.5, -1.0]),
])
def test_contains_takes_the_internal_float_as_optuna_samplers_pass_it(dist, inside, outside) -> None:
    assert all(dist._contains(v) for v in inside)
    assert not any(dist._contains(v) for v in outside)


def test_float_bounds_and_step_are_floats_as_in_optuna() -> None:
    dist = FloatDistribution(0, 10, step=2)
    assert [type(v) for v in (dist.low, dist.high, dist.step)] == [float, float, float]
    assert type(FloatDistribution(0, 1).low) is float
    assert type(dist.from_unit(0.4)) is float  # a suggest_float never answers an int


def test_categorical_internal_repr_is_the_int_index_as_in_optuna() -> None:
    internal = CategoricalDistribution(["a", "b"]).to_internal_repr("b")
    assert internal == 1 and type(internal) is int


def test_discrete_uniform_keeps_q_as_the_step() -> None:
    from nntune.distributions import DiscreteUniformDistribution

    assert DiscreteUniformDistribution(0, 1, 0.25).q == 0.25
