"""Improvement evaluators: how much better than the best trial so far the study could
still get. Each is one method, ``evaluate(trials, study_direction) -> float``, in the
units of the study's value (the terminator compares it with an error in the same units),
except :class:`EMMREvaluator`, whose reading is standardized and is meant for
:class:`~nntune.terminator.MedianErrorEvaluator`."""

from __future__ import annotations

import abc
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nntune.analysis import complete_trials
from nntune.samplers._base import resolve_seed
from nntune.samplers._define_by_run import encode, snap
from nntune.samplers._gp import MIN_NOISE, Encoding, Posterior, _blas, fit_gp
from nntune.search_space import intersection_search_space
from nntune.space import Space
from nntune.terminator._bounds import confidence_beta, emmr, regret_bound, standardize, top_mask
from nntune.trial import FrozenTrial, TrialState

DEFAULT_TOP_TRIALS_RATIO = 0.5
DEFAULT_MIN_N_TRIALS = 20
POOL_SIZE = 2048  # random points of the space where the largest upper bound is looked for


class BaseImprovementEvaluator(abc.ABC):
    """How much the study's best value may still improve, from its trials."""

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        """The room left for improvement, given the study's ``trials`` (any states)."""


@dataclass(frozen=True)
class GPInputs:
    """The complete trials as a GP sees them: the space they share, their GP features and
    their values turned so that higher is better."""

    space: Space
    encoding: Encoding
    features: np.ndarray
    gains: np.ndarray

    @classmethod
    def of(cls, trials: Sequence[FrozenTrial], direction: str, evaluator: str) -> GPInputs:
        done = complete_trials(trials)
        if not done:
            raise ValueError(f"{evaluator}: no trial has completed yet, so there is no improvement to bound")
        shared = intersection_search_space(done)
        if not shared:
            raise ValueError(f"{evaluator}: the complete trials share no parameter (their intersection "
                             "search space is empty), so the regret cannot be modelled")
        space = Space(shared)
        enc = Encoding.of(space)
        sign = -1.0 if str(direction) == "minimize" else 1.0
        return cls(space, enc, enc.features(encode(space, done)), sign * np.array([t.value for t in done]))

    def pool(self, rng: np.random.Generator, size: int = POOL_SIZE) -> np.ndarray:
        """GP features of ``size`` random points of the space, on its grid."""
        return self.encoding.features(snap(self.space, rng.random((size, len(self.space)))))


def standardized_regret_bound(post: Posterior, features: np.ndarray, pool: np.ndarray, delta: float = 0.1) -> float:
    """:func:`regret_bound` of a fitted posterior over its trials' ``features`` and a pool."""
    beta = confidence_beta(features.shape[1], len(features), delta)
    return regret_bound(*post.predict(features), *post.predict(pool), beta)


class RegretBoundEvaluator(BaseImprovementEvaluator):
    """``RegretBoundEvaluator(top_trials_ratio=0.5, min_n_trials=20, seed=None)``: a high-
    probability upper bound on the regret of the best trial (how far the space's optimum
    may lie beyond it) under a Gaussian-process model of the better trials (Makarova et
    al., 2022). The GP is fitted on the best ``top_trials_ratio`` of the complete trials
    (at least ``min_n_trials``), standardized; the bound is scaled back to the value's
    units."""

    def __init__(self, top_trials_ratio: float = DEFAULT_TOP_TRIALS_RATIO,
                 min_n_trials: int = DEFAULT_MIN_N_TRIALS, seed: int | None = None) -> None:
        if not 0 < top_trials_ratio <= 1:
            raise ValueError(f"top_trials_ratio must be in (0, 1], got {top_trials_ratio}")
        if min_n_trials < 1:
            raise ValueError(f"min_n_trials must be >= 1, got {min_n_trials}")
        self._top_trials_ratio = top_trials_ratio
        self._min_n_trials = min_n_trials
        self._rng = np.random.default_rng(resolve_seed(seed))

    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        data = GPInputs.of(trials, study_direction, type(self).__name__)
        keep = top_mask(data.gains, self._top_trials_ratio, self._min_n_trials)
        y, spread = standardize(data.gains[keep])
        with _blas().limit(limits=1, user_api="blas"):
            post = fit_gp(data.features[keep], y, self._rng)
            bound = standardized_regret_bound(post, data.features[keep], data.pool(self._rng))
        return bound * spread


