"""Optuna's sampler methods on nntune's built-in samplers (``OptunaMethods``): a script's own
``BaseSampler`` that hands work on to a built-in, as Optuna's tutorial on user-defined
samplers does, draws what the built-in would have drawn itself."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import nntune
from nntune.samplers import (
    BaseSampler,
    BruteForceSampler,
    CmaEsSampler,
    CoarseToFineSampler,
    GPSampler,
    GridSampler,
    NSGAIIISampler,
    NSGAIISampler,
    PartialFixedSampler,
    PriorSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from nntune.samplers._base import independent_draw
from nntune.space import Choice, Float, Int, Space
from nntune.trial import TrialState

METHODS = ("infer_relative_search_space", "sample_relative", "sample_independent", "before_trial",
           "after_trial", "reseed_rng")


def built_ins() -> dict[str, object]:
    return {"random": RandomSampler(seed=0), "tpe": TPESampler(seed=0), "gp": GPSampler(seed=0),
            "grid": GridSampler({"x": [0.0, 1.0]}, seed=0), "qmc": QMCSampler(seed=0),
            "cmaes": CmaEsSampler(seed=0), "nsga2": NSGAIISampler(seed=0), "nsga3": NSGAIIISampler(seed=0),
            "brute_force": BruteForceSampler(seed=0), "partial_fixed": PartialFixedSampler({"x": 1.0}, RandomSampler()),
            "coarse_to_fine": CoarseToFineSampler(seed=0), "prior": PriorSampler(RandomSampler(seed=0), {"x": 0.5}),
            "bohb": nntune.schedulers.BOHB(max_resource=9, seed=0).sampler}


@pytest.mark.parametrize("name", sorted(built_ins()))
def test_every_built_in_sampler_has_optunas_methods(name):
    sampler = built_ins()[name]
    for method in METHODS:
        assert callable(getattr(sampler, method)), method
    optuna = pytest.importorskip("optuna")
    for method in METHODS:  # Optuna's parameter names, so keyword calls work too
        theirs = list(inspect.signature(getattr(optuna.samplers.BaseSampler, method)).parameters)
        assert list(inspect.signature(getattr(type(sampler), method)).parameters) == theirs, method


def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    n = trial.suggest_int("n", 1, 8)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    return (x - 1.0) ** 2 + n + (kind == "b")


class HandsOn(BaseSampler):
    """Optuna's tutorial pattern: independent draws from a random sampler, relative ones
    from TPE, each through Optuna's methods."""

    def __init__(self, seed: int) -> None:
        self.independent = RandomSampler(seed=seed)
        self.relative = TPESampler(seed=seed, n_startup_trials=4)
        self.log: list[tuple[str, int]] = []

    def infer_relative_search_space(self, study, trial):
        return self.relative.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        if search_space:
            self.log.append(("relative", trial.number))
        return self.relative.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        self.log.append(("independent", trial.number))
        return self.independent.sample_independent(study, trial, param_name, param_distribution)


def test_the_tutorial_pattern_runs_to_the_end_with_the_seeded_values():
    user = HandsOn(seed=3)
    study = nntune.create_study(sampler=user)
    study.optimize(objective, n_trials=12)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 12
    # Trial 0 has no joint space yet: each value is the random sampler's own seeded draw.
    assert study.trials[0].params == {"x": independent_draw(3, 0, "x", Float(-5.0, 5.0)),
                                      "n": independent_draw(3, 0, "n", Int(1, 8)),
                                      "kind": independent_draw(3, 0, "kind", Choice(("a", "b")))}
    assert ("independent", 0) in user.log and ("relative", 1) in user.log and ("independent", 1) not in user.log
    # TPE's start-up draws are the random sampler's for the same seed, so the whole run is the
    # one TPE makes when the study asks it directly.
    native = nntune.create_study(sampler=TPESampler(seed=3, n_startup_trials=4))
    native.optimize(objective, n_trials=12)
    assert [t.params for t in study.trials] == [t.params for t in native.trials]


