"""The Sampler contract, run against every registered sampler."""

from __future__ import annotations

import math

import pytest

import nntune
from nntune import Beta, Choice, Float, Int, Space, TrialPruned, TrialState
from nntune.samplers import SAMPLERS, PartialFixedSampler, PriorSampler, make_sampler
from nntune.trial import FrozenTrial

# Small settings so that the model-based samplers leave their random start within a test.
FAST = {"tpe": {"n_startup_trials": 4}, "gp": {"n_startup_trials": 4, "n_candidates": 128},
        "coarse_to_fine": {"trials_per_stage": 4, "top_k": 2}, "grid": {"points": 2},
        "nsga2": {"population_size": 4}, "nsga3": {"population_size": 4}}  # generations within the tests' trials
# "prior": TPE with priors (PriorSampler), which must keep the same contract; so must the
# samplers Optuna users name that have no config name (partial fixing).
NAMES = [*sorted(SAMPLERS), "prior", "partial_fixed"]
PRIORS = {"optimizer": "adam", "lr": 1e-3, "units": 32}

SPACE = Space({
    "optimizer": Choice(("sgd", "adam", "rmsprop")),
    "lr": Float(1e-5, 1.0, log=True),
    "momentum": Beta(0.5, 0.999),
    "units": Int(8, 128, log=True),
    "layers": Int(1, 4),
    "dropout": Float(0.0, 0.5, step=0.1),
}, conditions={"momentum": {"optimizer": ["sgd", "rmsprop"]}})


def sampler(name: str, seed: int = 0):
    if name == "prior":
        return PriorSampler(sampler("tpe", seed), PRIORS)
    if name == "partial_fixed":
        return PartialFixedSampler({"layers": 2}, sampler("tpe", seed))
    return make_sampler(name, seed=seed, **FAST.get(name, {}))


def score(p: dict) -> float:
    return ((math.log10(p["lr"]) + 3) ** 2 + (p["layers"] - 2) ** 2 + p["dropout"]
            + (0.0 if p["optimizer"] == "adam" else 0.5) + abs(math.log2(p["units"] / 32))
            + ((math.log10(1 - p["momentum"]) + 2) ** 2 if "momentum" in p else 0.0))


def declared(trial: nntune.Trial) -> float:
    return score(trial.suggest_space(SPACE))


def define_by_run(trial: nntune.Trial) -> float:
    p = {"optimizer": trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"]),
         "lr": trial.suggest_float("lr", 1e-5, 1.0, log=True)}
    if p["optimizer"] != "adam":
        p["momentum"] = trial.suggest_beta("momentum", 0.5, 0.999)
    p["units"] = trial.suggest_int("units", 8, 128, log=True)
    p["layers"] = trial.suggest_int("layers", 1, 4)
    p["dropout"] = trial.suggest_float("dropout", 0.0, 0.5, step=0.1)
    return score(p)


def run(name: str, objective, n: int = 12, seed: int = 0, space: Space | None = SPACE, **kw):
    study = nntune.create_study(sampler=sampler(name, seed), space=space, **kw)
    study.optimize(objective, n_trials=n)
    return study


def assert_valid(trial: FrozenTrial) -> None:
    """Values inside the space; a conditional parameter present exactly when active."""
    assert SPACE.contains(trial.params), trial.params
    active = {n for n in SPACE if SPACE.is_active(n, trial.params)}
    assert set(trial.params) == active, (trial.params, active)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_under_a_seed(name):
    first = [t.params for t in run(name, declared).trials]
    assert first == [t.params for t in run(name, declared).trials]
    assert first != [t.params for t in run(name, declared, seed=1).trials]


@pytest.mark.parametrize("name", NAMES)
def test_suggest_is_a_pure_function_of_its_inputs(name):
    history = run(name, declared).trials
    before = [(t.number, dict(t.params), t.value) for t in history]
    s = sampler(name)
    a = s.suggest(SPACE, history, number=len(history), direction="minimize")
    b = sampler(name).suggest(SPACE, history, number=len(history), direction="minimize")
    assert a == b
    assert [(t.number, dict(t.params), t.value) for t in history] == before


@pytest.mark.parametrize("name", NAMES)
def test_values_inside_the_space_and_conditionals_only_when_active(name):
    study = run(name, declared, n=14)
    assert len(study.trials) == 14
    for t in study.trials:
        assert t.state == TrialState.COMPLETE
        assert_valid(t)


@pytest.mark.parametrize("name", NAMES)
def test_define_by_run_objective(name):
    study = run(name, define_by_run, n=14, space=None)
    for t in study.trials:
        assert t.state == TrialState.COMPLETE
        assert_valid(t)
    assert study.best_value == min(t.value for t in study.trials)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_suggest_one_gives_a_value_of_the_distribution(name, direction):
    history = run(name, define_by_run, n=10, space=None, direction=direction).trials
    s = sampler(name)
    for dist_name, dist in [("lr", Float(1e-5, 1.0, log=True)), ("units", Int(8, 128, log=True)),
                            ("momentum", Beta(0.5, 0.999)), ("optimizer", Choice(("sgd", "adam", "rmsprop"))),
                            ("unseen", Float(-1.0, 1.0))]:
        value = s.suggest_one(dist_name, dist, history, number=len(history), direction=direction)
        assert dist.contains(value), (dist_name, value)
        again = sampler(name).suggest_one(dist_name, dist, history, number=len(history), direction=direction)
        assert value == again


@pytest.mark.parametrize("name", NAMES)
def test_failed_pruned_and_diverged_trials_in_the_history(name):
    def objective(trial: nntune.Trial) -> float:
        value = declared(trial)
        kind = trial.number % 4
        if kind == 1:
            trial.report(value + 1.0, step=1)
            raise TrialPruned()
        if kind == 2:
            raise ValueError("the objective broke")
        if kind == 3:
            return float("nan")
        return value

    study = nntune.create_study(sampler=sampler(name), space=SPACE)
    study.optimize(objective, n_trials=20, catch=(ValueError,))
    states = {t.state for t in study.trials}
    assert states == {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED, TrialState.DIVERGED}
    for t in study.trials:
        assert_valid(t)


@pytest.mark.parametrize("name", NAMES)
def test_an_empty_history_and_an_empty_space(name):
    s = sampler(name)
    params = s.suggest(SPACE, [], number=0, direction="minimize")
    assert SPACE.contains(params)
    assert s.suggest(Space({}), [], number=0, direction="maximize") == {}
