"""NSGA-III chooses its elite from the trials as stored, not from the views a study hands
its sampler (each complete trial scored by the non-dominated sorting, infeasible ones
ranked last): it reads values, feasibility and violation, which the views leave as they
are, so building them at every ask was work thrown away. The elite stays the one the views
give, at every ask of a study whose trials finish late, fail or are pruned."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

import nntune
from nntune.samplers import NSGAIIISampler, _constraints, _nsga
from nntune.samplers._nsga import stored_trials
from nntune.samplers._constraints import ConstrainedView
from nntune.samplers._nsga import ParetoView
from nntune.trial import FrozenTrial, TrialState

from tests.samplers._unruly import constraints_of as _constraints_of
from tests.samplers._unruly import finish_one
from tests.samplers._unruly import values as _values

DIRECTIONS = ["minimize", "maximize", "minimize"]


class Listed(list):  # type: ignore[type-arg]
    """Trials as a plain list (nothing to look through) that still carries the objectives'
    directions, as the study's views do."""

    def __init__(self, trials: Sequence[FrozenTrial], directions: Sequence[str]) -> None:
        super().__init__(trials)
        self.directions = list(directions)


def test_an_ask_builds_neither_view(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    for module, name in ((_nsga, "pareto_view"), (_constraints, "constrained_view")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name: built.append(_name) or _real(*a))
    study = nntune.create_study(directions=DIRECTIONS, sampler=NSGAIIISampler(
        population_size=10, seed=0, constraints_func=_constraints_of))
    study.optimize(lambda t: _values(t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1),
                                     t.suggest_float("z", 0, 1)), n_trials=40)
    assert built == []
    # It bred children all the same: they inherit their parents' genes, which random draws never repeat.
    first = {v for t in study.trials[:10] for v in t.params.values()}
    assert any(v in first for t in study.trials[10:] for v in t.params.values())


def test_the_stored_trials_are_found_under_both_views() -> None:
    trials = [FrozenTrial(number=0, state=TrialState.RUNNING)]
    assert stored_trials(ConstrainedView(ParetoView(trials, DIRECTIONS), "minimize")) is trials
    assert stored_trials(ConstrainedView(trials, "minimize")) is trials
    assert stored_trials(trials) is trials


@pytest.mark.parametrize("m", [2, 3])
def test_the_elite_is_the_views_at_every_ask_with_late_failed_and_pruned_trials(m: int) -> None:
    directions = DIRECTIONS[:m]
    sampler = NSGAIIISampler(population_size=8, seed=1, constraints_func=_constraints_of)
    study = nntune.create_study(directions=directions, sampler=sampler)
    rng = np.random.default_rng(m)
    running: list[nntune.Trial] = []
    checked = 0
    while len(study.trials) < 160:
        if running and rng.random() < 0.5:  # a trial of any earlier ask finishes now
            finish_one(study, running, rng, m)
            continue
        history = study.get_trials(deepcopy=False)
        number = len(history)
        seen, direction = study.sampler_view(history)
        # The views' own trials, listed: the elite chosen from them as NSGA-III chose it
        # before, by a sampler with nothing remembered.
        want = NSGAIIISampler(population_size=8, seed=1).elite(Listed(list(seen), directions), number, direction)
        got = sampler.elite(seen, number, direction)
        assert [t.number for t in got[0]] == [t.number for t in want[0]] and got[1] == want[1], number
        checked += bool(want[0])
        trial = study.ask()
        for k in "xyz":
            trial.suggest_float(k, 0, 1)
        running.append(trial)
    assert checked > 100

