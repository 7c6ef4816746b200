"""``OptunaSearchCV``: scikit-learn's search estimator over a study, by Optuna's names.

``OptunaSearchCV(estimator, param_distributions, n_trials=10, cv=5, ...)`` is a drop-in for
scikit-learn's ``RandomizedSearchCV`` (and a skorch ``NeuralNetClassifier`` is a scikit-learn
estimator): each trial draws the parameters from ``param_distributions`` (nntune's or
Optuna's distributions) with the study's sampler, cross-validates the estimator so
configured, and is worth its mean test score (maximized; ``scoring`` as scikit-learn takes
it). Each trial keeps scikit-learn's ``cv_results_`` columns as user attributes
(``split0_test_score``, ``mean_test_score``, ``std_fit_time``, ...) and its scores for the
terminator (:func:`~nntune.terminator.report_cross_validation_scores`), so
``TerminatorCallback`` can end the search. With ``enable_pruning`` an estimator that has
``partial_fit`` is trained ``max_iter`` rounds, each fold by one more call, the folds' mean
score reported after each round (a fold that fails is worth ``error_score``, as in
``cross_validate``), and the study's scheduler stops trials early. Afterwards
``best_estimator_`` (refit on all the data), ``best_params_``, ``best_score_``,
``study_``, ``trials_`` and ``cv_results_`` read as scikit-learn's do, and ``predict``,
``predict_proba``, ``score``, ... go to the best estimator.
"""

from __future__ import annotations

import inspect
import math
import time
import warnings
from copy import deepcopy
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv, cross_validate
from sklearn.utils import check_random_state, indexable
from sklearn.utils.metaestimators import _safe_split

from nntune.distributions import own_distribution
from nntune.exceptions import ConfigError, TrialPruned
from nntune.trial import FrozenTrial, TrialState

# cross_validate's name for the estimator's fit arguments: ``params`` from scikit-learn 1.4 on.
_FIT_PARAMS = "params" if "params" in inspect.signature(cross_validate).parameters else "fit_params"


def _sample_rows(n: int, subsample: float | int, rng: np.random.RandomState) -> np.ndarray:
    """The rows the search uses, in order: all ``n``, or a random subset of them (a share of
    them, or a count), drawn once per fit."""
    size = int(subsample) if isinstance(subsample, Integral) else int(round(float(subsample) * n))
    if size >= n:
        return np.arange(n)
    return np.sort(rng.choice(n, size, replace=False))


def _take(a: Any, rows: np.ndarray) -> Any:
    """``a``'s ``rows`` (a DataFrame's by position); None stays None."""
    return None if a is None else (a.iloc[rows] if hasattr(a, "iloc") else np.asarray(a)[rows])


def _rows_in(value: Any) -> int | None:
    """How many rows an array-like holds; None for anything else (a number, text, a dict)."""
    if isinstance(value, (str, bytes, Mapping)):
        return None
    shape = getattr(value, "shape", None)
    if shape:  # a 0-d array's shape is ()
        return int(shape[0])
    try:
        return len(value)
    except TypeError:
        return None


def _row_params(params: Mapping[str, Any], n: int, rows: np.ndarray) -> dict[str, Any]:
    """Fit parameters for ``rows`` of ``n``: one with a value per row (``sample_weight``) is
    taken at those rows, as scikit-learn splits it per fold; any other is kept whole."""
    return {name: _take(value, rows) if _rows_in(value) == n else value for name, value in params.items()}


def _fold_mean(scores: Sequence[float]) -> float:
    """The mean of the folds' scores that are numbers (NaN: a failed fold); NaN when none is."""
    scored = [v for v in scores if not math.isnan(v)]
    return float(np.mean(scored)) if scored else math.nan


