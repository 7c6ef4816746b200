"""Pareto fronts of two objectives are found without the n x n dominance matrix, and are the
fronts that peeling the matrix gives (ties, repeated points and infinities included); a
study's Pareto front is found without comparing every pair of trials in Python."""

from __future__ import annotations

import numpy as np
import pytest

from nntune import trial as nntune_trial
from nntune.samplers import _nsga
from nntune.samplers._nsga import dominance, nondominated_fronts, pareto_trials
from nntune.trial import FrozenTrial, TrialState, pareto_front


def _peeled(points: np.ndarray) -> list[list[int]]:
    """Fronts by definition: the rows no remaining row dominates, removed front by front."""
    beats, left, fronts = dominance(points), set(range(len(points))), []
    while left:
        front = sorted(i for i in left if not any(beats[j, i] for j in left))
        fronts.append(front)
        left -= set(front)
    return fronts


@pytest.mark.parametrize("seed", range(20))
def test_two_objectives_give_the_defined_fronts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 120))
    points = rng.integers(0, 6, size=(n, 2)).astype(float)  # a small grid: many ties and repeats
    if seed % 3 == 0:
        points[rng.random(n) < 0.1, int(rng.integers(2))] = np.inf
    assert nondominated_fronts(points) == _peeled(points)


def test_two_objectives_build_no_dominance_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(points: np.ndarray, block: int = 256) -> np.ndarray:
        raise AssertionError("the n x n matrix was built")
    monkeypatch.setattr(_nsga, "dominance", refused)
    points = np.random.default_rng(0).random((2000, 2))
    fronts = nondominated_fronts(points)
    assert sorted(i for f in fronts for i in f) == list(range(2000))
    three = np.random.default_rng(1).random((5, 3))
    with pytest.raises(AssertionError, match="matrix"):
        nondominated_fronts(three)


def _trials(values: np.ndarray) -> list[FrozenTrial]:
    states = [TrialState.COMPLETE] * len(values)
    states[1::7] = [TrialState.PRUNED] * len(states[1::7])
    return [FrozenTrial(number=i, state=s, value=float(v[0]), system_attrs={"values": [float(x) for x in v]})
            for i, (s, v) in enumerate(zip(states, values))]


@pytest.mark.parametrize("directions", [["minimize", "maximize"], ["maximize", "minimize", "minimize"]])
@pytest.mark.parametrize("seed", range(6))
def test_pareto_trials_are_the_defined_front(directions: list[str], seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 5, size=(int(rng.integers(1, 90)), len(directions))).astype(float)
    values[rng.random(len(values)) < 0.05, 0] = np.nan
    trials = _trials(values)
    assert pareto_trials(trials, directions) == pareto_front(trials, directions)


def test_a_studys_front_is_not_found_by_comparing_every_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """Best trials, the report's front and the dashboard's take pareto_trials: comparing
    each trial with every other (trial.dominates) took minutes on a front of thousands."""
    import nntune
    from nntune.dashboard.live import LiveStudy
    from nntune.report.study_data import front_data

    study = nntune.create_study(directions=["minimize", "minimize"])
    x = np.linspace(0, 1, 300)
    for a in x:  # every trial on the front
        study.add_trial(nntune.create_trial(params={}, distributions={}, values=[float(a), float(1 - a)]))

    def refused(*args: object) -> bool:
        raise AssertionError("every pair compared")
    monkeypatch.setattr(nntune_trial, "dominates", refused)
    assert len(study.best_trials) == 300
    trials = study.get_trials(deepcopy=False)
    assert len(front_data(trials, ["minimize", "minimize"], None, [])["rows"]) == 300
    live = LiveStudy(study.storage, study.storage.load_study(study.study_name))
    live.refresh(force=True)
    assert live.front() == list(range(300))
