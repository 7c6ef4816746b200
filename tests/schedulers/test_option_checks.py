"""A scheduler's option of the wrong type is one ConfigError naming it (not Python's
comparison error), and a switch given as a string is refused rather than read as true."""

from __future__ import annotations

import pytest

from nntune.exceptions import ConfigError
from nntune.schedulers import ASHA, BOHB, PBT, Hyperband, make_scheduler


@pytest.mark.parametrize(("name", "options", "field"), [
    ("pbt", {"quantile": "x"}, "quantile"),
    ("pbt", {"resample_probability": "x"}, "resample_probability"),
    ("pbt", {"perturb": 1.2}, "perturb"),
    ("pbt", {"perturb": "ab"}, "perturb"),
    ("pbt", {"perturb": [0.8, "x"]}, "perturb"),
    ("pbt", {"max_resource": 0}, "max_resource"),
    ("pbt", {"max_resource": "x"}, "max_resource"),
    ("bohb", {"random_fraction": "x"}, "random_fraction"),
    ("hyperband", {"seed": "abc"}, "seed"),
    ("hyperband", {"cost_aware": "no"}, "cost_aware"),
    ("hyperband", {"spare_leaders": "no"}, "spare_leaders"),
    ("asha", {"cost_aware": "no"}, "cost_aware"),
    ("asha", {"spare_leaders": "false"}, "spare_leaders"),
    ("asha", {"auto_grace": "no"}, "auto_grace"),
    ("asha", {"max_unjudged_share": "x"}, "max_unjudged_share"),
    ("asha", {"budget_seconds": "x"}, "budget_seconds"),
])
def test_bad_option_is_one_line_naming_it(name: str, options: dict, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        make_scheduler(name, **options)
    assert err.value.field == field
    assert "\n" not in str(err.value)


def test_good_values_are_kept() -> None:
    pbt = PBT(quantile=0.5, resample_probability=0, perturb=[0.5, 2], max_resource=6, seed=1)
    assert (pbt.quantile, pbt.factors, pbt.max_resource) == (0.5, (0.5, 2.0), 6)
    assert BOHB(random_fraction=0, max_resource=9, seed=0).sampler.random_fraction == 0
    assert Hyperband(max_resource=9, seed=4, cost_aware=True).seed == 4
    asha = ASHA(max_resource=9, cost_aware=True, spare_leaders=False, auto_grace=True, budget_seconds=60)
    assert (asha.cost_aware, asha.spare_leaders, asha.auto_grace) == (True, False, True)


def test_pbt_space_must_be_a_space() -> None:
    with pytest.raises(ConfigError, match="^space: must be a nntune Space"):
        make_scheduler("pbt", space={"lr": [0.1, 0.01]})


def test_numpy_integers_are_integers() -> None:
    # They were refused as "must be an integer, got np.int64(1)", which they are; a sweep
    # over np.arange gives them.
    import numpy as np

    from nntune.schedulers import CurveExtrapolation, MedianStopping

    i = np.int64
    asha = ASHA(i(1), i(9), i(3), first_reduction_factor=i(2))
    assert (asha.min_resource, asha.max_resource, asha.reduction_factor, asha.first_reduction_factor) == (1, 9, 3, 2)
    assert all(type(v) is int for v in (asha.min_resource, asha.max_resource, asha.reduction_factor))
    assert Hyperband(i(1), i(9), i(3)).brackets == Hyperband(1, 9, 3).brackets
    assert type(Hyperband(i(1), i(9), i(3)).max_resource) is int
    assert MedianStopping(i(2), i(1), i(2), i(3)).min_trials == 3
    assert CurveExtrapolation(min_steps=i(5), max_resource=i(20), interval_steps=i(2)).max_resource == 20
    assert PBT(population=i(4), ready_epochs=i(2), max_resource=i(8), seed=0).population == 4
    assert BOHB(i(1), i(9), i(3), min_points=i(3), seed=0).max_resource == 9
    f = np.float32
    assert ASHA(noise_margin=f(1.0), min_rank_corr=f(0.5), min_cost_factor=i(2)).noise_margin == 1.0
    assert CurveExtrapolation(threshold=f(0.25), window=f(0.5), default_calibration=i(3)).threshold == 0.25
    assert PBT(quantile=f(0.25), seed=0).quantile == 0.25


@pytest.mark.parametrize(("make", "field"), [
    (lambda: ASHA(1, 9, 3, first_reduction_factor=2.0), "first_reduction_factor"),
    (lambda: Hyperband(max_resource=None), "max_resource"),  # a TypeError from '<='
    (lambda: Hyperband(max_resource=True), "max_resource"),
])
def test_what_is_no_integer_is_still_refused(make, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        make()
    assert err.value.field == field
