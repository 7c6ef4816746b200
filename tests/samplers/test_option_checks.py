"""A sampler's bad option is one ConfigError naming it, where the sampler is built: not a
traceback at the first model-based trial, nor a value quietly read as something else."""

from __future__ import annotations

import numpy as np
import pytest

from nntune.exceptions import ConfigError
from nntune.samplers import CmaEsSampler, GPSampler, QMCSampler, RandomSampler, TPESampler, make_sampler


@pytest.mark.parametrize(("cls", "options", "field"), [
    (TPESampler, {"n_startup_trials": -1}, "n_startup_trials"),
    (TPESampler, {"n_ei_candidates": 0}, "n_ei_candidates"),
    (TPESampler, {"n_ei_candidates": "x"}, "n_ei_candidates"),
    (TPESampler, {"n_ei_candidates": 2.5}, "n_ei_candidates"),
    (TPESampler, {"gamma": 2.0}, "gamma"),
    (TPESampler, {"gamma": 0}, "gamma"),
    (TPESampler, {"prior_weight": -1.0}, "prior_weight"),
    (TPESampler, {"prior_weight": float("nan")}, "prior_weight"),
    (TPESampler, {"multivariate": "no"}, "multivariate"),
    (TPESampler, {"constant_liar": "yes"}, "constant_liar"),
    (TPESampler, {"consider_pruned": 1}, "consider_pruned"),
    (GPSampler, {"n_startup_trials": -3}, "n_startup_trials"),
    (GPSampler, {"deterministic_objective": "x"}, "deterministic_objective"),
    (GPSampler, {"n_candidates": 0}, "n_candidates"),
    (CmaEsSampler, {"n_startup_trials": -1}, "n_startup_trials"),
    (CmaEsSampler, {"inc_popsize": 0}, "inc_popsize"),
    (CmaEsSampler, {"x0": 5}, "x0"),
    (CmaEsSampler, {"consider_pruned_trials": "no"}, "consider_pruned_trials"),
    (QMCSampler, {"scramble": "no"}, "scramble"),
    (RandomSampler, {"seed": "abc"}, "seed"),
    (RandomSampler, {"seed": 1.5}, "seed"),
    (TPESampler, {"seed": True}, "seed"),
])
def test_bad_option_is_one_line_naming_it(cls: type, options: dict, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        cls(**options)
    assert err.value.field == field
    assert "\n" not in str(err.value)


def test_config_name_reaches_the_same_check() -> None:
    with pytest.raises(ConfigError, match="^n_ei_candidates: must be an integer >= 1, got 0$"):
        make_sampler("tpe", seed=0, n_ei_candidates=0)


def test_good_values_are_kept() -> None:
    tpe = TPESampler(seed=np.int64(3), n_startup_trials=0, n_ei_candidates=np.int32(5), gamma=0.25,
                     multivariate=np.bool_(False), prior_weight=2)
    assert (tpe.seed, tpe.n_ei_candidates, tpe.gamma, tpe.multivariate, tpe.prior_weight) == (3, 5, 0.25, False, 2.0)
    assert type(tpe.seed) is int and tpe.multivariate is False
    assert TPESampler(gamma=lambda n: 2).gamma(10) == 2
    assert GPSampler(deterministic_objective=True, n_restarts=0).deterministic_objective is True
    assert CmaEsSampler(x0={"x": 1.0}, n_startup_trials=0).x0 == {"x": 1.0}
    assert QMCSampler(scramble=False).scramble is False


@pytest.mark.parametrize("x0", [{"x": 100.0}, {"x": "a"}, {"x": float("nan")}])
def test_cmaes_start_off_the_range_is_refused_not_clipped(x0: dict) -> None:
    import nntune

    study = nntune.create_study(sampler=CmaEsSampler(x0=x0, seed=0, n_startup_trials=1))
    with pytest.raises(ConfigError, match=r"^x0: x: must be a number in \[-5, 5\]"):
        study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 4) ** 2, n_trials=3)


def test_cmaes_start_of_other_names_is_left_alone_as_optuna_does() -> None:
    import nntune

    sampler = CmaEsSampler(x0={"x": 4.0, "optimizer": "adam", "typo": 1.0}, seed=0, n_startup_trials=1)
    study = nntune.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 4) ** 2 + len(t.suggest_categorical("optimizer", ["adam", "sgd"])),
                   n_trials=4)
    assert len(study.trials) == 4


@pytest.mark.parametrize(("options", "field"), [
    ({"stages": 0}, "stages"), ({"trials_per_stage": "x"}, "trials_per_stage"), ({"top_k": 0}, "top_k"),
    ({"margin": "x"}, "margin"), ({"margin": 1.5}, "margin"),
])
def test_coarse_to_fine_option_is_named(options: dict, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        make_sampler("coarse_to_fine", seed=0, **options)
    assert err.value.field == field


def test_brute_force_switch_is_a_bool() -> None:
    from nntune.samplers import BruteForceSampler

    with pytest.raises(ConfigError, match="^avoid_premature_stop: must be true or false"):
        BruteForceSampler(avoid_premature_stop="no")


@pytest.mark.parametrize(("options", "field"), [({"weight": "x"}, "prior_weight"), ({"weight": 2}, "prior_weight"),
                                                ({"spread": "x"}, "prior_spread")])
def test_prior_sampler_option_is_named(options: dict, field: str) -> None:
    from nntune.samplers import PriorSampler

    with pytest.raises(ConfigError) as err:
        PriorSampler(RandomSampler(seed=0), {}, **options)
    assert err.value.field == field


@pytest.mark.parametrize(("name", "options", "field"), [
    ("tpe", {"weights": "linear"}, "weights"), ("tpe", {"constraints_func": "c"}, "constraints_func"),
    ("gp", {"constraints_func": 5}, "constraints_func"), ("nsga2", {"constraints_func": "c"}, "constraints_func"),
    ("nsga3", {"constraints_func": "c"}, "constraints_func"),
])
def test_function_options_must_be_functions(name: str, options: dict, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        make_sampler(name, seed=0, **options)
    assert err.value.field == field


@pytest.mark.parametrize("multivariate", [False, True])
def test_tpe_takes_a_prior_weight_of_zero_as_optuna_does(multivariate: bool) -> None:
    # Optuna's TPESampler(prior_weight=0.0) searches with no weight on the prior; a script
    # written for it was refused here ("must be a number > 0").
    import nntune

    sampler = TPESampler(seed=0, n_startup_trials=3, prior_weight=0.0, multivariate=multivariate)
    assert sampler.prior_weight == 0.0
    study = nntune.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 4)
                   + (t.suggest_categorical("c", ["a", "b"]) == "a"), n_trials=12)
    assert len(study.trials) == 12 and all(0 <= t.params["x"] <= 1 for t in study.trials)
