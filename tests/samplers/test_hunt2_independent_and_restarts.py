"""CmaEsSampler and GPSampler take Optuna's independent_sampler (start-up trials and the
parameters the joint search leaves out are its), and CmaEsSampler Optuna's restart options."""

from __future__ import annotations

import warnings

import pytest

import nntune as optuna
from nntune.exceptions import ConfigError


class Recording(optuna.samplers.RandomSampler):
    """A RandomSampler that notes each parameter it is asked for."""

    def __init__(self) -> None:
        super().__init__(seed=5)
        self.asked: list[tuple[int, str]] = []

    def suggest_one(self, name, dist, history, *, number, direction="minimize"):  # type: ignore[no-untyped-def]
        self.asked.append((number, name))
        return super().suggest_one(name, dist, history, number=number, direction=direction)


def _objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    return x * x + (0.0 if act == "relu" else 1.0)


def test_independent_sampler_draws_startup_trials_and_choices() -> None:
    inner = Recording()
    sampler = optuna.samplers.CmaEsSampler(seed=0, n_startup_trials=3, independent_sampler=inner)
    study = optuna.create_study(sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(_objective, n_trials=8)
    asked = set(inner.asked)
    assert {(n, "x") for n in range(3)} <= asked  # the start-up trials are all its own
    assert {(n, "act") for n in range(8)} <= asked  # CMA-ES never searches a choice
    assert not {(n, "x") for n in range(4, 8)} & asked  # after start-up, x is CMA-ES's


def test_a_tpe_independent_sampler_is_reproducible() -> None:
    def run() -> list[dict[str, object]]:
        sampler = optuna.samplers.CmaEsSampler(seed=1, independent_sampler=optuna.samplers.TPESampler(seed=1))
        study = optuna.create_study(sampler=sampler)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.optimize(_objective, n_trials=6)
        return [t.params for t in study.trials]

    assert run() == run()


def test_gp_start_up_trials_are_the_independent_samplers() -> None:
    inner = Recording()
    sampler = optuna.samplers.GPSampler(seed=0, n_startup_trials=3, independent_sampler=inner)
    study = optuna.create_study(sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(lambda t: (t.suggest_float("x", -1.0, 1.0) - 0.2) ** 2, n_trials=5)
    assert {(n, "x") for n in range(3)} <= set(inner.asked)
    assert not {(n, "x") for n in range(3, 5)} & set(inner.asked)  # then the model's


def test_restart_strategy_is_ignored_with_a_future_warning_as_in_optuna() -> None:
    """Optuna (since 4.4) takes restart_strategy and inc_popsize and runs without restarts:
    a script passing them runs here too, with the same kind of warning."""
    with pytest.warns(FutureWarning, match="restart_strategy"):
        sampler = optuna.samplers.CmaEsSampler(seed=0, restart_strategy="ipop", inc_popsize=2)
    plain = optuna.samplers.CmaEsSampler(seed=0)

    def run(s: object) -> list[dict[str, object]]:
        study = optuna.create_study(sampler=s)
        study.optimize(lambda t: t.suggest_float("a", -1, 1) ** 2 + t.suggest_float("b", -1, 1) ** 2, n_trials=12)
        return [t.params for t in study.trials]

    assert run(sampler) == run(plain)
    with pytest.raises(ConfigError, match="restart_strategy"):
        optuna.samplers.CmaEsSampler(restart_strategy="ipopp")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optuna.samplers.CmaEsSampler(seed=0)  # no restart options: no warning
