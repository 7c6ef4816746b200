"""NSGA-II chooses each generation's parents as Optuna's ``NSGAIISampler`` does: once, from
the parents of the generation before it and that generation's complete trials (Optuna's
``select_parent``: its elite population selection over ``get_population(g - 1) +
get_parent_population(g - 1)``), by constrained domination, then crowding. Trials of the
generation being asked never move its parents; the choice is stored with the generation's
first trial and read back in a new process (test_nsga2_generations.py compares the
generations and parents with Optuna's on the same told history)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import nntune
from nntune.samplers import NSGAIISampler, _constraints, _nsga, _nsga2
from nntune.samplers._constraints import ConstrainedView
from nntune.samplers._nsga import ParetoView
from nntune.trial import FrozenTrial, TrialState

from tests.samplers._unruly import constraints_of as _constraints_of
from tests.samplers._unruly import values as _values

optuna = pytest.importorskip("optuna")
from optuna.samplers.nsgaii._elite_population_selection_strategy import (  # noqa: E402
    NSGAIIElitePopulationSelectionStrategy)

ROOT = Path(__file__).resolve().parents[2]


def _optuna_trial(trial: FrozenTrial) -> object:
    """``trial`` as Optuna's, with its values and constraint values."""
    attrs = {"constraints": trial.system_attrs["constraints"]} if "constraints" in trial.system_attrs else {}
    return optuna.trial.FrozenTrial(
        number=trial.number, trial_id=trial.number, state=optuna.trial.TrialState.COMPLETE, value=None,
        values=list(trial.values or []), datetime_start=None, datetime_complete=None, params={}, distributions={},
        user_attrs={}, system_attrs=attrs, intermediate_values={})


def optuna_parents(trials: Sequence[FrozenTrial], directions: Sequence[str], size: int, generation: int) -> list[int]:
    """The numbers of the parents Optuna's NSGA-II chooses for ``generation`` when the
    trials were sampled each after the ones before finished: each generation the next
    ``size`` complete trials (failed, pruned and diverged ones fill none), chosen by its
    elite selection over each generation's complete trials and then the parents before,
    each in number order (as Optuna's ``get_population`` and ``get_parent_population``
    list them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = optuna.create_study(directions=list(directions))
    choose = NSGAIIElitePopulationSelectionStrategy(population_size=size)
    complete = sorted((t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.number)
    parents: list[object] = []
    for g in range(1, generation + 1):
        population = [_optuna_trial(t) for t in complete[(g - 1) * size:g * size]]
        parents = sorted(choose(study, population + parents), key=lambda t: t.number)  # type: ignore[attr-defined]
    return [t.number for t in parents]  # type: ignore[attr-defined]


def _grid_trials(n: int, m: int, seed: int) -> list[FrozenTrial]:
    """Complete trials on a coarse grid of values (ties, repeats, an infinite value now and
    then), some infeasible, some failed, pruned or diverged."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        values = [float(v) for v in rng.integers(0, 6, m)]
        if i % 23 == 9:
            values[0] = math.inf
        attrs: dict[str, object] = {"values": values} if m > 1 else {}
        if i % 4 == 1:
            attrs["constraints"] = [float(rng.choice([-1.0, 0.0, 0.5, 1.0, 2.0]))]
        state = {6: TrialState.FAILED, 7: TrialState.PRUNED, 8: TrialState.DIVERGED}.get(i % 11, TrialState.COMPLETE)
        out.append(FrozenTrial(number=i, state=state, system_attrs=attrs,
                               value=values[0] if state == TrialState.COMPLETE else None))
    return out


