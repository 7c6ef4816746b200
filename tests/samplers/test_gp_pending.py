"""GP sampler with trials still running: a second worker that asks on the same results is
not handed the point the first one is trying."""

from __future__ import annotations

import collections
import time

import numpy as np
import pytest

import nntune
from nntune.samplers import GPSampler
from nntune.samplers._gp import believing, fit_gp


def _objective(trial: nntune.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    return (x - 0.3) ** 2 + y


def _seeded_study() -> nntune.Study:
    # Seeded so that, asked twice on these results, the model's best point is the same
    # corner each time (what two threads were both handed).
    study = nntune.create_study(sampler=GPSampler(seed=0, n_startup_trials=4, n_candidates=64))
    study.optimize(_objective, n_trials=6)
    return study


def _apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(abs(a[0] - b[0]), abs(a[1] - b[1]))


def test_two_trials_asked_before_either_suggests_get_different_points() -> None:
    # The second ask comes before the first trial has stored any parameter (another thread
    # asks as soon as the first ask returns): the GP's proposal to the first still counts.
    study = _seeded_study()
    first, second = study.ask(), study.ask()
    a = (first.suggest_float("x", 0, 1), first.suggest_float("y", 0, 1))
    b = (second.suggest_float("x", 0, 1), second.suggest_float("y", 0, 1))
    assert _apart(a, b) > 0.01, (a, b)


def test_a_running_trial_with_its_parameters_stored_is_avoided() -> None:
    study = _seeded_study()
    first = study.ask()
    a = (first.suggest_float("x", 0, 1), first.suggest_float("y", 0, 1))
    second = study.ask()
    b = (second.suggest_float("x", 0, 1), second.suggest_float("y", 0, 1))
    assert _apart(a, b) > 0.01, (a, b)


def test_one_worker_alone_gets_the_same_points_as_before() -> None:
    # No other trial runs: the believer has nothing to condition on, so seeded serial
    # studies keep their suggestions.
    runs = [[t.params for t in _seeded_study().trials] for _ in range(2)]
    assert runs[0] == runs[1]


def test_believing_collapses_the_uncertainty_at_the_pending_point() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((12, 2))
    y = np.sin(5 * x[:, 0]) + x[:, 1]
    post = fit_gp(x, (y - y.mean()) / y.std(), rng, deterministic=True)
    q = np.array([[0.5, 0.5]])
    mean, var = post.predict(q)
    after, believed = believing(post, q)
    mean2, var2 = after.predict(q)
    assert believed == pytest.approx(mean) and mean2 == pytest.approx(mean, abs=1e-4)
    assert var2[0] < 1e-3 * var[0]


def test_two_threads_are_not_handed_the_same_point() -> None:
    def slow(trial: nntune.Trial) -> float:
        value = _objective(trial)
        time.sleep(0.005)
        return value

    study = nntune.create_study(sampler=GPSampler(seed=0, n_startup_trials=4, n_candidates=64,
                                                  deterministic_objective=True))
    study.optimize(slow, n_trials=16, n_jobs=2)
    counts = collections.Counter(tuple(sorted(t.params.items())) for t in study.trials)
    assert max(counts.values()) == 1
