"""The terminator's evaluators on constructed trials and on real studies."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nntune
from nntune import Float
from nntune.terminator import (AutoErrorEvaluator, BaseImprovementEvaluator, BestValueStagnationEvaluator,
                               CrossValidationErrorEvaluator, CurveNoiseErrorEvaluator, EMMREvaluator,
                               MedianErrorEvaluator, RegretBoundEvaluator, SplitNoiseErrorEvaluator,
                               StaticErrorEvaluator, report_cross_validation_scores)
from nntune.trial import TrialState, create_trial

X = {"x": Float(-5.0, 5.0)}


def done(values, curves=None, cv=None):
    """Complete trials numbered in order, each with x = its index / 10."""
    out = []
    for i, v in enumerate(values):
        t = create_trial(value=v, params={"x": round(-5 + i * 0.37 % 10, 3)}, distributions=X,
                         intermediate_values=(curves or {}).get(i),
                         system_attrs={"terminator:cv_scores": cv[i]} if cv and i in cv else None)
        t.number = i
        out.append(t)
    return out


def quadratic_study(n: int, scale: float = 1.0, direction: str = "maximize", seed: int = 0) -> nntune.Study:
    study = nntune.create_study(direction=direction, sampler=nntune.samplers.RandomSampler(seed=seed))
    sign = 1.0 if direction == "maximize" else -1.0
    study.optimize(lambda t: sign * scale * -(t.suggest_float("x", -5, 5) - 1.0) ** 2, n_trials=n)
    return study


def test_cross_validation_error_is_the_corrected_standard_error_of_the_best_trials_folds():
    scores = [0.8, 0.9, 0.85, 0.95, 0.9]
    trials = done([0.5, 0.88, 0.7], cv={1: scores, 2: [0.7, 0.7]})
    expected = math.sqrt((1 / 5 + 1 / 4) * np.var(scores))
    assert CrossValidationErrorEvaluator().evaluate(trials, "maximize") == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"best trial \(0\) reported no cross-validation scores.*report_cross_"):
        CrossValidationErrorEvaluator().evaluate(trials, "minimize")


def test_report_cross_validation_scores_stores_them_and_refuses_one_score():
    study = nntune.create_study(direction="maximize")

    def objective(trial):
        scores = np.array([0.7, 0.8, trial.suggest_float("x", 0.7, 0.9)])
        report_cross_validation_scores(trial, scores)
        return float(scores.mean())

    study.optimize(objective, n_trials=2)
    assert len(study.trials[0].system_attrs["terminator:cv_scores"]) == 3
    trial = study.ask()
    with pytest.raises(ValueError, match="scores: needs at least two"):
        report_cross_validation_scores(trial, [0.9])
    with pytest.raises(ValueError, match="finite"):
        report_cross_validation_scores(trial, [0.9, float("nan")])


def test_static_error_and_the_stagnation_count():
    assert StaticErrorEvaluator(0.25).evaluate([], "maximize") == 0.25
    values = [0.1, 0.3, 0.2, 0.5, 0.4, 0.4, 0.1]  # best (0.5) at index 3, three trials since
    assert BestValueStagnationEvaluator(10).evaluate(done(values), "maximize") == 7
    # Minimizing, 0.1 comes first and last: only a strictly better value resets the count.
    assert BestValueStagnationEvaluator(10).evaluate(done(values), "minimize") == 4
    with pytest.raises(ValueError, match="max_stagnation_trials"):
        BestValueStagnationEvaluator(-1)
    with pytest.raises(ValueError, match="no trial has completed"):
        BestValueStagnationEvaluator().evaluate([], "maximize")


class CountTrials(BaseImprovementEvaluator):
    """A user's evaluator: reads the number of trials it is given."""

    def __init__(self) -> None:
        self.calls = 0

    def evaluate(self, trials, study_direction):
        self.calls += 1
        return float(len(trials))


def test_median_error_is_a_share_of_the_early_readings_median_fixed_once_known():
    paired = CountTrials()
    median = MedianErrorEvaluator(paired, warm_up_trials=3, n_initial_trials=5, threshold_ratio=0.1)
    assert median.evaluate(done([0.1] * 7), "maximize") < 0  # 3 + 5 needed: never stop yet
    assert median.evaluate(done([0.1] * 8), "maximize") == pytest.approx(0.3)  # readings 1..5, median 3
    assert paired.calls == 5
    assert median.evaluate(done([0.1] * 30), "maximize") == pytest.approx(0.3) and paired.calls == 5
    for bad, match in [({"warm_up_trials": -1}, "warm_up_trials"), ({"n_initial_trials": 0}, "n_initial_trials"),
                       ({"threshold_ratio": 0.0}, "threshold_ratio")]:
        with pytest.raises(ValueError, match=match):
            MedianErrorEvaluator(paired, **bad)