class Delegate(BaseSampler):
    """Every method handed on to ``inner`` through Optuna's interface."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def infer_relative_search_space(self, study, trial):
        return self.inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self.inner.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self.inner.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study, trial):
        self.inner.before_trial(study, trial)

    def after_trial(self, study, trial, state, values):
        self.inner.after_trial(study, trial, state, values)


def discrete(trial):
    return trial.suggest_int("n", 1, 3) + (trial.suggest_categorical("kind", ["a", "b"]) == "b")


def two(trial):
    x, n = trial.suggest_float("x", -5.0, 5.0), trial.suggest_int("n", 1, 8)
    return x ** 2 + n, (x - 2.0) ** 2


def kept_small(trial):
    return [trial.params["x"] - 3.0]  # feasible where x <= 3


CASES = {  # name: (sampler factory, objective, directions, trials)
    "random": (lambda: RandomSampler(seed=1), objective, None, 8),
    "tpe": (lambda: TPESampler(seed=1, n_startup_trials=3), objective, None, 10),
    "tpe_univariate": (lambda: TPESampler(seed=1, n_startup_trials=3, multivariate=False), objective, None, 10),
    "tpe_constrained": (lambda: TPESampler(seed=1, n_startup_trials=3, constraints_func=kept_small), objective,
                        None, 10),
    "gp": (lambda: GPSampler(seed=1, n_startup_trials=3), objective, None, 6),
    "qmc": (lambda: QMCSampler(seed=1), objective, None, 8),
    "cmaes": (lambda: CmaEsSampler(seed=1), objective, None, 10),
    "grid": (lambda: GridSampler({"n": [1, 2, 3], "kind": ["a", "b"]}, seed=1), discrete, None, 6),
    "brute_force": (lambda: BruteForceSampler(seed=1), discrete, None, 6),
    "partial_fixed_random": (lambda: PartialFixedSampler({"n": 2}, RandomSampler(seed=1)), objective, None, 8),
    "partial_fixed_tpe": (lambda: PartialFixedSampler({"n": 2}, TPESampler(seed=1, n_startup_trials=3)),
                          objective, None, 10),
    "coarse_to_fine": (lambda: CoarseToFineSampler(seed=1, stages=2, trials_per_stage=4, top_k=2), objective,
                       None, 10),
    "prior": (lambda: PriorSampler(TPESampler(seed=1, n_startup_trials=3), {"x": 1.0}), objective, None, 8),
    "nsga2": (lambda: NSGAIISampler(seed=1, population_size=4), two, ["minimize", "minimize"], 12),
    "nsga2_constrained": (lambda: NSGAIISampler(seed=1, population_size=4, constraints_func=kept_small), two,
                          ["minimize", "minimize"], 12),
    "nsga3": (lambda: NSGAIIISampler(seed=1, population_size=4), two, ["minimize", "maximize"], 12),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_sampler_handing_everything_on_draws_what_the_built_in_draws_itself(case):
    make, func, directions, n_trials = CASES[case]
    runs = []
    for sampler in (make(), Delegate(make())):
        study = nntune.create_study(sampler=sampler, directions=directions)
        study.optimize(func, n_trials=n_trials)
        runs.append(study.trials)
    native, handed_on = runs
    assert [t.params for t in handed_on] == [t.params for t in native]
    assert [t.values for t in handed_on] == [t.values for t in native]
    # Constraints: the study stores them for its own sampler, after_trial for one handed on to.
    assert [t.system_attrs.get("constraints") for t in handed_on] == \
        [t.system_attrs.get("constraints") for t in native]


def test_constraints_are_computed_once_a_trial_whoever_asks():
    calls: list[int] = []

    def constraints(trial):
        calls.append(trial.number)
        return [trial.params["x"]]

    for sampler in (NSGAIISampler(seed=0, constraints_func=constraints),
                    Delegate(NSGAIISampler(seed=0, constraints_func=constraints))):
        calls.clear()
        study = nntune.create_study(sampler=sampler, directions=["minimize", "minimize"])
        study.optimize(two, n_trials=5)
        assert calls == [0, 1, 2, 3, 4]
        assert all(t.system_attrs["constraints"] == [t.params["x"]] for t in study.trials)


def test_the_study_still_asks_its_own_built_in_through_suggest():
    # Only nntune's path hands the sampler the space the caller asked for: Sobol point 0 of
    # this space, where Optuna's path would have drawn each parameter on its own axis.
    sampler = QMCSampler(seed=0)
    study = nntune.create_study(sampler=sampler)
    space = Space({"a": Float(0.0, 1.0), "b": Float(0.0, 1.0)})
    trial = study.ask(space)
    assert trial.suggest_space(space) == sampler.suggest(space, [], number=0)
    assert trial.suggest_space(space) != {n: sampler.suggest_one(n, d, [], number=0) for n, d in space.params.items()}
    assert hasattr(sampler, "sample_relative") and hasattr(sampler, "sample_independent")


def test_a_subclass_overriding_an_optuna_method_is_asked_through_it():
    class LowFirst(TPESampler):
        def sample_independent(self, study, trial, param_name, param_distribution):
            return param_distribution.from_unit(0.0) if trial.number == 0 else \
                super().sample_independent(study, trial, param_name, param_distribution)

    study = nntune.create_study(sampler=LowFirst(seed=0, n_startup_trials=2))
    study.optimize(objective, n_trials=4)
    assert study.trials[0].params == {"x": -5.0, "n": 1, "kind": "a"}
    # From trial 1 on TPE draws the joint space itself (its start-up points: keyed by the seed
    # and the trial's number alone), as it does unsubclassed.
    native = nntune.create_study(sampler=TPESampler(seed=0, n_startup_trials=2))
    native.optimize(objective, n_trials=4)
    assert study.trials[1].params == native.trials[1].params != study.trials[0].params


def test_relative_spaces_follow_optunas_samplers():
    study = nntune.create_study(sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=3)
    trial = study.trials[-1]
    joint = {"x": Float(-5.0, 5.0), "n": Int(1, 8), "kind": Choice(("a", "b"))}
    assert list(TPESampler().infer_relative_search_space(study, trial).items()) == list(joint.items())
    assert RandomSampler().infer_relative_search_space(study, trial) == {}
    assert GridSampler({"x": [0.0]}).infer_relative_search_space(study, trial) == {}
    fixed = PartialFixedSampler({"n": 2}, TPESampler())
    assert fixed.infer_relative_search_space(study, trial) == {"x": Float(-5.0, 5.0), "kind": Choice(("a", "b"))}
    assert PartialFixedSampler({"n": 2}, RandomSampler()).infer_relative_search_space(study, trial) == {}
    assert fixed.sample_independent(study, trial, "n", Int(1, 8)) == 2
    declared = Space({"lr": Float(1e-4, 1e-1, log=True)})
    on_space = nntune.create_study(sampler=TPESampler(), space=declared)
    assert on_space.space == declared
    assert TPESampler().infer_relative_search_space(on_space, trial) == dict(declared.params)


def test_a_grid_gives_its_point_by_name_as_optunas_does():
    grid = GridSampler({"n": [1, 2, 3], "kind": ["a", "b"]}, seed=0)

    class ByName(Delegate):
        def infer_relative_search_space(self, study, trial):
            return {}

        def sample_relative(self, study, trial, search_space):
            return {}

    study = nntune.create_study(sampler=ByName(grid))
    study.optimize(discrete, n_trials=6)
    assert sorted((t.params["n"], t.params["kind"]) for t in study.trials) == \
        [(n, k) for n in (1, 2, 3) for k in ("a", "b")]


def test_the_sampler_methods_read_the_history_only_when_they_use_it():
    class Counting:
        directions = ["minimize"]
        space = None

        def __init__(self):
            self.reads = 0

        def get_trials(self, deepcopy=True):
            self.reads += 1
            return []

    study, trial = Counting(), nntune.trial.FrozenTrial(number=5, state=TrialState.RUNNING)
    value = RandomSampler(seed=2).sample_independent(study, trial, "x", Float(0.0, 1.0))
    assert value == independent_draw(2, 5, "x", Float(0.0, 1.0)) and study.reads == 0
    assert np.isfinite(TPESampler(seed=2).sample_independent(study, trial, "x", Float(0.0, 1.0)))
    assert study.reads == 1