class _Objective:
    """One trial: the estimator with the trial's parameters, cross-validated."""

    def __init__(self, search: OptunaSearchCV, x: Any, y: Any, groups: Any, fit_params: Mapping[str, Any],
                 cv: Any, scorer: Callable[..., float], distributions: Mapping[str, Any]) -> None:
        self.search, self.x, self.y, self.groups, self.fit_params = search, x, y, groups, dict(fit_params)
        self.cv, self.scorer, self.distributions = cv, scorer, distributions

    def __call__(self, trial: Any) -> float:
        estimator = clone(self.search.estimator)
        estimator.set_params(**{name: trial.suggest(name, dist) for name, dist in self.distributions.items()})
        if self.search.enable_pruning:
            scores = self._with_pruning(trial, estimator)
        else:
            scores = cross_validate(estimator, self.x, self.y, groups=self.groups, cv=self.cv, scoring=self.scorer,
                                    error_score=self.search.error_score,
                                    return_train_score=self.search.return_train_score,
                                    **{_FIT_PARAMS: self.fit_params or None})
        self._store(trial, scores)
        folds = [float(s) for s in scores["test_score"]]
        if len(folds) > 1 and all(map(math.isfinite, folds)):  # a failed fold (error_score NaN) has none to give
            from nntune.terminator import report_cross_validation_scores

            report_cross_validation_scores(trial, folds)
        # The value is mean_test_score, the mean over the folds that scored, as Optuna's: a
        # fold that failed (error_score NaN) leaves the trial the others' mean, not NaN (a
        # diverged trial); only a trial whose every fold failed has no value.
        return _fold_mean(folds)

    def _with_pruning(self, trial: Any, estimator: Any) -> dict[str, np.ndarray]:
        """Every fold trained by ``partial_fit`` round after round, the folds' mean score
        reported after each round (its step), the trial stopped when the scheduler says so."""
        # Each fold's rows taken once: the rounds below fit and score the same folds again and again.
        folds = [(_safe_split(estimator, self.x, self.y, train_rows),
                  _safe_split(estimator, self.x, self.y, test_rows, train_rows),
                  _row_params(self.fit_params, len(self.x), np.asarray(train_rows)))
                 for train_rows, test_rows in self.cv.split(self.x, self.y, groups=self.groups)]
        models = [clone(estimator) for _ in folds]
        extra = {"classes": np.unique(self.y)} if is_classifier(estimator) else {}
        scores = {name: np.zeros(len(folds)) for name in ("fit_time", "score_time", "test_score")}
        if self.search.return_train_score:
            scores["train_score"] = np.zeros(len(folds))
        failed: set[int] = set()  # folds already warned of: one warning each, not one per round
        for step in range(self.search.max_iter):
            for k, ((x_train, y_train), (x_test, y_test), fit_params) in enumerate(folds):
                start = time.perf_counter()
                try:
                    models[k].partial_fit(x_train, y_train, **extra, **fit_params)  # the fold's rows' weights
                    fitted = time.perf_counter()
                    scores["test_score"][k] = self.scorer(models[k], x_test, y_test)
                    if "train_score" in scores:
                        scores["train_score"][k] = self.scorer(models[k], x_train, y_train)
                except Exception as err:
                    # As cross_validate (and Optuna's partial_fit rounds) do: the fold is
                    # worth error_score, and the search goes on, unless told to raise.
                    fitted = time.perf_counter()
                    self._failed_round(err, k, step, scores, failed)
                scores["fit_time"][k] += fitted - start
                scores["score_time"][k] += time.perf_counter() - fitted
            trial.report(_fold_mean(scores["test_score"]), step)
            if trial.should_prune():
                self._store(trial, scores)
                raise TrialPruned(f"pruned at round {step}")
        return scores

    def _failed_round(self, err: Exception, fold: int, step: int, scores: dict[str, np.ndarray],
                      failed: set[int]) -> None:
        """Score a fold whose ``partial_fit`` or scoring raised ``err`` at round ``step`` with
        ``error_score``, with scikit-learn's FitFailedWarning the first time the fold fails
        (``failed``: the folds warned of); ``error_score="raise"`` raises."""
        error_score = self.search.error_score
        if isinstance(error_score, str):  # "raise": anything else was refused before the search
            raise err
        if fold not in failed:
            failed.add(fold)
            warnings.warn(f"fold {fold} failed at round {step} and is scored error_score={error_score!r}: "
                          f"{type(err).__name__}: {err}", FitFailedWarning, stacklevel=3)
        scores["test_score"][fold] = error_score
        if "train_score" in scores:
            scores["train_score"][fold] = error_score

    @staticmethod
    def _store(trial: Any, scores: Mapping[str, Sequence[float]]) -> None:
        """scikit-learn's ``cv_results_`` columns of this trial, as its user attributes."""
        attrs: dict[str, float] = {}
        for name, values in scores.items():
            array = np.asarray(values, dtype=float)
            if name.endswith("_score"):
                attrs.update({f"split{i}_{name}": float(v) for i, v in enumerate(array)})
            attrs[f"mean_{name}"] = float(np.nanmean(array))
            attrs[f"std_{name}"] = float(np.nanstd(array))
        trial.set_user_attrs(attrs)


