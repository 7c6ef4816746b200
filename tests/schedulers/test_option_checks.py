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
