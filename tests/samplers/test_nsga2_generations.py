"""NSGA-II's generations, parents and tournaments are Optuna's: the same told history
(trials finishing out of order, failing, pruned, constraint values of -inf and +inf)
gives each trial the generation Optuna's ``NSGAIISampler`` stores with it and each
generation the parents Optuna stores for it; the tournament's winner is the one Optuna's
``_select_parent`` picks."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import nntune
from nntune.samplers import NSGAIISampler, is_feasible
from nntune.samplers._constraints import constrained_dominates, constraint_violation, violation
from nntune.samplers._ga_generations import GENERATION_KEY, PARENTS_KEY, assign_generations
from nntune.samplers._generational import duel_facts, tournament
from nntune.trial import FrozenTrial, TrialState, constraints_met

optuna = pytest.importorskip("optuna")
from optuna.samplers.nsgaii._constraints_evaluation import _constrained_dominates  # noqa: E402

SIZE = 4
DIRECTIONS = ["minimize", "maximize"]


def _outcome(number: int, seed: int) -> tuple[str, list[float], float]:
    """Trial ``number``'s end: its state, its values and its constraint value, a function
    of the number alone, so both libraries are told the same whatever they drew."""
    rng = np.random.default_rng([seed, number])
    state = "fail" if number % 7 == 3 else "pruned" if number % 11 == 5 else "complete"
    constraint = float(rng.choice([-math.inf, -1.0, 0.0, 0.3, 0.8, math.inf], p=[.1, .4, .1, .2, .15, .05]))
    return state, [float(v) for v in rng.random(2)], constraint


def _run(library: Any, sampler: Any, seed: int, n: int = 44) -> Any:
    """Ask ``n`` trials, up to three running at once, finishing one drawn at random now
    and then (the same schedule for both libraries)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = library.create_study(directions=DIRECTIONS, sampler=sampler)
    schedule = np.random.default_rng(seed)
    running: list[Any] = []
    asked = 0
    while asked < n or running:
        if running and (asked >= n or len(running) >= 3 or schedule.random() < 0.5):
            trial = running.pop(int(schedule.integers(len(running))))
            state, values, constraint = _outcome(trial.number, seed)
            if state == "fail":
                study.tell(trial, state=library.trial.TrialState.FAIL)
            elif state == "pruned":
                study.tell(trial, state=library.trial.TrialState.PRUNED)
            else:
                trial.set_constraint("c", constraint)
                study.tell(trial, values)
            continue
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        running.append(trial)
        asked += 1
    return study


