"""NSGA-II's and NSGA-III's default (uniform) crossover crosses two different members of
the elite, as Optuna's does: a child of one parent twice is that parent again unless
mutated, a duplicate trial spent."""

from __future__ import annotations

import pytest

import nntune as optuna

NAMES = [f"x{i}" for i in range(12)]


def _objective(trial: optuna.Trial) -> tuple[float, float]:
    xs = [trial.suggest_float(name, 0.0, 1.0) for name in NAMES]
    return xs[0] + sum(xs[1:]), 1.0 - xs[0] + sum(xs[1:])


@pytest.mark.parametrize("sampler", ["NSGAIISampler", "NSGAIIISampler"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_child_mixes_two_different_parents(sampler: str, seed: int) -> None:
    # An elite of two, crossed every time and never mutated: each child takes each of its
    # twelve parameters from one of the two, and from both (all twelve from one has
    # chance 2 / 4096 per child). Before, both tournaments could pick the same member (an
    # elite of two: always the better one), and every child copied it.
    make = getattr(optuna.samplers, sampler)
    study = optuna.create_study(directions=["minimize", "minimize"],
                                sampler=make(seed=seed, population_size=2, crossover_prob=1.0,
                                             mutation_prob=0.0))
    study.optimize(_objective, n_trials=4)
    parents = [t.params for t in study.trials[:2]]
    for child in (t.params for t in study.trials[2:]):
        assert all(child[n] in (parents[0][n], parents[1][n]) for n in NAMES)
        assert child != parents[0] and child != parents[1]
