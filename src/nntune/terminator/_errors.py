"""Error evaluators: how much of the best trial's value is noise, in the value's units.
The terminator stops a study once the room left for improvement falls below it: past
that point a better trial could not be told from a luckier one.

Optuna's three (cross-validation scores, a constant, a share of the improvement's early
median) and nntune's own for neural networks, whose value comes from one training run on
one validation split rather than from folds: the validation split's sampling error
(:class:`SplitNoiseErrorEvaluator`), the epoch-to-epoch jitter of the best trials' learning
curves (:class:`CurveNoiseErrorEvaluator`), and :class:`AutoErrorEvaluator`, which takes
the first of these a study can give.
"""

from __future__ import annotations

import abc
import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from nntune.noise import PROPORTION_METRICS, binomial_se
from nntune.schedulers._robust import epoch_noise
from nntune.analysis import complete_trials
from nntune.terminator._improvement import BaseImprovementEvaluator
from nntune.trial import FrozenTrial, best_trial, ranked

CV_SCORES_KEY = "terminator:cv_scores"  # Optuna's key, so trials reported either way read alike
# MedianErrorEvaluator's error before its median is known, as Optuna's: below every reading
# (readings are never negative), so nothing stops yet.
NO_ERROR_YET = -sys.float_info.min


class BaseErrorEvaluator(abc.ABC):
    """The statistical error of the study's best value, from its trials."""

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        """The error, given the study's ``trials`` (any states)."""


def best_complete(trials: Sequence[FrozenTrial], direction: str, evaluator: str) -> FrozenTrial:
    """The best complete trial, as the study ranks them (:func:`nntune.trial.best_trial`)."""
    best = best_trial(complete_trials(trials), direction)  # type: ignore[arg-type]
    if best is None:
        raise ValueError(f"{evaluator}: no trial has completed yet")
    return best