def _run_optuna(make_sampler: Any, seed: int) -> Any:
    """:func:`_run` under Optuna with the sampler ``make_sampler()`` builds, its logging and
    experimental warnings (NSGA-III's, at construction) kept quiet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        return _run(optuna, make_sampler(), seed)


@pytest.mark.parametrize("seed", range(4))
def test_generations_and_parents_are_optunas_on_the_same_told_history(seed: int) -> None:
    theirs = _run_optuna(lambda: optuna.samplers.NSGAIISampler(population_size=SIZE, seed=seed), seed)
    sampler = NSGAIISampler(population_size=SIZE, seed=seed)
    ours = _run(nntune, sampler, seed)
    want = [t.system_attrs["NSGAIISampler:generation"] for t in theirs.trials]
    assert [t.system_attrs[GENERATION_KEY] for t in ours.trials] == want
    assert max(want) >= 5
    number_of = {t._trial_id: t.number for t in theirs.trials}
    attrs = theirs._storage.get_study_system_attrs(theirs._study_id)
    for g in range(1, max(want) + 1):
        their_parents = sorted(number_of[i] for i in attrs[f"NSGAIISampler:parent:{g}"])
        assert [t.number for t in sampler.select_parent(ours, g)] == their_parents, g
        first = min(t.number for t in ours.trials if t.system_attrs[GENERATION_KEY] == g)
        assert ours.trials[first].system_attrs[PARENTS_KEY] == their_parents  # stored once, by the first


def test_a_trial_without_a_stored_generation_gets_the_one_it_would_have_been_sampled_in() -> None:
    # (number, complete, stored): trials 0-5 as an older nntune stored them (no generation),
    # two of them failed; then 6 with a stored generation, and 7, the trial being sampled.
    trials = [(0, True, None), (1, False, None), (2, True, None), (3, True, None), (4, False, None),
              (5, True, None), (6, True, 1), (7, False, None)]
    generations, asked = assign_generations(trials, 3, 7)
    assert generations == [0, 0, 0, 0, 1, 1, 1, 1] and asked == 1  # failed trials fill no generation
    assert assign_generations(trials + [(8, True, None)], 3, 9)[1] == 2  # 5, 6, 8 complete generation 1


def test_a_late_trial_of_the_generation_before_never_moves_the_parents(tmp_path: Any) -> None:
    # Generation 1 starts while trial 4 still runs; once it completes, the first best of
    # all, it stays out of generation 1's parents, here and in a new process (the sampler
    # a fresh one reading the same storage), as in Optuna.
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study("s", url, directions=["minimize"], sampler=NSGAIISampler(population_size=4, seed=0))
    trials = [study.ask() for _ in range(5)]
    for t in trials:
        t.suggest_float("x", 0, 1)
    for t in trials[:4]:
        study.tell(t, 1.0 + t.number)
    fifth = study.ask()  # generation 1: its parents are 0-3
    fifth.suggest_float("x", 0, 1)
    study.tell(trials[4], -10.0)
    later = nntune.load_study("s", url, sampler=NSGAIISampler(population_size=4, seed=0))
    assert [t.system_attrs[GENERATION_KEY] for t in later.trials] == [0, 0, 0, 0, 0, 1]
    assert [t.number for t in later.sampler.select_parent(later, 1)] == [0, 1, 2, 3]
    assert later.trials[5].system_attrs[PARENTS_KEY] == [0, 1, 2, 3]


def _optuna_trial(values: list[float], constraint: float | None) -> Any:
    attrs = {} if constraint is None else {"constraints:c": constraint}
    return optuna.trial.create_trial(values=values, system_attrs=attrs)


def test_constrained_domination_and_the_tournament_are_optunas_on_infinite_constraint_values() -> None:
    rng = np.random.default_rng(0)
    picks = [-math.inf, -1.0, 0.0, 0.5, 2.0, math.inf, None]
    pool = []
    for i in range(40):
        values = [float(v) for v in rng.integers(0, 3, 2)]  # ties and equal points too
        constraint = picks[int(rng.integers(len(picks)))]
        attrs = {} if constraint is None else {"constraints:c": constraint}
        ours = FrozenTrial(number=i, state=TrialState.COMPLETE, values=values, system_attrs=attrs)
        pool.append((duel_facts(ours, DIRECTIONS), _optuna_trial(values, constraint)))
    for a, their_a in pool:
        for b, their_b in pool:
            assert constrained_dominates(a, b) == _constrained_dominates(
                their_a, their_b, [optuna.study.StudyDirection.MINIMIZE, optuna.study.StudyDirection.MAXIMIZE])
    # The tournament: the first drawn wins when it constrained-dominates the second, else the second.
    draws = np.random.default_rng(1)
    for _ in range(200):
        before = draws.bit_generator.state
        won = tournament(list(range(len(pool))), lambda i, j: constrained_dominates(pool[i][0], pool[j][0]), draws)
        draws.bit_generator.state = before
        i, j = (int(k) for k in draws.integers(len(pool), size=2))
        assert won == (i if _constrained_dominates(pool[i][1], pool[j][1], [
            optuna.study.StudyDirection.MINIMIZE, optuna.study.StudyDirection.MAXIMIZE]) else j)


def test_feasibility_reads_constraint_values_as_optuna() -> None:
    assert constraints_met([-math.inf, 0.0]) and not constraints_met([math.inf]) and not constraints_met([math.nan])
    assert constraint_violation([-math.inf, 0.5, 1.0]) == 1.5  # -inf adds nothing (it was infinite before)
    assert constraint_violation([math.inf, -1.0]) == math.inf and constraint_violation([math.nan]) == math.inf


@pytest.mark.parametrize("library", [nntune, optuna])
def test_a_constraint_of_minus_infinity_is_met_by_the_study_as_by_every_sampler(library) -> None:
    """One rule for the whole study: the best trial, the Pareto front and the samplers' views
    take -inf as met, as Optuna does everywhere (the study once wanted finite values)."""
    study = library.create_study(directions=["minimize"])
    for value, constraint in ((1.0, -math.inf), (0.5, 1.0)):
        trial = study.ask()
        trial.set_constraint("c", constraint)
        study.tell(trial, value)
    assert study.best_trial.number == 0 and [t.number for t in study.best_trials] == [0]
    if library is nntune:
        first = study.trials[0]
        assert is_feasible(first) and violation(first) == 0.0
