"""CMA-ES resumes its replay of the history after the generations that the last ask
replayed and that are still the same, and suggests exactly what a sampler replaying
everything suggests."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import nntune
from nntune.samplers import CmaEsSampler
from nntune.samplers import _cmaes
from nntune.samplers._base import trial_rng
from nntune.samplers._define_by_run import rank_key
from nntune.space import Float, Space
from nntune.trial import FrozenTrial, TrialState


def _objective(trial: nntune.Trial) -> float:
    x = trial.suggest_float("x", -3, 3)
    y = trial.suggest_float("y", 1e-3, 1, log=True)
    return (x - 1) ** 2 + np.log10(y) ** 2


def test_resumed_replay_suggests_what_a_full_replay_suggests() -> None:
    study = nntune.create_study(sampler=CmaEsSampler(seed=3, popsize=4))
    study.optimize(_objective, n_trials=40)
    trials = study.get_trials(deepcopy=False)
    fresh = nntune.create_study(sampler=CmaEsSampler(seed=3, popsize=4))
    for t in trials:
        fresh.add_trial(t)
    kept = study.sampler
    for _ in range(6):  # the same next trials: one sampler resumes, the other replays from scratch
        fresh.sampler = CmaEsSampler(seed=3, popsize=4)
        a, b = study.ask(), fresh.ask()
        assert a.params == b.params and a.number == b.number
        study.tell(a, _objective(a))
        fresh.tell(b, _objective(b))
    assert study.sampler is kept


SPACE = Space({"x": Float(0, 1), "y": Float(0, 1)})


def _history(n: int, seed: int = 0) -> list[FrozenTrial]:
    rng = np.random.default_rng(seed)
    return [FrozenTrial(number=i, state=TrialState.COMPLETE, params={"x": float(a), "y": float(b)},
                        distributions=dict(SPACE.params), value=float(v))
            for i, (a, b, v) in enumerate(rng.random((n, 3)))]


def _replayed_from_scratch(history: list[FrozenTrial], number: int, direction: str = "minimize",
                           seed: int = 1, popsize: int = 4) -> dict[str, float]:
    """What CmaEsSampler(seed, popsize) suggests over SPACE by the definition: :func:`_cmaes.replay`
    of every full generation, each trial's loss its rank under ``rank_key``."""
    counted = sorted((t for t in history if rank_key(t, direction, consider_pruned=False) is not None),
                     key=lambda t: t.number)
    keys = [rank_key(t, direction, consider_pruned=False) for t in counted]
    losses = np.empty(len(keys))
    losses[sorted(range(len(keys)), key=lambda i: keys[i])] = np.arange(len(keys))
    points = np.array([SPACE.to_unit(t.params) for t in counted])
    sigma0 = CmaEsSampler(seed=seed, popsize=popsize).sigma0
    state = _cmaes.replay(points, losses, np.full(2, 0.5), sigma0, _cmaes.Strategy.of(2, popsize))
    return SPACE.from_unit(_cmaes.sample(state, trial_rng(seed, number, 17)))


@pytest.mark.parametrize(("n", "direction"), [(7, "minimize"), (40, "minimize"), (43, "maximize")])
def test_a_suggestion_is_the_full_replay_s(n: int, direction: str) -> None:
    history = _history(n)
    history[5] = FrozenTrial(number=5, state=TrialState.FAILED)  # not counted: shifts the generations
    assert CmaEsSampler(seed=1, popsize=4).suggest(SPACE, history, number=n, direction=direction) == \
        _replayed_from_scratch(history, n, direction)


def _counting_updates(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    updates: list[int] = []
    real = _cmaes.update
    monkeypatch.setattr(_cmaes, "update", lambda *a: updates.append(1) or real(*a))
    return updates


def test_an_ask_replays_only_the_new_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    sampler = CmaEsSampler(seed=1, popsize=4)
    history = _history(44)
    sampler.suggest(SPACE, history[:40], number=40)
    updates = _counting_updates(monkeypatch)
    resumed = sampler.suggest(SPACE, history, number=44)
    assert len(updates) == 1
    assert resumed == _replayed_from_scratch(history, 44)


def test_a_trial_that_finished_late_replays_from_its_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    sampler = CmaEsSampler(seed=1, popsize=4)
    history = _history(40)
    running = [t if t.number != 29 else FrozenTrial(number=29, state=TrialState.RUNNING) for t in history]
    sampler.suggest(SPACE, running, number=40)  # 39 counted: trial 29 is not yet among them
    updates = _counting_updates(monkeypatch)
    resumed = sampler.suggest(SPACE, history, number=41)
    assert len(updates) == 10 - 29 // 4  # generations 7, 8 and 9 changed; 0 to 6 are kept
    assert resumed == _replayed_from_scratch(history, 41)


def test_a_changed_setting_or_history_replays_from_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    sampler = CmaEsSampler(seed=1, popsize=4)
    history = _history(40)
    sampler.suggest(SPACE, history, number=40)
    expected = _replayed_from_scratch(history, 41, "maximize")
    updates = _counting_updates(monkeypatch)
    assert sampler.suggest(SPACE, history, number=41, direction="maximize") == expected
    assert len(updates) == 10
    other = _history(40, seed=1)
    assert sampler.suggest(SPACE, other, number=40) == _replayed_from_scratch(other, 40)


def test_the_sampler_pickles_without_its_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    sampler = CmaEsSampler(seed=1, popsize=4)
    history = _history(40)
    first = sampler.suggest(SPACE, history, number=40)
    shipped = pickle.dumps(sampler)
    assert len(shipped) < 2 * len(pickle.dumps(CmaEsSampler(seed=1, popsize=4)))  # no marks, no states
    copy = pickle.loads(shipped)
    updates = _counting_updates(monkeypatch)
    assert copy.suggest(SPACE, history, number=40) == first
    assert len(updates) == 10  # the copy replays every generation: it resumed from nothing