def report_cross_validation_scores(trial: Any, scores: Sequence[float]) -> None:
    """Store a trial's cross-validation ``scores`` (at least two) for
    :class:`CrossValidationErrorEvaluator`; call it in the objective, before returning."""
    values = [float(s) for s in np.asarray(scores, dtype=float).ravel()]
    if len(values) <= 1:
        raise ValueError(f"scores: needs at least two cross-validation scores, got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError("scores: every cross-validation score must be finite")
    trial.set_system_attr(CV_SCORES_KEY, values)


def cv_error(scores: Sequence[float]) -> float:
    """The standard error of a k-fold mean, corrected for the folds' overlap (Nadeau and
    Bengio, 2003): ``sqrt((1/k + 1/(k-1)) var(scores))``."""
    k = len(scores)
    return float(math.sqrt((1.0 / k + 1.0 / (k - 1)) * float(np.var(scores))))


class CrossValidationErrorEvaluator(BaseErrorEvaluator):
    """The best trial's cross-validation error, from the scores it reported with
    :func:`report_cross_validation_scores`."""

    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        best = best_complete(trials, study_direction, type(self).__name__)
        scores = best.system_attrs.get(CV_SCORES_KEY)
        if not scores:
            raise ValueError(f"CrossValidationErrorEvaluator: the best trial ({best.number}) reported no "
                             "cross-validation scores; call report_cross_validation_scores(trial, scores) "
                             "in the objective")
        return cv_error(scores)


class StaticErrorEvaluator(BaseErrorEvaluator):
    """``StaticErrorEvaluator(constant)``: the same error whatever the trials: stop once the
    improvement left is below a threshold you choose."""

    def __init__(self, constant: float) -> None:
        self._constant = float(constant)

    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        return self._constant


class MedianErrorEvaluator(BaseErrorEvaluator):
    """``MedianErrorEvaluator(paired_improvement_evaluator, warm_up_trials=10,
    n_initial_trials=20, threshold_ratio=0.01)``: ``threshold_ratio`` times the median of
    the paired evaluator's first ``n_initial_trials`` readings after ``warm_up_trials``
    (the random start). Fixed once computed; until then an error below any reading."""

    def __init__(self, paired_improvement_evaluator: BaseImprovementEvaluator, warm_up_trials: int = 10,
                 n_initial_trials: int = 20, threshold_ratio: float = 0.01) -> None:
        if warm_up_trials < 0:
            raise ValueError(f"warm_up_trials must be >= 0, got {warm_up_trials}")
        if n_initial_trials <= 0:
            raise ValueError(f"n_initial_trials must be >= 1, got {n_initial_trials}")
        if not (threshold_ratio > 0 and math.isfinite(threshold_ratio)):
            raise ValueError(f"threshold_ratio must be a positive number, got {threshold_ratio}")
        self._paired = paired_improvement_evaluator
        self._warm_up_trials = warm_up_trials
        self._n_initial_trials = n_initial_trials
        self._threshold_ratio = threshold_ratio
        self._threshold: float | None = None

    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        if self._threshold is not None:
            return self._threshold
        done = complete_trials(trials)  # in number order
        if len(done) < self._warm_up_trials + self._n_initial_trials:
            return NO_ERROR_YET
        start = self._warm_up_trials
        readings = sorted(self._paired.evaluate(done[start:start + i], study_direction)
                          for i in range(1, self._n_initial_trials + 1))
        self._threshold = min(sys.float_info.max, readings[len(readings) // 2] * self._threshold_ratio)
        return self._threshold


class SplitNoiseErrorEvaluator(BaseErrorEvaluator):
    """``SplitNoiseErrorEvaluator(n_samples)``: the sampling error of the best trial's
    accuracy on a validation split of ``n_samples``, ``sqrt(p (1 - p) / n)``: the notes'
    point that a difference smaller than this is the split's, not the model's."""

    def __init__(self, n_samples: int) -> None:
        if not isinstance(n_samples, int) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        self.n_samples = n_samples

    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        best = best_complete(trials, study_direction, type(self).__name__)
        se = binomial_se(float(best.value), self.n_samples)  # type: ignore[arg-type]
        if math.isnan(se):
            raise ValueError(f"SplitNoiseErrorEvaluator: the best value {best.value} is not a proportion "
                             "(an accuracy between 0 and 1)")
        return se


class CurveNoiseErrorEvaluator(BaseErrorEvaluator):
    """``CurveNoiseErrorEvaluator(top_trials=5)``: the epoch-to-epoch noise of the best
    ``top_trials`` complete trials' learning curves (their reported intermediate values):
    the spread of a curve's second differences, scaled to one epoch's noise (the estimate
    ASHA's noise margin uses). How much the best value would move had training stopped
    one epoch sooner or later: a better trial within it may just have ended luckier."""

    def __init__(self, top_trials: int = 5) -> None:
        if top_trials < 1:
            raise ValueError(f"top_trials must be >= 1, got {top_trials}")
        self.top_trials = top_trials

    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        curves = [t.intermediate_values for t in ranked(complete_trials(trials), study_direction)[:self.top_trials]]
        noise = epoch_noise(curves)
        if noise is None:
            raise ValueError("CurveNoiseErrorEvaluator: the best trials reported too few steps to read their "
                             "noise (at least three consecutive reports are needed; call trial.report each epoch)")
        return noise


class AutoErrorEvaluator(BaseErrorEvaluator):
    """``AutoErrorEvaluator(n_samples=None, metric=None)``: the first error the study can
    give, in this order: the best trial's cross-validation scores; the validation split's
    sampling error when the value is an accuracy on ``n_samples``; the best curves' epoch
    noise. ``source`` says which the last reading used."""

    def __init__(self, n_samples: int | None = None, metric: str | None = None) -> None:
        self.n_samples = n_samples
        self.metric = metric
        self.source: str | None = None

    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        best = best_complete(trials, study_direction, type(self).__name__)
        if best.system_attrs.get(CV_SCORES_KEY):
            self.source = "the best trial's cross-validation scores"
            return CrossValidationErrorEvaluator().evaluate(trials, study_direction)
        if self.n_samples and self.metric in PROPORTION_METRICS:
            self.source = f"the validation split's sampling error ({self.n_samples} samples)"
            return SplitNoiseErrorEvaluator(self.n_samples).evaluate(trials, study_direction)
        try:
            value = CurveNoiseErrorEvaluator().evaluate(trials, study_direction)
        except ValueError:
            raise ValueError("the terminator has no error to compare with: report cross-validation scores "
                             "(report_cross_validation_scores), report each epoch (trial.report) so the curves' "
                             "noise can be read, or pass error_evaluator=StaticErrorEvaluator(...)") from None
        self.source = "the epoch-to-epoch noise of the best trials' curves"
        return value
