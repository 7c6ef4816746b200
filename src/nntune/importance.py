"""``get_param_importances(study, evaluator=)``: each parameter's share of the value's
variation, largest first, summing to 1, as Optuna's.

Three evaluators, each fitting a random forest to the complete trials with every parameter
on its own scale in the unit cube (``nntune.analysis.encode``):

- :class:`PermutationImportanceEvaluator` (the default, and what the report shows): how
  much the forest's fit drops when one parameter's column is shuffled.
- :class:`FanovaImportanceEvaluator`: the share of the forest's variance over the search
  box that each parameter explains alone (functional ANOVA, ``nntune._fanova``).
- :class:`MeanDecreaseImpurityImportanceEvaluator`: how much the forest's splits on each
  parameter reduce its squared error (scikit-learn's ``feature_importances_``).

and one without a model, :class:`PedAnovaImportanceEvaluator`: how differently each
parameter is spread among the best trials than among all.

A study of several objectives needs ``target=`` (one number per trial) for the forests, as
Optuna's; PED-ANOVA without one explains what brings trials near the Pareto front, its best
trials chosen by front and hypervolume (:func:`nntune._pareto_subset.pareto_best`), as
Optuna 5.1's, and is then the default, as Optuna's default evaluator answers it too.

A conditional parameter (``momentum`` drawn only for SGD, ``units_2`` only for three
layers) is explained with every complete trial: the forests see its absence as one more
value, so its importance includes whether it was drawn at all; PED-ANOVA compares it among
the trials that drew it, weighted by how many of the best did, as Optuna's. Optuna's forests
instead explain only the parameters every trial drew, unless ``params`` names others, and
then keep only the trials that drew them all.

Where there is too little to measure from (no complete trial, one, values that never vary,
no parameter drawn), ``get_param_importances`` and each evaluator's ``evaluate`` answer as
Optuna's do (``{}``, or every parameter at 0) with a warning saying why; the plots, which
measure through :func:`measure_importances`, say why instead of drawing zeros.
"""

from __future__ import annotations

import abc
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# CannotExplain and cannot_explain are also the plots' (nntune.visualization), through this module
from nntune._importance_refusals import (CannotExplain, TooLittleToExplain, cannot_explain, cannot_explain_front,
                                         check_named)
from nntune._pareto_subset import pareto_best
from nntune._ped_anova import MIN_TRIALS_IN_REGIME, N_STEPS, best_count, ped_anova, thin_ranges, with_ties
from nntune._words import counted
from nntune.analysis import (IMPORTANCE_FEWEST_TRIALS, IMPORTANCE_MIN_TRIALS, IMPORTANCE_TREES, INACTIVE_CODE,
                             chosen_space, complete_trials, encode, param_importance, valued_trials)
from nntune.space import Space
from nntune.trial import FrozenTrial, TrialState


def _trials_and_space(study: Any, params: Sequence[str] | None,
                      target: Callable[[FrozenTrial], float] | None) -> tuple[list[FrozenTrial], Space]:
    """The study's trials (their values replaced by ``target``'s) and the space to explain."""
    trials = valued_trials(study, target, "explain")
    return trials, chosen_space(study, trials, params)


def _scored_trials(study: Any, params: Sequence[str] | None) -> tuple[list[FrozenTrial], Space]:
    """A study of several objectives: its complete trials with a finite value for each, in
    number order, and the space to explain."""
    from nntune.samplers._nsga import is_scored

    trials = list(study.get_trials(deepcopy=False))
    n = len(study.directions)
    return sorted((t for t in trials if is_scored(t, n)), key=lambda t: t.number), chosen_space(study, trials, params)


class BaseImportanceEvaluator(abc.ABC):
    """What ``get_param_importances(evaluator=...)`` calls: ``evaluate`` answers each
    parameter's importance (any object with that method works; subclass this to say so)."""

    @abc.abstractmethod
    def evaluate(self, study: Any, params: Sequence[str] | None = None, *,
                 target: Callable[[FrozenTrial], float] | None = None) -> dict[str, float]:
        """Each parameter's importance in ``study`` (``params`` only, if given), for the
        value or for ``target(trial)``."""


