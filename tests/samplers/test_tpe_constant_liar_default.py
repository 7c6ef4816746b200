"""``TPESampler()`` tells the trials still running as the worst value seen unless told
not to, as Optuna's does: a script's own TPE, asked for a batch of trials (ask-and-tell,
threads, workers), steers away from points already being tried."""

from __future__ import annotations

import inspect

import pytest

import nntune
from nntune.samplers import TPESampler


def second_draw_of_a_batch(sampler: TPESampler) -> tuple[float, float]:
    """Three trials told, then two asked before either is told: the two draws of x."""
    nntune.logging.set_verbosity(nntune.logging.ERROR)
    study = nntune.create_study(sampler=sampler)
    for _ in range(3):
        trial = study.ask()
        study.tell(trial, (trial.suggest_float("x", 0, 1) - 0.3) ** 2)
    first = study.ask()
    x_first = first.suggest_float("x", 0, 1)
    return x_first, study.ask().suggest_float("x", 0, 1)


def test_the_constant_liar_is_on_unless_turned_off():
    assert TPESampler().constant_liar is True
    # Seed 5: without the liar the second trial is drawn right beside the first one.
    default = second_draw_of_a_batch(TPESampler(seed=5, n_startup_trials=3))
    assert default == second_draw_of_a_batch(TPESampler(seed=5, n_startup_trials=3, constant_liar=True))
    no_liar = second_draw_of_a_batch(TPESampler(seed=5, n_startup_trials=3, constant_liar=False))
    assert abs(no_liar[1] - no_liar[0]) < 0.05 < abs(default[1] - default[0])
    # What differs from the sampler's own defaults is what its repr names.
    assert "constant_liar" not in repr(TPESampler(seed=0))
    assert repr(TPESampler(seed=0, constant_liar=False)).endswith(", constant_liar=False)")


def test_the_default_is_optunas():
    optuna = pytest.importorskip("optuna")
    theirs = inspect.signature(optuna.samplers.TPESampler).parameters["constant_liar"].default
    assert inspect.signature(TPESampler).parameters["constant_liar"].default == theirs
