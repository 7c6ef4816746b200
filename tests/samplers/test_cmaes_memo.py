"""CMA-ES resumes its replay of the history from the generations it replayed at the last
ask, and suggests exactly what a sampler replaying everything suggests."""

from __future__ import annotations

import numpy as np

import nntune
from nntune.samplers import CmaEsSampler
from nntune.samplers import _cmaes


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
    assert fresh.sampler._memo == {}
    kept = study.sampler
    for _ in range(6):  # the same next trials: one sampler resumes, the other replays from scratch
        fresh.sampler = CmaEsSampler(seed=3, popsize=4)
        a, b = study.ask(), fresh.ask()
        assert a.params == b.params and a.number == b.number
        study.tell(a, _objective(a))
        fresh.tell(b, _objective(b))
    assert study.sampler is kept


def test_replay_updates_only_new_generations(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    points, losses = rng.random((40, 2)), rng.random(40)
    strategy = _cmaes.Strategy.of(2, 4)
    x0 = np.full(2, 0.5)
    memo: dict[bytes, _cmaes.State] = {}
    whole = _cmaes.replay(points, losses, x0, 0.2, strategy, memo)
    updates = []
    real = _cmaes.update
    monkeypatch.setattr(_cmaes, "update", lambda *a: updates.append(1) or real(*a))
    more_points, more_losses = np.vstack([points, rng.random((4, 2))]), np.concatenate([losses, rng.random(4)])
    resumed = _cmaes.replay(more_points, more_losses, x0, 0.2, strategy, memo)
    assert len(updates) == 1 and len(memo) <= _cmaes.MAX_MEMO
    scratch = _cmaes.replay(more_points, more_losses, x0, 0.2, strategy)
    assert np.array_equal(resumed.cov, scratch.cov) and np.array_equal(resumed.mean, scratch.mean)
    assert np.array_equal(_cmaes.replay(points, losses, x0, 0.2, strategy, memo).cov, whole.cov)