@pytest.mark.parametrize("seed", range(60))
def test_the_choice_among_candidates_is_optunas(seed: int) -> None:
    # The same complete trials handed to Optuna's elite selection and to nntune's, in any
    # order: the same trials chosen, in the same order (ties at the cut fall alike).
    rng = np.random.default_rng(seed)
    m, n, size = int(rng.integers(1, 4)), int(rng.integers(2, 40)), int(rng.integers(2, 30))
    directions = [["minimize", "maximize"][int(rng.integers(2))] for _ in range(m)]
    trials = [t for t in _grid_trials(n, m, seed) if t.state == TrialState.COMPLETE]
    if seed % 2:
        for t in trials:
            t.system_attrs.pop("constraints", None)  # an unconstrained study
    order = [trials[int(i)] for i in rng.permutation(len(trials))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(directions=directions)
    want = [t.number for t in NSGAIIElitePopulationSelectionStrategy(population_size=size)(
        study, [_optuna_trial(t) for t in order])]
    picked, _ = _nsga2.select([_nsga2._facts(t) for t in order], directions, size)
    assert [order[i].number for i in picked] == want


@pytest.mark.parametrize("m", [1, 2, 3])
def test_the_parents_are_optunas_best_first(m: int) -> None:
    directions = ["minimize", "maximize", "minimize"][:m]
    trials = _grid_trials(400, m, m)
    seen = ConstrainedView(ParetoView(trials, directions) if m > 1 else trials, "minimize")
    # A history stored without generations (by an older nntune): each trial is given the
    # one it would have been sampled in had the trials before it finished in turn.
    got, ranks = NSGAIISampler(population_size=30, seed=0).elite(seen, 395, "minimize" if m > 1 else directions[0])
    generation = sum(t.state == TrialState.COMPLETE for t in trials[:395]) // 30
    assert sorted(t.number for t in got) == optuna_parents(trials, directions, 30, generation)
    assert ranks == sorted(ranks) and ranks[0] < 1.0  # the first front leads
    assert all(t is trials[t.number] for t in got)  # the trials as stored, not the views' copies


def test_each_generation_is_chosen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = _nsga2.select
    monkeypatch.setattr(_nsga2, "select", lambda *a: calls.append(1) or real(*a))
    study = nntune.create_study(directions=["minimize", "maximize"],
                                sampler=NSGAIISampler(population_size=10, seed=0))
    study.optimize(lambda t: _values(t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1),
                                     t.suggest_float("z", 0, 1))[:2], n_trials=100)
    assert len(calls) == 18  # generations 1 to 9, each chosen and its parents ranked at its first ask


def test_an_ask_builds_neither_view(monkeypatch: pytest.MonkeyPatch) -> None:
    # The views rank the whole history, the trials of the generation being asked included:
    # NSGA-II ranks its own candidates and never reads them.
    built: list[str] = []
    for module, name in ((_nsga, "pareto_view"), (_constraints, "constrained_view")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name: built.append(_name) or _real(*a))
    for directions in (["minimize", "maximize", "minimize"], ["maximize"]):
        study = nntune.create_study(directions=directions, sampler=NSGAIISampler(
            population_size=10, seed=0, constraints_func=_constraints_of))
        study.optimize(lambda t: _values(t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1),
                                         t.suggest_float("z", 0, 1))[:len(directions)], n_trials=40)
        first = {v for t in study.trials[:10] for v in t.params.values()}
        assert any(v in first for t in study.trials[10:] for v in t.params.values())  # bred, not drawn
    assert built == []


RESUME = """
import json, sys
import nntune
from nntune.samplers import NSGAIISampler
sys.path.insert(0, {tests!r})
from test_nsga2_parents import objective
study = nntune.load_study("s", {url!r}, sampler=NSGAIISampler(population_size=8, seed=4,
                                                             constraints_func=lambda t: [t.params["x"] - 0.7]))
study.optimize(objective, n_trials=30)
print(json.dumps([t.params for t in study.trials]))
"""


def objective(trial: nntune.Trial) -> tuple[float, float]:
    x, y, z = (trial.suggest_float(k, 0, 1) for k in "xyz")
    if trial.number % 9 == 4:
        raise nntune.TrialPruned()
    return tuple(_values(x, y, z)[:2])  # type: ignore[return-value]


def test_a_study_resumed_in_a_new_process_draws_as_an_unbroken_one(tmp_path: Path) -> None:
    def make() -> NSGAIISampler:
        return NSGAIISampler(population_size=8, seed=4, constraints_func=lambda t: [t.params["x"] - 0.7])

    whole = nntune.create_study(directions=["minimize", "maximize"], sampler=make())
    whole.optimize(objective, n_trials=60)
    url = f"sqlite:///{tmp_path / 's.db'}"
    part = nntune.create_study("s", url, directions=["minimize", "maximize"], sampler=make())
    part.optimize(objective, n_trials=30)
    script = RESUME.format(tests=str(Path(__file__).parent), url=url)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [t.params for t in whole.trials]
