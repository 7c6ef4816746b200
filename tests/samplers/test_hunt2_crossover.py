"""NSGA-II and NSGA-III take Optuna's ``crossover=`` (``nntune.samplers.nsgaii``)."""

from __future__ import annotations

import numpy as np
import pytest

import nntune as optuna
from nntune.exceptions import ConfigError

CROSSOVERS = ["UniformCrossover", "BLXAlphaCrossover", "SBXCrossover", "VSBXCrossover", "SPXCrossover",
              "UNDXCrossover"]


def _objective(trial: optuna.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 1.0)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    units = trial.suggest_int("units", 8, 64, step=8)
    act = trial.suggest_categorical("act", ["relu", None, True])
    return x + lr, 1.0 - x + units / 64 + (0.0 if act == "relu" else 0.1)


def _params(sampler_factory: object, n: int = 24) -> list[dict[str, object]]:
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler_factory())  # type: ignore[operator]
    study.optimize(_objective, n_trials=n)
    return [t.params for t in study.trials]


@pytest.mark.parametrize("name", CROSSOVERS)
@pytest.mark.parametrize("sampler", ["NSGAIISampler", "NSGAIIISampler"])
def test_each_crossover_runs_in_range_and_repeats_with_the_seed(name: str, sampler: str) -> None:
    def make() -> object:
        crossover = getattr(optuna.samplers.nsgaii, name)()
        return getattr(optuna.samplers, sampler)(seed=3, population_size=6, crossover=crossover)

    first, again = _params(make), _params(make)
    assert first == again
    for p in first:
        assert 0.0 <= p["x"] <= 1.0 and 1e-4 <= p["lr"] <= 1e-1
        assert p["units"] in range(8, 65, 8) and p["act"] in ("relu", None, True)


def test_blend_crossover_makes_values_no_parent_had() -> None:
    """BLX-alpha draws between (and beyond) the parents: the children after the first
    generation are not copies of earlier values, as the uniform crossover's mostly are."""
    def make() -> object:
        return optuna.samplers.NSGAIISampler(seed=0, population_size=4, mutation_prob=0.0,
                                             crossover=optuna.samplers.nsgaii.BLXAlphaCrossover())

    study = optuna.create_study(directions=["minimize", "minimize"], sampler=make())
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("x", 0, 1)), n_trials=12)
    first = {t.params["x"] for t in study.trials[:4]}
    later = [t.params["x"] for t in study.trials[4:]]
    assert sum(x not in first for x in later) >= 6


def test_a_crossover_written_for_optuna_is_called_with_parents_and_bounds() -> None:
    seen: list[tuple[tuple[int, ...], tuple[int, ...], bool]] = []

    class Midpoint(optuna.samplers.nsgaii.BaseCrossover):
        n_parents = 2

        def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: object,
                      search_space_bounds: np.ndarray) -> np.ndarray:
            rng.rand()  # Optuna's RandomState interface
            seen.append((parents_params.shape, search_space_bounds.shape, study._is_multi_objective()))  # type: ignore[attr-defined]
            return parents_params.mean(axis=0)

    study = optuna.create_study(sampler=optuna.samplers.NSGAIISampler(seed=1, population_size=4, crossover=Midpoint(),
                                                                      crossover_prob=1.0))
    study.optimize(lambda t: t.suggest_float("a", 0, 1) + t.suggest_int("b", 0, 3)
                   + len(t.suggest_categorical("c", ["p", "qq"])), n_trials=10)
    assert seen and all(s == ((2, 2), (2, 2), False) for s in seen)  # the choice is crossed apart


def test_bad_crossovers_are_one_line_errors() -> None:
    nsgaii = optuna.samplers.nsgaii
    with pytest.raises(ConfigError, match="crossover"):
        optuna.samplers.NSGAIISampler(crossover="sbx")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="call it"):
        optuna.samplers.NSGAIISampler(crossover=nsgaii.SBXCrossover)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="population_size"):
        optuna.samplers.NSGAIISampler(population_size=2, crossover=nsgaii.SPXCrossover())
    with pytest.raises(ConfigError, match="swapping_prob"):
        nsgaii.UniformCrossover(1.5)
    with pytest.raises(ConfigError, match="eta"):
        nsgaii.SBXCrossover(eta=-1)
    with pytest.raises(ConfigError, match="use_child_gene_prob"):
        nsgaii.VSBXCrossover(use_child_gene_prob=0.0)


def test_polynomial_mutation_moves_a_parameter_near_its_value() -> None:
    """With every parameter mutated and no crossover, a child of PolynomialMutation (eta
    large) stays near an elite member's value, where a mutation by a fresh draw lands anywhere."""
    def children(mutation: object) -> list[float]:
        sampler = optuna.samplers.NSGAIISampler(seed=2, population_size=4, mutation=mutation, mutation_prob=1.0,
                                                crossover_prob=0.0)
        study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("x", 0, 1)), n_trials=16)
        first = [t.params["x"] for t in study.trials[:4]]
        return [min(abs(t.params["x"] - f) for f in first) for t in study.trials[4:8]]

    near = children(optuna.samplers.nsgaii.PolynomialMutation(eta=200.0))
    assert max(near) < 0.05
    with pytest.raises(ConfigError, match="mutation"):
        optuna.samplers.NSGAIIISampler(mutation="polynomial")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="eta"):
        optuna.samplers.nsgaii.PolynomialMutation(eta=-1.0)
