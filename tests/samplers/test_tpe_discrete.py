"""Joint TPE on an integer axis: kernels stay wide enough to try the neighbours of a value."""

from __future__ import annotations

import statistics

import numpy as np

from nntune.samplers import TPESampler
from nntune.samplers._parzen import DISCRETE_MIN_STEPS, Layout, bandwidths
from nntune.space import Float, Int, Space
from nntune.study import create_study


def test_a_joint_kernel_on_an_integer_axis_spans_at_least_two_steps():
    layout = Layout.of(Space({"x": Float(-10, 10), "y": Int(-3, 3)}))
    agreeing = np.array([[0.50, 0.93], [0.52, 0.93], [0.49, 0.93], [0.51, 0.93]])  # every good trial has y = 2
    sigma, _ = bandwidths(agreeing, layout)
    assert sigma[1] >= DISCRETE_MIN_STEPS / 7  # 7 integers on the axis
    assert sigma[0] < DISCRETE_MIN_STEPS / 7  # the float axis still narrows on agreement
    one_axis, _ = bandwidths(agreeing[:, [1]], Layout.of(Space({"y": Int(-3, 3)})), min_share=1.0)
    assert one_axis[0] == 1.0 / 5  # one-parameter fits keep their own floor, 1 / (m + 1)


def toy(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -3, 3)
    return (x - 2) ** 2 + (y + 1) ** 2


def test_joint_tpe_does_not_lock_an_integer_on_the_first_good_value():
    # Before the floor, the good trials agreeing on a wrong y kept it: the median best of
    # ten seeds was 1.05 (y one off) and some seeds stayed at 4 or 9; Optuna's is 0.07.
    bests = []
    for seed in range(10):
        study = create_study(sampler=TPESampler(seed=seed, n_startup_trials=5, multivariate=True))
        study.optimize(toy, n_trials=30)
        bests.append(study.best_value)
    assert statistics.median(bests) < 0.5 and max(bests) < 1.5, bests