def _to_best(method: str) -> Callable[..., Any]:
    """A method of the search that calls ``method`` of its refit best estimator."""
    def call(self: OptunaSearchCV, X: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._best(), method)(X, *args, **kwargs)

    call.__name__ = call.__qualname__ = method
    call.__doc__ = f"The best estimator's ``{method}``."
    return call


class OptunaSearchCV(BaseEstimator):
    """See the module's text. The arguments are Optuna's, in its order."""

    def __init__(self, estimator: Any, param_distributions: Mapping[str, Any], *, cv: Any = None,
                 enable_pruning: bool = False, error_score: Any = np.nan, max_iter: int = 1000,
                 n_jobs: int | None = None, n_trials: int | None = 10, random_state: Any = None,
                 refit: bool = True, return_train_score: bool = False, scoring: Any = None, study: Any = None,
                 subsample: float | int = 1.0, timeout: float | None = None, verbose: int = 0,
                 callbacks: Sequence[Callable[..., Any]] | None = None, catch: Any = ()) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.n_trials = n_trials
        self.random_state = random_state
        self.refit = refit
        self.return_train_score = return_train_score
        self.scoring = scoring
        self.study = study
        self.subsample = subsample
        self.timeout = timeout
        self.verbose = verbose
        self.callbacks = callbacks
        self.catch = catch

    # A classifier's search is a classifier (a regressor's a regressor), as scikit-learn's
    # own searches: VotingClassifier refuses anything else, and cross_val_score stratifies
    # a classifier's folds. scikit-learn 1.6 on reads the tags, before it _estimator_type.
    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import get_tags

        tags, inner = super().__sklearn_tags__(), get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags, tags.regressor_tags = deepcopy(inner.classifier_tags), deepcopy(inner.regressor_tags)
        tags.input_tags.pairwise, tags.input_tags.sparse = inner.input_tags.pairwise, inner.input_tags.sparse
        return tags

    @property
    def _estimator_type(self) -> str | None:
        return getattr(self.estimator, "_estimator_type", None)

    # ------------------------------------------------------------ the search

    def _checked(self) -> dict[str, Any]:
        """The distributions as nntune's, every argument checked before a trial starts."""
        if not hasattr(self.estimator, "fit"):
            raise ConfigError("estimator", f"must be a scikit-learn estimator (with fit), got {self.estimator!r}")
        if not isinstance(self.param_distributions, Mapping):
            raise ConfigError("param_distributions", "must map parameter names to distributions")
        dists = {name: own_distribution(f"param_distributions[{name!r}]", d)
                 for name, d in self.param_distributions.items()}
        score = self.error_score
        if not (score == "raise" if isinstance(score, str) else isinstance(score, Real) and not isinstance(score, bool)):
            raise ConfigError("error_score", f"must be 'raise' or a number, got {score!r}")
        if not isinstance(self.max_iter, Integral) or self.max_iter < 1:
            raise ConfigError("max_iter", f"must be a positive integer, got {self.max_iter!r}")
        if self.enable_pruning and not hasattr(self.estimator, "partial_fit"):
            raise ConfigError("enable_pruning", f"needs an estimator with partial_fit; "
                                                f"{type(self.estimator).__name__} has none")
        sub = self.subsample
        share = isinstance(sub, Real) and not isinstance(sub, Integral)
        if isinstance(sub, bool) or not isinstance(sub, Real) or not (0 < sub <= 1 if share else sub >= 1):
            raise ConfigError("subsample", f"must be a share in (0, 1] or a count of at least 1, got {sub!r}")
        if self.study is not None and self.study.direction.value != "maximize":
            raise ConfigError("study", "must maximize: OptunaSearchCV maximizes the mean cross-validation score")
        return dists

    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> OptunaSearchCV:
        """Search, then (with ``refit``) fit the best parameters on all of ``X``."""
        import nntune

        dists = self._checked()
        x, yy, groups = indexable(X, y, groups)
        searched_params = fit_params  # the refit below takes every row's
        # Optuna's attribute: the rows searched on (all of them without a subsample).
        # scikit-learn's random_state: a seed, a RandomState drawn from, or None for numpy's
        # global one (np.random.seed makes the search repeat), as Optuna's reads it.
        rng = check_random_state(self.random_state)
        self.sample_indices_ = _sample_rows(len(x), self.subsample, rng)
        if len(self.sample_indices_) < len(x):
            # A parameter given per row (sample_weight) follows the rows, as Optuna's does.
            searched_params = _row_params(fit_params, len(x), self.sample_indices_)
            x, yy, groups = (_take(a, self.sample_indices_) for a in (x, yy, groups))
        cv = check_cv(self.cv, yy, classifier=is_classifier(self.estimator))
        self.n_splits_ = cv.get_n_splits(x, yy, groups=groups)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        seed = self.random_state if isinstance(self.random_state, Integral) else \
            int(rng.randint(0, np.iinfo(np.int32).max))
        self.study_ = self.study if self.study is not None else nntune.create_study(
            direction="maximize", sampler=nntune.samplers.TPESampler(seed=seed))
        objective = _Objective(self, x, yy, groups, searched_params, cv, self.scorer_, dists)
        before = nntune.logging.get_verbosity()
        if self.verbose > 0:  # as Optuna's: each trial's line
            nntune.logging.set_verbosity(nntune.logging.INFO)
        try:
            self.study_.optimize(objective, n_trials=self.n_trials, timeout=self.timeout, n_jobs=self.n_jobs or 1,
                                 catch=self.catch, callbacks=self.callbacks)
        finally:
            nntune.logging.set_verbosity(before)
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(**self.study_.best_params)
            start = time.perf_counter()
            self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - start
        return self

    # ------------------------------------------------------------ what it found

    def _fitted(self) -> None:
        if not hasattr(self, "study_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this OptunaSearchCV is not fitted yet: call fit first")

    def _best(self) -> Any:
        self._fitted()
        if not self.refit:
            raise AttributeError("refit=False: there is no best_estimator_ to ask")
        return self.best_estimator_

    @property
    def best_trial_(self) -> FrozenTrial:
        self._fitted()
        return self.study_.best_trial

    @property
    def best_params_(self) -> dict[str, Any]:
        return self.best_trial_.params

    @property
    def best_score_(self) -> float:
        return float(self.best_trial_.value)

    @property
    def best_index_(self) -> int:
        return self.best_trial_.number

    @property
    def trials_(self) -> list[FrozenTrial]:
        self._fitted()
        return self.study_.trials

    @property
    def n_trials_(self) -> int:
        return len(self.trials_)

    @property
    def user_attrs_(self) -> dict[str, Any]:
        self._fitted()
        return self.study_.user_attrs

    @property
    def cv_results_(self) -> dict[str, Any]:
        """scikit-learn's table: a column per attribute, a row per trial (NaN where a trial
        stopped before it had one), with ``params``, ``param_<name>`` and the trial's state."""
        trials = self.trials_
        out: dict[str, Any] = {"params": [t.params for t in trials], "state": [t.state.value for t in trials]}
        for name in dict.fromkeys(k for t in trials for k in t.params):
            out[f"param_{name}"] = np.ma.masked_array([t.params.get(name) for t in trials],
                                                      mask=[name not in t.params for t in trials], dtype=object)
        for key in dict.fromkeys(k for t in trials for k in t.user_attrs):
            out[key] = np.array([float(t.user_attrs.get(key, np.nan)) for t in trials])
        complete = [t.state == TrialState.COMPLETE for t in trials]
        if "mean_test_score" in out:
            ranks = np.full(len(trials), len(trials), dtype=int)
            order = sorted((i for i, c in enumerate(complete) if c), key=lambda i: -out["mean_test_score"][i])
            for rank, i in enumerate(order, 1):
                ranks[i] = rank
            out["rank_test_score"] = ranks
        return out

    @property
    def classes_(self) -> Any:
        return self._best().classes_

    # What scikit-learn's searches answer with their best estimator.
    predict = _to_best("predict")
    predict_proba = _to_best("predict_proba")
    predict_log_proba = _to_best("predict_log_proba")
    decision_function = _to_best("decision_function")
    transform = _to_best("transform")
    inverse_transform = _to_best("inverse_transform")
    score_samples = _to_best("score_samples")

    def score(self, X: Any, y: Any = None) -> float:
        """The search's scorer on ``X`` and ``y``, with the best estimator."""
        return float(self.scorer_(self._best(), X, y))

    def set_user_attr(self, key: str, value: Any) -> None:
        self._fitted()
        self.study_.set_user_attr(key, value)

    def trials_dataframe(self, *args: Any, **kwargs: Any) -> Any:
        self._fitted()
        return self.study_.trials_dataframe(*args, **kwargs)