class BestValueStagnationEvaluator(BaseImprovementEvaluator):
    """``BestValueStagnationEvaluator(max_stagnation_trials=30)``: the trials left before
    the best value has not moved for ``max_stagnation_trials`` of them (0 or less:
    stagnant), counting complete trials, an infinite value's too (a value, as in Optuna),
    and diverged ones (a NaN, or a loss gone to inf or nan: a trial the best did not move
    in). Paired with an error of 0 by default."""

    def __init__(self, max_stagnation_trials: int = 30) -> None:
        if max_stagnation_trials < 0:
            raise ValueError(f"max_stagnation_trials must be >= 0, got {max_stagnation_trials}")
        self._max_stagnation_trials = max_stagnation_trials

    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        if not any(t.state == TrialState.COMPLETE and t.value is not None for t in trials):
            raise ValueError("BestValueStagnationEvaluator: no trial has completed yet")
        sign = -1.0 if str(study_direction) == "minimize" else 1.0
        steps = sorted((t for t in trials if t.state == TrialState.DIVERGED
                        or t.state == TrialState.COMPLETE and t.value is not None), key=lambda t: t.number)
        best_at, best = 0, -np.inf
        for i, t in enumerate(steps):
            if t.state == TrialState.COMPLETE and sign * float(t.value) > best:  # type: ignore[arg-type]
                best_at, best = i, sign * float(t.value)  # type: ignore[arg-type]
        return float(self._max_stagnation_trials - (len(steps) - 1 - best_at))


class EMMREvaluator(BaseImprovementEvaluator):
    """``EMMREvaluator(deterministic_objective=False, delta=0.1, min_n_trials=2, seed=None)``:
    how much the expected minimum model regret moved with the last complete trial
    (Ishibashi et al., 2023), from GP models fitted with and without it. Its reading is
    standardized, so its error is :class:`~nntune.terminator.MedianErrorEvaluator` paired
    with it (the terminator's default for it). With fewer than ``min_n_trials`` complete
    trials, or no shared parameter, it reads a huge value: never stop."""

    NEVER = 0.1 * np.finfo(float).max

    def __init__(self, deterministic_objective: bool = False, delta: float = 0.1, min_n_trials: int = 2,
                 seed: int | None = None) -> None:
        if not isinstance(min_n_trials, int) or min_n_trials <= 1:
            raise ValueError(f"min_n_trials must be an integer > 1, got {min_n_trials}")
        if not 0 < delta < 1:
            raise ValueError(f"delta must be in (0, 1), got {delta}")
        self._deterministic = deterministic_objective
        self._delta = delta
        self.min_n_trials = min_n_trials
        self._rng = np.random.default_rng(resolve_seed(seed))

    def evaluate(self, trials: list[FrozenTrial], study_direction: str) -> float:
        done = complete_trials(trials)
        if len(done) < self.min_n_trials:
            return self.NEVER
        if not intersection_search_space(done):
            warnings.warn("EMMREvaluator: the complete trials share no parameter; the study will not be "
                          "stopped by it", stacklevel=2)
            return self.NEVER
        data = GPInputs.of(done, study_direction, type(self).__name__)
        x, (y, _) = data.features, standardize(data.gains)
        with _blas().limit(limits=1, user_api="blas"):
            prev = fit_gp(x[:-1], y[:-1], self._rng, deterministic=self._deterministic)
            now = fit_gp(x, y, self._rng, deterministic=self._deterministic)
            best, prev_best = int(np.argmax(y)), int(np.argmax(y[:-1]))
            # Both points under the current model (the paper's KL term needs one prior).
            cov = now.covariance(x[[best, prev_best]])
            mu_now, _ = now.predict(x[[best, -1]])
            _, var_last = now.predict(x[-1:])
            mu_prev, _ = prev.predict(x[prev_best:prev_best + 1])
            kappa = standardized_regret_bound(prev, x[:-1], data.pool(self._rng), self._delta)
        return emmr(mu_prev_best=float(mu_prev[0]), mu_best=float(mu_now[0]), var_best=max(float(cov[0, 0]), 1e-12),
                    var_prev_best_now=max(float(cov[1, 1]), 1e-12), cov_best=float(cov[0, 1]),
                    mu_last=float(mu_now[1]), var_last=float(var_last[0]), y_last=float(y[-1]),
                    kappa_prev=kappa, noise_var=MIN_NOISE)