def test_split_noise_is_the_binomial_error_of_the_best_accuracy():
    assert SplitNoiseErrorEvaluator(100).evaluate(done([0.5, 0.9]), "maximize") == pytest.approx(0.03)
    with pytest.raises(ValueError, match="not a proportion"):
        SplitNoiseErrorEvaluator(100).evaluate(done([2.5]), "maximize")
    with pytest.raises(ValueError, match="n_samples"):
        SplitNoiseErrorEvaluator(0)


def test_curve_noise_reads_the_best_curves_jitter_around_their_trend():
    s = 0.01
    jittery = {e: 0.5 + 0.02 * e + s * (-1) ** e for e in range(1, 11)}  # second differences +-4s
    calm = {e: 0.2 + 0.01 * e for e in range(1, 11)}
    trials = done([0.7, 0.3], curves={0: jittery, 1: calm})
    assert CurveNoiseErrorEvaluator(top_trials=1).evaluate(trials, "maximize") == pytest.approx(
        1.4826 * 4 * s / math.sqrt(6))
    assert CurveNoiseErrorEvaluator(top_trials=1).evaluate(trials, "minimize") == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="too few steps.*trial.report"):
        CurveNoiseErrorEvaluator().evaluate(done([0.7], curves={0: {1: 0.5, 2: 0.6}}), "maximize")


def test_auto_error_takes_cross_validation_then_the_split_then_the_curves():
    curve = {e: 0.5 + 0.02 * e + 0.01 * (-1) ** e for e in range(1, 11)}
    with_cv = done([0.9, 0.5], curves={0: curve}, cv={0: [0.8, 1.0]})
    auto = AutoErrorEvaluator(n_samples=100, metric="accuracy")
    assert auto.evaluate(with_cv, "maximize") == pytest.approx(math.sqrt(1.5 * 0.01)) and "cross-validation" in auto.source
    plain = done([0.9, 0.5], curves={0: curve})
    assert auto.evaluate(plain, "maximize") == pytest.approx(0.03) and "100 samples" in auto.source
    by_curve = AutoErrorEvaluator(n_samples=100, metric="f1")  # the binomial error is an accuracy's only
    assert by_curve.evaluate(plain, "maximize") == pytest.approx(1.4826 * 0.04 / math.sqrt(6))
    assert "curves" in by_curve.source
    with pytest.raises(ValueError, match="no error to compare with.*StaticErrorEvaluator"):
        AutoErrorEvaluator().evaluate(done([0.9]), "maximize")


def test_regret_bound_is_in_the_values_units_and_either_direction():
    base = RegretBoundEvaluator(seed=1).evaluate(quadratic_study(25).trials, "maximize")
    scaled = RegretBoundEvaluator(seed=1).evaluate(quadratic_study(25, scale=1000.0).trials, "maximize")
    turned = RegretBoundEvaluator(seed=1).evaluate(quadratic_study(25, direction="minimize").trials, "minimize")
    assert base > 0 and scaled == pytest.approx(1000 * base, rel=1e-4) and turned == pytest.approx(base, rel=1e-4)


def test_regret_bound_falls_as_a_smooth_objective_is_explored():
    study = quadratic_study(60)
    early = RegretBoundEvaluator(seed=0).evaluate(study.trials[:8], "maximize")
    late = RegretBoundEvaluator(seed=0).evaluate(study.trials, "maximize")
    assert late < 0.2 * early


def test_regret_bound_refuses_what_it_cannot_model():
    with pytest.raises(ValueError, match="no trial has completed"):
        RegretBoundEvaluator().evaluate([], "maximize")
    a = create_trial(value=1.0, params={"x": 1.0}, distributions=X)
    b = create_trial(value=2.0, params={"y": 1.0}, distributions={"y": Float(0, 2)})
    with pytest.raises(ValueError, match="intersection search space is empty"):
        RegretBoundEvaluator().evaluate([a, b], "maximize")
    with pytest.raises(ValueError, match="top_trials_ratio"):
        RegretBoundEvaluator(top_trials_ratio=0)


def test_emmr_reads_never_stop_until_it_can_and_a_finite_gap_after():
    study = quadratic_study(30)
    assert EMMREvaluator(min_n_trials=5).evaluate(study.trials[:4], "maximize") > 1e300
    gap = EMMREvaluator(seed=0).evaluate(study.trials, "maximize")
    assert math.isfinite(gap) and gap > 0
    assert EMMREvaluator(seed=0).evaluate(study.trials, "maximize") == gap  # seeded
    with pytest.raises(ValueError, match="min_n_trials"):
        EMMREvaluator(min_n_trials=1)
    pruned = [t for t in study.trials if t.state == TrialState.COMPLETE][:3]
    with pytest.warns(UserWarning, match="share no parameter"):
        b = create_trial(value=2.0, params={"y": 1.0}, distributions={"y": Float(0, 2)})
        assert EMMREvaluator().evaluate([*pruned, b], "maximize") > 1e300
