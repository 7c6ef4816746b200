"""Random versus grid search, as the notes argue it (note 001: "don't use a grid")."""

from __future__ import annotations

import statistics

import numpy as np

import nntune
from nntune import Float, Space
from nntune.samplers import GridSampler, RandomSampler

# Two hyperparameters, only the first of which matters (alpha against epsilon in the notes).
SPACE = Space({"alpha": Float(0.0, 1.0), "epsilon": Float(0.0, 1.0)})


def tried(sampler, n: int = 25, target: float = 0.5) -> nntune.Study:
    study = nntune.create_study(sampler=sampler, space=SPACE)
    study.optimize(lambda t: (t.suggest_space(SPACE)["alpha"] - target) ** 2, n_trials=n)
    return study


def test_25_random_trials_try_25_values_of_the_important_parameter_a_5x5_grid_tries_5():
    random_alphas = {t.params["alpha"] for t in tried(RandomSampler(seed=0)).trials}
    grid_study = tried(GridSampler(points=5, seed=0))
    grid_alphas = {t.params["alpha"] for t in grid_study.trials}
    assert len(random_alphas) == 25
    assert len(grid_alphas) == 5
    # The grid did run 25 distinct configurations: it spent 20 of them on epsilon.
    assert len({(t.params["alpha"], t.params["epsilon"]) for t in grid_study.trials}) == 25


def test_so_random_search_gets_closer_to_the_best_value_of_the_important_parameter():
    rng = np.random.default_rng(0)
    targets = rng.random(15)
    rand = [tried(RandomSampler(seed=i), target=a).best_value for i, a in enumerate(targets)]
    grid = [tried(GridSampler(points=5, seed=i), target=a).best_value for i, a in enumerate(targets)]
    assert statistics.median(rand) < statistics.median(grid) / 3


def test_random_sampler_is_deterministic_and_independent_of_the_history():
    a = [t.params for t in tried(RandomSampler(seed=3), n=8).trials]
    assert a == [t.params for t in tried(RandomSampler(seed=3), n=8).trials]
    assert a != [t.params for t in tried(RandomSampler(seed=4), n=8).trials]
    # Trial 7's parameters do not depend on what trials 0..6 returned.
    s = RandomSampler(seed=3)
    assert s.suggest(SPACE, [], number=7) == a[7]


def test_grid_tries_every_combination_once_then_stops():
    study = nntune.create_study(sampler=GridSampler(points=3, seed=0), space=SPACE)
    study.optimize(lambda t: sum(t.suggest_space(SPACE).values()), n_trials=50)
    combos = [(t.params["alpha"], t.params["epsilon"]) for t in study.trials]
    assert len(combos) == 9 == len(set(combos))
    assert {a for a, _ in combos} == {0.0, 0.5, 1.0}


def test_keyed_uniform_is_uniform_and_independent_across_keys() -> None:
    from scipy import stats

    from nntune.samplers._base import keyed_uniform

    assert keyed_uniform(0, 5, 7) == keyed_uniform(0, 5, 7)
    grid = np.array([[keyed_uniform(3, n, salt) for salt in range(4)] for n in range(3000)])
    assert ((grid >= 0) & (grid < 1)).all()
    for column in grid.T:  # each parameter's draws over trials
        assert stats.kstest(column, "uniform").pvalue > 1e-3
    # Neighbouring trials and parameters are uncorrelated.
    assert abs(np.corrcoef(grid[:-1, 0], grid[1:, 0])[0, 1]) < 0.06
    assert np.abs(np.corrcoef(grid.T)[np.triu_indices(4, 1)]).max() < 0.06
    other_seed = np.array([keyed_uniform(4, n, 0) for n in range(3000)])
    assert abs(np.corrcoef(grid[:, 0], other_seed)[0, 1]) < 0.06


def test_grid_points_of_concurrent_askers_differ_by_their_numbers():
    """Two workers asking before either stored its point see the same history; each takes
    its own slot, so they do not share a point."""
    from nntune.samplers._grid import GRID_TRIAL, pending_before, pick_point
    from nntune.trial import FrozenTrial, TrialState

    grid = [{"x": i} for i in range(6)]
    mark = {GRID_TRIAL: True}  # each was handed its point by the grid
    history = [FrozenTrial(number=0, state=TrialState.COMPLETE, params={"x": 0}, value=1.0, system_attrs=mark),
               FrozenTrial(number=1, state=TrialState.RUNNING, params={"x": 1}, system_attrs=mark),
               FrozenTrial(number=2, state=TrialState.RUNNING, system_attrs=mark),  # claimed, point not stored yet
               FrozenTrial(number=3, state=TrialState.RUNNING, system_attrs=mark)]
    unused = grid[2:]
    assert [pending_before(history, n, {"x"}) for n in (2, 3)] == [0, 1]
    assert pick_point(grid, unused, 2, 0) == {"x": 2} and pick_point(grid, unused, 3, 1) == {"x": 3}
    assert pick_point(grid, [], 9) == grid[3]  # all used: its slot again


def test_a_trial_claimed_and_not_yet_marked_keeps_its_grid_point(tmp_path):
    """Two processes on one study: the first claims its trial, the second asks before the
    first's grid has marked it. The second leaves the first the point it will take."""
    import nntune
    from nntune.samplers import GridSampler

    storage = f"sqlite:///{tmp_path / 'g.db'}"
    grid = {"x": [1, 2, 3, 4]}
    first = nntune.create_study(study_name="g", storage=storage, sampler=GridSampler(grid, seed=0))
    second = nntune.load_study(study_name="g", storage=storage, sampler=GridSampler(grid, seed=0))
    claimed = first.storage.claim_trial(first.id)  # first's ask, stopped between claim and mark
    theirs = second.ask()  # its point chosen, stored at its first suggest
    ours = first._start(claimed, None)
    assert ours.suggest_categorical("x", grid["x"]) != theirs.suggest_categorical("x", grid["x"])


def test_an_enqueued_trial_running_without_its_point_is_not_pending():
    from nntune.samplers._grid import pending_before
    from nntune.trial import FrozenTrial, TrialState

    history = [FrozenTrial(number=0, state=TrialState.RUNNING, system_attrs={"fixed_params": {"y": 1}}),
               FrozenTrial(number=1, state=TrialState.RUNNING)]  # claimed, not marked yet
    assert pending_before(history, 2, {"x"}) == 1
