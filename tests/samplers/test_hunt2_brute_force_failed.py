"""A brute-force study whose objective fails on one combination ends, as Optuna's: the
failed combination counts as tried, and is not run again and again."""

from __future__ import annotations

import nntune as optuna


def _objective(trial: optuna.Trial) -> float:
    x = trial.suggest_int("x", 0, 3)
    if x == 2:
        raise RuntimeError("this combination cannot train")
    return float(x)


def test_a_caught_failure_ends_the_search_with_every_combination_tried_once() -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=0))
    # n_trials only bounds the test: the study stops once every combination was tried.
    study.optimize(_objective, n_trials=20, catch=(RuntimeError,))
    tried = sorted((t.params["x"], t.state.name) for t in study.trials)
    assert tried == [(0, "COMPLETE"), (1, "COMPLETE"), (2, "FAIL"), (3, "COMPLETE")]


def test_a_failure_under_a_condition_is_a_tried_branch() -> None:
    def objective(trial: optuna.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            depth = trial.suggest_int("depth", 1, 2)
            if depth == 2:
                raise ValueError("too deep")
            return float(depth)
        return 0.5

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=1))
    study.optimize(objective, n_trials=20, catch=(ValueError,))
    assert len(study.trials) == 3


def test_an_objective_that_asks_nothing_runs_once() -> None:
    """An empty space has one combination: Optuna's brute force stops after one trial; the
    study ran until n_trials (or for ever without it)."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=0))
    study.optimize(lambda trial: 0.0, n_trials=20)
    assert len(study.trials) == 1
