"""The constant liar's running trials count neither towards TPE's start-up trials nor
towards the size of its good group, as Optuna's (its pull request 4073): with four workers,
TPE left random search when complete and running trials together reached
n_startup_trials, its model built on three points nobody had measured."""

from __future__ import annotations

import pytest

import nntune
from nntune.samplers import TPESampler
from nntune.samplers._tpe import liars
from nntune.trial import TrialState


def draws_with_running(sampler: TPESampler, told: int, running: int) -> float:
    """``told`` trials told, ``running`` asked and drawn but not told: the next draw of x."""
    nntune.logging.set_verbosity(nntune.logging.ERROR)
    study = nntune.create_study(sampler=sampler)
    for _ in range(told):
        trial = study.ask()
        study.tell(trial, (trial.suggest_float("x", 0, 1) - 0.3) ** 2)
    for _ in range(running):
        study.ask().suggest_float("x", 0, 1)
    return study.ask().suggest_float("x", 0, 1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_running_trials_do_not_end_the_start_up(seed):
    # 8 told and 3 running against 10 start-up trials: still a start-up draw, which depends
    # only on the seed and the trial's number, so it is the draw the sampler makes without the liar.
    with_liar = draws_with_running(TPESampler(seed=seed, n_startup_trials=10), told=8, running=3)
    without = draws_with_running(TPESampler(seed=seed, n_startup_trials=10, constant_liar=False), told=8, running=3)
    assert with_liar == without
    # Once 10 are told, the model draws: not the start-up draw of that trial's number.
    assert draws_with_running(TPESampler(seed=seed, n_startup_trials=10), told=10, running=3) != \
        draws_with_running(TPESampler(seed=seed, n_startup_trials=100), told=10, running=3)


def test_the_liars_are_the_running_trials_with_parameters_once_one_is_complete():
    study = nntune.create_study()
    running = study.ask()
    running.suggest_float("x", 0, 1)
    study.ask()  # running, nothing drawn yet
    assert liars(study.trials) == frozenset()  # nothing complete: no value to lie with
    done = study.ask()
    study.tell(done, done.suggest_float("x", 0, 1))
    assert liars(study.trials) == {running.number}
    assert {t.number for t in study.trials if t.state == TrialState.RUNNING} == {running.number, 1}