class _Evaluator(BaseImportanceEvaluator):
    """nntune's evaluators: ``_measure`` raises :class:`CannotExplain` where there is too
    little to measure from, for the plots, which say why; ``evaluate`` answers those cases
    as Optuna's evaluators do (``{}`` before any trial completed or with no parameter
    drawn, else every parameter at 0), with a warning saying why, as
    ``get_param_importances`` does."""

    def evaluate(self, study: Any, params: Sequence[str] | None = None, *,
                 target: Callable[[FrozenTrial], float] | None = None) -> dict[str, float]:
        try:
            return self._measure(study, params, target)
        except TooLittleToExplain as why:
            measured = {name: 0.0 for name in _names_to_explain(study, params, target)}
            answer = "every parameter's importance is answered as 0" if measured else "no parameter is answered"
            warnings.warn(f"{why}: {answer}", UserWarning, stacklevel=_outside())
            return measured

    @abc.abstractmethod
    def _measure(self, study: Any, params: Sequence[str] | None,
                 target: Callable[[FrozenTrial], float] | None) -> dict[str, float]:
        """Each parameter's importance, or :class:`CannotExplain` saying why none can be measured."""


def _outside() -> int:
    """The ``stacklevel`` (for a ``warnings.warn`` in the caller of this) of the first frame
    outside this module: a warning points at the line that asked for the importances,
    whether through ``get_param_importances`` or an evaluator's own ``evaluate``."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame, level = frame.f_back, level + 1
    return level


def _warn_if_few(n: int, stacklevel: int | None = None) -> None:
    """Importances from fewer than IMPORTANCE_MIN_TRIALS trials are answered, as Optuna's
    are, but a forest (or a best quantile) of so few trials ranks parameters by chance
    about as often as by effect, which the caller should know before acting on it."""
    if n < IMPORTANCE_MIN_TRIALS:
        warnings.warn(f"importance from {counted(n, 'complete trial')} is rough: with so few, an unimportant parameter "
                      f"often ranks first; {IMPORTANCE_MIN_TRIALS} or more give a steadier answer",
                      UserWarning, stacklevel=_outside() if stacklevel is None else stacklevel)


class PermutationImportanceEvaluator(_Evaluator):
    """A random forest's drop in fit (R^2) when one parameter is shuffled (scikit-learn's
    ``permutation_importance``), as the report measures importance; ``get_param_importances``
    makes the drops shares unless ``normalize=False``. ``seed`` defaults to the study's."""

    def __init__(self, *, seed: int | None = None) -> None:
        self.seed = seed

    def _measure(self, study: Any, params: Sequence[str] | None,
                 target: Callable[[FrozenTrial], float] | None) -> dict[str, float]:
        if params is not None and not params:  # nothing asked, nothing to explain (Optuna answers {} too)
            return {}
        trials, space = _trials_and_space(study, params, target)
        check_named(params, used_params(space, trials))
        result = param_importance(trials, space, seed=study.seed if self.seed is None else self.seed,
                                  min_trials=IMPORTANCE_FEWEST_TRIALS)
        if not result["importance"]:
            raise cannot_explain(trials, len(used_params(space, trials)), asked=params is not None)
        _warn_if_few(result["n_trials"])
        return dict(result["drop"])


class _Forest(_Evaluator):
    """A forest as Optuna's evaluators fit it: ``n_trees`` trees of depth at most
    ``max_depth``, grown to single-trial leaves, seeded by ``seed``."""

    def __init__(self, *, n_trees: int = IMPORTANCE_TREES, max_depth: int = 64, seed: int | None = None) -> None:
        if n_trees < 1 or max_depth < 1:
            raise ValueError(f"n_trees and max_depth must be at least 1, got {n_trees} and {max_depth}")
        self.n_trees, self.max_depth, self.seed = int(n_trees), int(max_depth), seed

    def _fit(self, study: Any, params: Sequence[str] | None,
             target: Callable[[FrozenTrial], float] | None) -> tuple[list[str], Any, np.ndarray]:
        """The parameters explained, the forest fitted to the complete trials, and their
        unit-cube encoding (no parameter asked for: no forest, None)."""
        from sklearn.ensemble import RandomForestRegressor

        if params is not None and not params:  # nothing asked, nothing to explain (Optuna answers {} too)
            return [], None, np.zeros((0, 0))
        trials, space = _trials_and_space(study, params, target)
        done = complete_trials(trials)
        names = used_params(space, done)
        check_named(params, names)
        y = np.array([t.value for t in done], dtype=float)
        if len(done) < IMPORTANCE_FEWEST_TRIALS or not names or float(np.ptp(y)) == 0.0:
            raise cannot_explain(done, len(names), asked=params is not None)
        _warn_if_few(len(done))
        x = encode(Space({n: space.params[n] for n in names}), done)
        forest = RandomForestRegressor(n_estimators=self.n_trees, max_depth=self.max_depth, random_state=self.seed,
                                       n_jobs=1).fit(x, y)
        return names, forest, x


