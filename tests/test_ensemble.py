"""Ensembles: averaging and Caruana's greedy selection."""

import numpy as np
import pytest

from nntune.ensemble import accuracy, average, greedy_selection, log_loss, member_weights, top_k_curve


def test_average_and_weights():
    a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    assert np.allclose(average([a, b]), [[0.5, 0.5]])
    assert np.allclose(average([a, b], [3, 1]), [[0.75, 0.25]])
    with pytest.raises(ValueError):
        average([])
    with pytest.raises(ValueError):
        average([a, b], [1, -1])


def test_averaging_fixes_errors_the_members_make_apart():
    y = np.array([0, 1, 2])
    # Each model is confidently wrong on one different sample; the average is right on all.
    m1 = np.array([[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    m2 = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]])
    m3 = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1]])
    assert [accuracy(m, y) for m in (m1, m2, m3)] == pytest.approx([2 / 3] * 3)
    assert top_k_curve([m1, m2, m3], y, accuracy)[-1] == 1.0
    assert log_loss(average([m1, m2, m3]), y) < min(log_loss(m, y) for m in (m1, m2, m3))


def test_greedy_selection_prefers_the_helpful_models():
    y = np.array([0, 1])
    good = np.array([[0.9, 0.1], [0.2, 0.8]])
    bad = np.array([[0.1, 0.9], [0.9, 0.1]])
    picked = greedy_selection([bad, good], y, lambda p, t: -log_loss(p, t), rounds=3)
    assert picked == [1, 1, 1]
    assert member_weights(picked, 2) == [0.0, 3.0]
    with pytest.raises(ValueError):
        greedy_selection([good], y, accuracy, rounds=0)
