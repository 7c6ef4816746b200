"""NSGA-III's generations are Optuna's, as NSGA-II's are: a trial's generation is stored
with it under NSGA-III's own key when it is sampled, counting complete trials only (a
failed or pruned trial fills no place), and each generation's parents are chosen once,
from the generation before and its parents, and stored by its first trial. Before, a
trial's generation was its number // population_size, so failed trials left generations
short and every trial of earlier generations was a candidate."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from nntune.samplers import NSGAIIISampler
from nntune.samplers._ga_generations import GENERATION_KEY, keys_of

from tests.samplers.test_nsga2_generations import _run, _run_optuna

optuna = pytest.importorskip("optuna")

SIZE = 4
KEY, PARENTS = keys_of("NSGAIIISampler")


@pytest.mark.parametrize("seed", range(3))
def test_generations_are_optunas_on_the_same_told_history(seed: int) -> None:
    theirs = _run_optuna(lambda: optuna.samplers.NSGAIIISampler(population_size=SIZE, seed=seed), seed)
    sampler = NSGAIIISampler(population_size=SIZE, seed=seed)
    ours = _run(nntune, sampler, seed)
    want = [t.system_attrs[KEY] for t in theirs.trials]
    assert [t.system_attrs[KEY] for t in ours.trials] == want
    assert max(want) >= 5 and all(GENERATION_KEY not in t.system_attrs for t in ours.trials)
    for g in range(1, max(want) + 1):
        parents = [t.number for t in sampler.select_parent(ours, g)]
        first = min(t.number for t in ours.trials if t.system_attrs[KEY] == g)
        assert ours.trials[first].system_attrs[PARENTS] == parents  # stored once, by the first
        before = {t.number for t in ours.trials if t.system_attrs[KEY] == g - 1 and t.state.name == "COMPLETE"}
        earlier = {t.number for t in sampler.select_parent(ours, g - 1)}
        assert set(parents) <= before | earlier and len(parents) == min(SIZE, len(before | earlier))


def test_a_resumed_study_reads_the_stored_parents_back(tmp_path: Any) -> None:
    # Trial 4 of generation 0 completes, the best of all, after generation 1 began: it
    # stays out of generation 1's parents, here and in a study loaded by a new sampler.
    url = f"sqlite:///{tmp_path / 's.db'}"
    directions = ["minimize"] * 3
    study = nntune.create_study("s", url, directions=directions, sampler=NSGAIIISampler(population_size=4, seed=0))
    trials = [study.ask() for _ in range(5)]
    for t in trials:
        t.suggest_float("x", 0, 1)
    for t in trials[:4]:
        study.tell(t, [1.0 + t.number, 4.0 - t.number, 1.0])
    fifth = study.ask()
    fifth.suggest_float("x", 0, 1)
    study.tell(trials[4], [-10.0, -10.0, -10.0])
    later = nntune.load_study("s", url, sampler=NSGAIIISampler(population_size=4, seed=0))
    assert [t.system_attrs[KEY] for t in later.trials] == [0, 0, 0, 0, 0, 1]
    assert later.trials[5].system_attrs[PARENTS] == [0, 1, 2, 3]
    assert [t.number for t in later.sampler.select_parent(later, 1)] == [0, 1, 2, 3]