class FanovaImportanceEvaluator(_Forest):
    """Functional ANOVA on the forest: the share of its variance over the search box that
    each parameter explains alone, averaged over the trees. A conditional parameter's box
    side includes its 'inactive' code, so being left out counts as one of its values."""

    def _measure(self, study: Any, params: Sequence[str] | None,
                 target: Callable[[FrozenTrial], float] | None) -> dict[str, float]:
        from nntune._fanova import Tree, fanova_importances

        names, forest, x = self._fit(study, params, target)
        if not names:
            return {}
        lows = np.where((x < 0).any(axis=0), INACTIVE_CODE, 0.0)
        shares = fanova_importances([Tree.from_sklearn(e) for e in forest.estimators_], lows, np.ones(x.shape[1]))
        return {n: float(v) for n, v in zip(names, shares)}


class MeanDecreaseImpurityImportanceEvaluator(_Forest):
    """The forest's mean decrease in squared error from splits on each parameter."""

    def _measure(self, study: Any, params: Sequence[str] | None,
                 target: Callable[[FrozenTrial], float] | None) -> dict[str, float]:
        names, forest, _ = self._fit(study, params, target)
        return {n: float(v) for n, v in zip(names, forest.feature_importances_)} if names else {}


class PedAnovaImportanceEvaluator(_Evaluator):
    """PED-ANOVA (Watanabe et al., 2023), as Optuna's: how differently a parameter is spread
    among the best ``target_quantile`` of the trials than among the best ``region_quantile``
    (all by default), as the Pearson divergence of the two Parzen densities over the
    parameter's range on its own scale (``nntune._ped_anova``), times the squared ratio of
    the two quantiles, so ``normalize=False`` answers Optuna's numbers for the same trials.
    ``evaluate_on_local=False`` compares the best trials with the whole search space
    instead (a uniform density over each parameter's range). It says which parameters the
    best trials agree on. A conditional parameter adds up its divergence within each range
    it was drawn from, weighted by how many of the best and of the region drew it there.
    A ``target``'s best trials are its lowest, whatever the study's direction (as Optuna's,
    with the same warning): negate it to explain its highest. Several objectives without a
    ``target``: the best trials are the fronts in order, the one cut through split by the
    hypervolume each adds. ``baseline_quantile`` is Optuna's name for ``target_quantile``."""

    GRID = N_STEPS  # points a continuous parameter's densities are compared at

    def __init__(self, *, target_quantile: float | None = None, region_quantile: float = 1.0,
                 evaluate_on_local: bool = True, baseline_quantile: float | None = None) -> None:
        if target_quantile is not None and baseline_quantile is not None:
            raise ValueError("give target_quantile or baseline_quantile (Optuna's name for it), not both")
        named = "baseline_quantile" if baseline_quantile is not None else "target_quantile"
        target_quantile = next((q for q in (target_quantile, baseline_quantile) if q is not None), 0.1)
        if not 0.0 < target_quantile < region_quantile <= 1.0:
            raise ValueError(f"need 0 < {named} < region_quantile <= 1, got {target_quantile} and "
                             f"{region_quantile}")
        if region_quantile != 1.0 and not evaluate_on_local:
            warnings.warn("PedAnovaImportanceEvaluator: region_quantile has no effect when evaluate_on_local is "
                          "False", UserWarning, stacklevel=2)
        self.target_quantile, self.region_quantile = float(target_quantile), float(region_quantile)
        self.evaluate_on_local = bool(evaluate_on_local)

    def _measure(self, study: Any, params: Sequence[str] | None,
                 target: Callable[[FrozenTrial], float] | None) -> dict[str, float]:
        if params is not None and not params:  # nothing asked, nothing to explain (Optuna answers {} too)
            return {}
        if target is None and study.is_multi_objective:
            # As Optuna's: the best trials are those nearest the Pareto front, no objective preferred.
            done, space = _scored_trials(study, params)
        else:
            trials, space = _trials_and_space(study, params, target)
            done = complete_trials(trials)
        # As Optuna's: every parameter a complete trial drew is explained, even one drawn only by
        # trials whose value is not finite (it reads 0: no trial compared drew it); one that only
        # pruned or failed trials drew is not.
        drawn = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
        names = [n for n in space.params if any(n in t.params for t in drawn)]
        check_named(params, names)
        if len(done) < IMPORTANCE_FEWEST_TRIALS or not names:
            raise (cannot_explain_front if target is None and study.is_multi_objective else cannot_explain)(
                done, len(names), asked=params is not None)
        space = Space({n: space.params[n] for n in names})
        if target is not None:
            warnings.warn("PedAnovaImportanceEvaluator explains what makes the target low; to explain high "
                          "values, negate it (target=lambda t: -...)", UserWarning, stacklevel=_outside())
        n_done = len(done)
        if target is None and study.is_multi_objective:
            done, n_target, n_region = self._pareto_cut(done, [str(d) for d in study.directions], len(names))
        else:
            done, n_target, n_region = self._value_cut(done, target is None and str(study.directions[0]) == "maximize",
                                                       len(names))
        if n_target == n_region:
            self._same_trials(n_target, n_done)
        _warn_if_few(n_done)
        top, region = done[:n_target], done[:n_region]
        for name in space.params:  # Optuna warns of these too: the parameter's reading may be off
            if thin := thin_ranges(name, region):
                warnings.warn(f"PED-ANOVA leaves out of {name}'s importance {counted(sum(thin), 'trial')} that drew "
                              f"it from a range fewer than {MIN_TRIALS_IN_REGIME} of the trials compared drew it from: "
                              f"the importance may be inaccurate", UserWarning, stacklevel=_outside())
        return {name: ped_anova(name, top, region, self.evaluate_on_local) for name in space.params}

    def _same_trials(self, n_target: int, n_done: int) -> None:
        """The best trials are the whole region (ties at the cut, or quantiles too close
        for so few trials): compared with the region, every parameter reads exactly 0, as
        Optuna's do, so that is refused with the reason; compared with the whole search
        space (``evaluate_on_local=False``) they still measure something, which Optuna
        answers with a warning, and so does nntune."""
        if n_target == n_done:
            why = f"all {n_done} complete trials are among the best {self.target_quantile:g} (ties included)"
        else:
            why = (f"the best {self.target_quantile:g} and the best {self.region_quantile:g} are the same "
                   f"{counted(n_target, 'trial')} of {n_done} (ties included)")
        if self.evaluate_on_local:
            raise TooLittleToExplain(f"PED-ANOVA compares the best trials with the region around them; {why}: "
                                     f"it needs more trials")
        warnings.warn(f"PED-ANOVA: {why}, so each importance says how unevenly they alone cover the "
                      f"parameter's range", UserWarning, stacklevel=_outside())

    def _value_cut(self, done: list[FrozenTrial], maximize: bool,
                   n_params: int) -> tuple[list[FrozenTrial], int, int]:
        """The trials best first, how many are the best (ties kept together) and how many
        the region."""
        done = sorted(done, key=lambda t: -t.value if maximize else t.value)  # type: ignore[operator]
        keys = np.array([-t.value if maximize else t.value for t in done], dtype=float)  # type: ignore[operator]
        if float(np.ptp(keys)) == 0.0:  # no best trials to tell apart from the rest
            raise cannot_explain(done, n_params)
        return done, with_ties(keys, best_count(self.target_quantile, len(done))), \
            with_ties(keys, best_count(self.region_quantile, len(done)))

    def _pareto_cut(self, done: list[FrozenTrial], directions: list[str],
                    n_params: int) -> tuple[list[FrozenTrial], int, int]:
        """:meth:`_value_cut` for several objectives: the best are the fronts in order, the
        one cut through split by the hypervolume each trial adds (:func:`pareto_best`)."""
        from nntune.samplers._nsga import minimized

        points = minimized(done, directions)
        if not np.ptp(points, axis=0).any():  # every trial scored the same: no best to tell apart
            raise cannot_explain_front(done, n_params)
        n_target = best_count(self.target_quantile, len(done))
        n_region = best_count(self.region_quantile, len(done))
        best = pareto_best(points, n_target)
        chosen = set(best)  # once, not for each index of the region
        region = best + [i for i in pareto_best(points, n_region) if i not in chosen]
        return [done[i] for i in region], len(best), len(region)


