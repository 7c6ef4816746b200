"""The best k points under several objectives: whole fronts, then the hypervolume's greedy picks."""

from __future__ import annotations

import numpy as np

from nntune._pareto_subset import greedy_subset, pareto_best, reference_point


def test_the_reference_point_is_a_little_worse_than_the_worst_point() -> None:
    ref = reference_point(np.array([[1.0, -5.0, 0.0], [2.0, -6.0, 0.0]]))
    assert np.allclose(ref, [2.2, -4.5, 1e-12])


def test_whole_fronts_first_then_the_points_adding_the_most_hypervolume() -> None:
    # front 1: (0, 4), (1, 1), (4, 0); (2, 2) is behind (1, 1). Reference (4.4, 4.4): (1, 1)
    # alone covers 11.56, the corners 1.76 each; after it, each corner adds 0.4 (a tie:
    # the lower index).
    points = np.array([[0.0, 4.0], [1.0, 1.0], [4.0, 0.0], [2.0, 2.0]])
    assert greedy_subset(points[:3], 2) == [1, 0]
    assert pareto_best(points, 1) == [1]
    assert pareto_best(points, 2) == [1, 0]
    assert sorted(pareto_best(points, 3)) == [0, 1, 2]
    assert sorted(pareto_best(points, 4)) == [0, 1, 2, 3] and sorted(pareto_best(points, 9)) == [0, 1, 2, 3]


def test_a_larger_k_keeps_what_a_smaller_one_chose() -> None:
    rng = np.random.default_rng(0)
    points = rng.uniform(size=(40, 3))
    picks = [pareto_best(points, k) for k in range(1, 41)]
    for small, large in zip(picks, picks[1:]):
        assert set(small) <= set(large) and len(large) == len(small) + 1
