"""The caches that keep the asks of CMA-ES, NSGA-II, NSGA-III and multi-objective TPE cheap
on large studies: what a finished trial contributes is derived once per trial object, a
Pareto view keeps the copies whose score did not move, the fronts and crowding distances
are computed without a loop per front, and NSGA-III chooses each generation's elite once
(NSGA-II's: ``test_nsga2_parents.py``). Each gives exactly what the plain computation gives."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nntune.samplers import NSGAIIISampler, TPESampler
from nntune.samplers import _define_by_run, _nsga, _nsga3
from nntune.samplers._constraints import ConstrainedView
from nntune.samplers._nsga import ParetoView, crowding_by_front, crowding_distance, front_ids, pareto_view
from nntune.samplers._trial_memo import ScoredCopies, TrialMemo, with_value
from nntune.space import Float, Space
from nntune.trial import FrozenTrial, TrialState

SPACE = Space({"x": Float(0, 1), "y": Float(0, 1)})


def _trials(n: int, m: int = 2, seed: int = 0) -> list[FrozenTrial]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        values = [float(v) for v in rng.integers(0, 8, m)]  # a coarse grid: ties and repeats
        attrs = {"values": values} if m > 1 else {}
        if i % 9 == 4:
            attrs["constraints"] = [1.0]  # infeasible
        state = TrialState.FAILED if i % 11 == 6 else TrialState.COMPLETE
        out.append(FrozenTrial(number=i, state=state, params={"x": float(rng.random()), "y": float(rng.random())},
                               distributions=dict(SPACE.params), system_attrs=attrs,
                               value=values[0] if state == TrialState.COMPLETE else None))
    return out


def test_a_memo_derives_once_per_finished_trial_object() -> None:
    calls: list[int] = []
    memo = TrialMemo(lambda t: calls.append(t.number) or t.number * 2, limit=4)
    done, running = FrozenTrial(number=1, state=TrialState.COMPLETE), FrozenTrial(number=2, state=TrialState.RUNNING)
    assert [memo(done), memo(done), memo(running), memo(running)] == [2, 2, 4, 4]
    assert calls == [1, 2, 2]  # a running trial may still change: derived each time
    memo(dataclasses.replace(done))  # an equal trial, but another object (another version)
    assert calls == [1, 2, 2, 1]
    for i in range(10):
        memo(FrozenTrial(number=i, state=TrialState.COMPLETE))
    assert len(memo) <= 4


def test_a_copy_with_a_value_is_replace_and_is_kept_while_the_value_holds() -> None:
    trial = _trials(1)[0]
    assert with_value(trial, 0.25) == dataclasses.replace(trial, value=0.25)
    copies = ScoredCopies()
    first = copies(trial, 0.25)
    assert copies(trial, 0.25) is first and copies(trial, 0.5) is not first
    assert copies(trial, 0.5).value == 0.5 and trial.value != 0.5


def _reference_view(history: list[FrozenTrial], directions: list[str]) -> list[FrozenTrial]:
    """pareto_view written plainly: a replace per trial, crowding per front."""
    from nntune.samplers._constraints import is_feasible

    done = [i for i, t in enumerate(history) if _nsga.is_scored(t, len(directions)) and is_feasible(t)]
    points = _nsga.minimized([history[i] for i in done], directions)
    scores = np.zeros(len(done))
    for rank, front in enumerate(_nsga.nondominated_fronts(points)):
        scores[front] = rank + 0.5 / (1.0 + crowding_distance(points[front]))
    out = list(history)
    for i, s in zip(done, scores):
        out[i] = dataclasses.replace(history[i], value=float(s))
    return out


@pytest.mark.parametrize("m", [2, 3])
def test_a_pareto_view_is_the_plain_one_and_keeps_unmoved_copies(m: int) -> None:
    history = _trials(300, m)
    directions = ["minimize", "maximize", "minimize"][:m]
    first = pareto_view(history, directions)
    assert first == _reference_view(history, directions)
    again = pareto_view(history, directions)
    assert all(a is b for a, b in zip(first, again))
    grown = history + _trials(1, m, seed=5)
    grown[-1].number = 300
    third = pareto_view(grown, directions)
    assert third == _reference_view(grown, directions)
    kept = sum(a is b for a, b in zip(first, third))
    assert kept > len(first) // 2  # one more trial moves few scores


@pytest.mark.parametrize("seed", range(10))
def test_crowding_of_all_fronts_at_once_is_crowding_per_front(seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 5, size=(int(rng.integers(1, 150)), 2 + seed % 2)).astype(float)
    if seed % 3 == 0:
        points[rng.random(len(points)) < 0.1, 0] = np.inf
    ids = front_ids(points)
    expected = np.zeros(len(points))
    for front in _grouped(ids):
        with np.errstate(invalid="ignore"):
            expected[front] = crowding_distance(points[front])
    assert np.array_equal(crowding_by_front(points, ids), expected, equal_nan=True)


def _grouped(ids: np.ndarray) -> list[list[int]]:
    return [list(np.flatnonzero(ids == k)) for k in range(int(ids.max()) + 1)] if len(ids) else []


def test_nsga3_chooses_each_generation_s_elite_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = _nsga3.survivors
    monkeypatch.setattr(_nsga3, "survivors", lambda *a: calls.append(1) or real(*a))
    history = _trials(100, 3)
    running = [t if t.number != 51 else FrozenTrial(number=51, state=TrialState.RUNNING) for t in history]
    sampler = NSGAIIISampler(population_size=20, seed=0)
    directions = ["minimize"] * 3
    first = sampler.elite(ParetoView(running, directions), 100, "minimize")
    chosen = len(calls)  # once for each of generations 1-4 (trial 100's), chained as Optuna's
    assert chosen == sampler.generation(ParetoView(running, directions), 100) == 4
    asking = FrozenTrial(number=100, state=TrialState.RUNNING)
    assert sampler.elite(ParetoView([*running, asking], directions), 101, "minimize") == first
    assert len(calls) == chosen  # the next trial of the generation: nothing chosen again
    finished = sampler.elite(ParetoView([*history, asking], directions), 101, "minimize")  # 51 finished since
    assert len(calls) > chosen
    assert finished == NSGAIIISampler(population_size=20, seed=0).elite(ParetoView([*history, asking], directions),
                                                                      101, "minimize")


def test_multi_objective_tpe_ranks_its_view_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a Pareto view went through the incremental ranking")
    monkeypatch.setattr(_define_by_run.RankCache, "ranked", refused)
    view = ConstrainedView(ParetoView(_trials(60), ["minimize", "minimize"]), "minimize")
    params = TPESampler(seed=0).suggest(SPACE, view, number=60)
    assert set(params) == {"x", "y"}


def test_a_memo_keeps_no_trial_alive() -> None:
    import gc
    import weakref

    memo = TrialMemo(lambda t: t.number)
    trial = FrozenTrial(number=3, state=TrialState.COMPLETE)
    alive = weakref.ref(trial)
    assert memo(trial) == 3
    del trial
    gc.collect()
    assert alive() is None and len(memo) == 0  # its entry went with it
    other = FrozenTrial(number=4, state=TrialState.COMPLETE)  # may take the freed id
    assert memo(other) == 4