def used_params(space: Space, trials: Sequence[FrozenTrial]) -> list[str]:
    """The names of ``space`` that some complete trial of ``trials`` used, in its order."""
    done = complete_trials(trials)
    return [n for n in space.params if any(n in t.params for t in done)]


def get_param_importances(study: Any, *, evaluator: Any = None, params: Sequence[str] | None = None,
                          target: Callable[[FrozenTrial], float] | None = None,
                          normalize: bool = True) -> dict[str, float]:
    """Importances by parameter name, largest first; with ``normalize`` shares summing to 1.
    ``evaluator``: any object with Optuna's ``evaluate(study, params, *, target)``
    (default :class:`PermutationImportanceEvaluator`; for a study of several objectives
    without ``target``, :class:`PedAnovaImportanceEvaluator`, as Optuna's default). Measured
    from 2 complete trials whose values vary (``IMPORTANCE_FEWEST_TRIALS``), with a warning
    that the answer is rough below ``IMPORTANCE_MIN_TRIALS`` (8), where the report shows
    none. With less, Optuna's answer and a warning saying why: ``{}`` before any trial
    completed, else every parameter at 0 (equal shares when normalized), so that a script
    printing importances after each trial runs from its first."""
    evaluator = _evaluator_for(study, evaluator, target)
    return _shares(evaluator.evaluate(study, params, target=target), normalize)


