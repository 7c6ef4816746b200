"""The hypervolume: worked examples, a Monte Carlo estimate, and its history."""

from __future__ import annotations

import numpy as np
import pytest

from nntune._hypervolume import hypervolume, hypervolume_history, nondominated


def test_worked_examples():
    assert hypervolume(np.array([[1, 2], [2, 1]]), np.array([3, 3])) == 3.0  # 2 + 2 - 1 overlap
    assert hypervolume(np.array([[0, 0, 1], [1, 1, 0]]), np.array([2, 2, 2])) == 5.0  # 4 + 2 - 1
    assert hypervolume(np.array([[1.0]]), np.array([4.0])) == 3.0
    # Points not below the reference in every objective, and dominated ones, add nothing.
    assert hypervolume(np.array([[1, 2], [2, 1], [2.5, 2.5], [1, 5]]), np.array([3, 3])) == 3.0
    assert hypervolume(np.empty((0, 2)), np.array([1, 1])) == 0.0


def test_agrees_with_a_monte_carlo_estimate_in_four_objectives():
    rng = np.random.default_rng(0)
    points = rng.random((8, 4))
    samples = rng.random((200_000, 4))
    covered = np.any(np.all(samples[:, None, :] >= points[None], axis=2), axis=1).mean()
    assert hypervolume(points, np.ones(4)) == pytest.approx(covered, abs=0.005)


def test_nondominated_and_the_history():
    pts = np.array([[1, 3], [2, 2], [3, 1], [2, 3], [2, 2]])
    assert nondominated(pts).tolist() == [[1, 3], [2, 2], [3, 1]]
    history = hypervolume_history([[3, 3], [1, 3], [2, 2], [2.5, 2.5], [3, 1]], np.array([4, 4]))
    assert history == [1.0, 3.0, 5.0, 5.0, 6.0] and all(b >= a for a, b in zip(history, history[1:]))
