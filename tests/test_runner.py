"""runner: which sampler a config gets, given its scheduler."""

from __future__ import annotations

import pytest

from nntune.config import parse_config
from nntune.runner import build_sampler, build_scheduler
from nntune.samplers import GPSampler, RandomSampler, TPESampler
from nntune.schedulers import BOHBSampler

SPACE = {"lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
         "units": {"type": "int", "low": 16, "high": 64}}


def sampler_for(sampler: str, scheduler: str, **options):
    cfg = parse_config({"space": SPACE, "fixed": {"epochs": 9},
                        "search": {"sampler": sampler, "scheduler": scheduler, "seed": 3,
                                   "sampler_options": options}})
    return build_sampler(cfg, build_scheduler(cfg))


@pytest.mark.parametrize("scheduler", ["asha", "hyperband"])
@pytest.mark.parametrize("name, cls", [("tpe", TPESampler), ("gp", GPSampler)])
def test_model_based_samplers_compare_trials_at_equal_budgets_under_successive_halving(name, cls, scheduler):
    sampler = sampler_for(name, scheduler, n_startup_trials=5)
    assert isinstance(sampler, BOHBSampler) and isinstance(sampler.model, cls)
    assert sampler.model.n_startup_trials == 5 and sampler.seed == 3  # the config's options and seed
    assert sampler.budgets == [1, 3, 9] and sampler.max_resource == 9


@pytest.mark.parametrize("name, scheduler, cls", [("tpe", "none", TPESampler), ("tpe", "median", TPESampler),
                                                  ("random", "asha", RandomSampler), ("gp", "pbt", GPSampler)])
def test_other_combinations_keep_the_sampler_as_configured(name, scheduler, cls):
    assert type(sampler_for(name, scheduler)) is cls


def test_bohb_brings_its_own_sampler():
    sampler = sampler_for("random", "bohb")
    assert isinstance(sampler, BOHBSampler) and sampler.model is None and sampler.random_fraction > 0