def measure_importances(study: Any, *, evaluator: Any = None, params: Sequence[str] | None = None,
                        target: Callable[[FrozenTrial], float] | None = None,
                        normalize: bool = True) -> dict[str, float]:
    """:func:`get_param_importances` that raises :class:`CannotExplain` where there is too
    little to measure from, for the plots, which say why instead of drawing zeros."""
    evaluator = _evaluator_for(study, evaluator, target)
    # nntune's own (unless a subclass answers evaluate its own way) say why through _measure
    own = isinstance(evaluator, _Evaluator) and type(evaluator).evaluate is _Evaluator.evaluate
    measured = evaluator._measure(study, params, target) if own else evaluator.evaluate(study, params, target=target)
    return _shares(measured, normalize)


def _evaluator_for(study: Any, evaluator: Any, target: Callable[[FrozenTrial], float] | None) -> Any:
    if evaluator is None:
        # Optuna's default, PED-ANOVA, explains a study of several objectives without a
        # target (what brings trials near the Pareto front); a forest needs one number.
        multi = target is None and getattr(study, "is_multi_objective", False)
        return PedAnovaImportanceEvaluator() if multi else PermutationImportanceEvaluator()
    if isinstance(evaluator, type) or not callable(getattr(evaluator, "evaluate", None)):
        shown = f"the class {evaluator.__name__}" if isinstance(evaluator, type) else repr(evaluator)
        raise TypeError(f"evaluator: needs an object with evaluate(study, params, *, target) such as "
                        f"FanovaImportanceEvaluator(), got {shown}")
    return evaluator


def _shares(measured: dict[str, float], normalize: bool) -> dict[str, float]:
    """Importances at 0 or above, largest first; shares of their sum when ``normalize``
    (equal shares when all are 0, as Optuna's)."""
    scores = {name: max(0.0, float(v)) for name, v in measured.items()}
    total = sum(scores.values())
    if normalize:
        scores = {n: v / total for n, v in scores.items()} if total > 0 else \
            {n: 1.0 / len(scores) for n in scores}
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))


def _names_to_explain(study: Any, params: Sequence[str] | None,
                      target: Callable[[FrozenTrial], float] | None) -> list[str]:
    """The parameters an importance would be answered for: ``params``, or those a complete
    trial used; none before any trial completed (Optuna's ``{}``)."""
    multi = target is None and getattr(study, "is_multi_objective", False)
    trials, space = _scored_trials(study, params) if multi else _trials_and_space(study, params, target)
    if not complete_trials(trials):
        return []
    return list(params) if params is not None else used_params(space, trials)


__all__ = ["BaseImportanceEvaluator", "FanovaImportanceEvaluator", "MeanDecreaseImpurityImportanceEvaluator", "PedAnovaImportanceEvaluator",
           "PermutationImportanceEvaluator", "get_param_importances"]
