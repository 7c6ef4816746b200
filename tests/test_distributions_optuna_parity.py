"""Distribution functions Optuna users and samplers written for Optuna call."""

from __future__ import annotations

import math

import pytest

from nntune.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
    json_to_distribution,
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


@pytest.mark.parametrize(("text", "message"), [
    ('{"type": "float"}', "^distribution.low: a float distribution needs low$"),
    ('{"type": "choice"}', "^distribution.values: a choice distribution needs values$"),
    ('{"type": "float", "low": 0.001, "high": 1, "log": "false"}',  # was log=True
     "^distribution.log: must be true or false, got 'false'$"),
    ('{"type": "choice", "values": "abc"}', "^distribution.values: must be a list of choices, got 'abc'$"),  # was a, b, c
    ('{"type": "float", "low": 1, "high": 0}', r"^distribution.low: low \(1\) must not exceed high \(0\)$"),  # was "low: "
])
def test_nntunes_shape_missing_or_mistyping_a_key_is_one_line_naming_it(text: str, message: str):
    # It was a bare KeyError('low'), though the reader promises a ValueError naming the key.
    with pytest.raises(ValueError, match=message):
        json_to_distribution(text)


def test_categorical_choice_type_is_importable_as_from_optuna() -> None:
    # ``from optuna.distributions import CategoricalChoiceType`` (a typed script's annotation)
    # raised ImportError.
    from nntune.distributions import CategoricalChoiceType

    choices: list[CategoricalChoiceType] = [None, True, 1, 2.5, "adam"]
    assert CategoricalDistribution(choices).choices == tuple(choices)


def test_an_int_of_null_step_has_the_default_step() -> None:
    # {"step": null} (as a float's "no step" is written) raised "step: must be an integer, got None".
    assert json_to_distribution('{"type": "int", "low": 0, "high": 3, "step": null}') == IntDistribution(0, 3)


def test_a_nan_choice_is_a_choice_as_in_optuna(tmp_path) -> None:
    # NaN equals nothing, itself neither: the choice was refused as "not among the choices"
    # by every sampler that reads the history, and by enqueue_trial.
    import nntune

    dist = CategoricalDistribution(["a", math.nan, None])
    assert dist.to_internal_repr(math.nan) == 1 and dist.to_internal_repr(float("nan")) == 1
    assert dist.to_internal_repr(None) == 2
    with pytest.raises(ValueError, match="not one of"):
        CategoricalDistribution(["a", None]).to_internal_repr(math.nan)
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}",
                                sampler=nntune.samplers.TPESampler(seed=0, n_startup_trials=2))
    study.enqueue_trial({"fill": math.nan})
    study.optimize(lambda t: 1.0 if t.suggest_categorical("fill", [math.nan, 0.0]) == 0.0 else 2.0, n_trials=8)
    assert all(t.state == nntune.TrialState.COMPLETE for t in study.trials)
    assert math.isnan(study.trials[0].params["fill"])
