"""Tree-structured Parzen estimator (TPE): a model of where good trials are versus bad ones.

The ranked trials (see ``_define_by_run``: complete by value, then pruned by how far they
got, then diverged) are split into the best ``gamma(n)`` ("good") and the rest ("bad").
Each group becomes a Parzen estimator in the unit cube of the space, where every
parameter is already on its own scale (log, 1 - beta): a mixture with one product kernel
per trial plus a uniform prior component. Numeric parameters get Gaussian kernels
truncated to [0, 1] (integers and stepped floats take the kernel's mass over their slice
of the interval), Choices get a kernel that keeps the trial's value with probability
1 - lambda and spreads lambda evenly over the other values. Candidates are drawn from the
good density l(x) and the one with the largest l(x) / g(x) is suggested (the estimators
are :mod:`nntune.samplers._parzen`'s).

``multivariate=True`` uses joint kernels, so parameters that work together (a learning
rate and a batch size) are modelled together. A parameter that is inactive in a trial
(a conditional one) contributes the uniform prior factor to that trial's kernel, and a
candidate is scored only on the parameters it activates, which is the kernel integrated
over the others. ``multivariate=False`` fits each parameter alone on the trials where it is
active.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from nntune.samplers._base import independent_draw, name_salt, resolve_seed, trial_rng
from nntune.samplers._checks import check_callable, check_count, check_flag, check_gamma, check_non_negative
from nntune.samplers._constraints import ConstraintsFunc
from nntune.samplers._define_by_run import RankCache, RowCache, decode, history_for, ranked, single, snap
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.samplers._parzen import UNIVARIATE_MIN_SHARE, Layout, fit_parzen, log_density, sample_parzen
from nntune.samplers._startup import check_startup, startup_unit
from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial, TrialState


def default_gamma(n: int) -> int:
    """How many of ``n`` ranked trials form the good group: a tenth, between 1 and 25."""
    return max(1, min(25, math.ceil(0.1 * n)))


def hyperopt_default_gamma(n: int) -> int:
    """hyperopt's good group, as Optuna's ``hyperopt_parameters`` gives it: a quarter of
    the square root of ``n``, at most 25."""
    return min(math.ceil(0.25 * n**0.5), 25)


def default_weights(n: int) -> np.ndarray:
    """Optuna's kernel weights for ``n`` trials, oldest first: 1 for the newest 25, a ramp
    up from ``1 / n`` for the older ones."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - 25), np.ones(25)])


def split(n: int, gamma: Callable[[int], int] | float) -> int:
    """Size of the good group among ``n`` ranked trials (at least 1, at most n - 1 when n > 1)."""
    n_good = gamma(n) if callable(gamma) else math.ceil(float(gamma) * n)
    return int(min(max(1, n_good), max(1, n - 1)))


def tpe_choose(space: Space, good: np.ndarray, bad: np.ndarray, rng: np.random.Generator,
               n_candidates: int, prior_weight: float = 1.0, min_share: float = 0.0,
               weights: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
               clip: bool = True) -> np.ndarray:
    """The snapped candidate (from l = Parzen(good)) with the largest l(x) / g(x)."""
    layout = Layout.of(space)
    l_est = fit_parzen(good, layout, prior_weight, min_share, weights[0], clip)
    g_est = fit_parzen(bad, layout, prior_weight, min_share, weights[1], clip)
    cand = snap(space, sample_parzen(l_est, layout, rng, n_candidates))
    score = log_density(l_est, layout, cand) - log_density(g_est, layout, cand)
    return cand[int(np.argmax(score))]


def group_weights(numbers: Sequence[int], weights: Callable[[int], Any] | None) -> np.ndarray | None:
    """Each row's kernel weight: ``weights(n)`` handed out oldest trial first, as Optuna
    does (its ``default_weights`` ramps down all but the newest 25); ``None``: 1 each."""
    if weights is None:
        return None
    w = np.asarray(weights(len(numbers)), dtype=float)
    if w.shape != (len(numbers),):
        raise ValueError(f"weights({len(numbers)}) must return {len(numbers)} values, got shape {w.shape}")
    out = np.empty(len(numbers))
    out[np.argsort(np.asarray(numbers), kind="stable")] = w
    return out


def liars(history: Sequence[FrozenTrial]) -> frozenset[int]:
    """The numbers of the trials :func:`with_liars` tells at the worst value."""
    if not any(t.state == TrialState.COMPLETE for t in history):
        return frozenset()
    return frozenset(t.number for t in history if t.state == TrialState.RUNNING and t.params)


def with_liars(history: Sequence[FrozenTrial], direction: str) -> list[FrozenTrial]:
    """The history with every running trial that has drawn parameters told as complete at
    the worst value seen (the constant liar): parallel workers then steer away from points
    already being tried. Unchanged until some trial is complete."""
    seen = [t.value for t in history if t.state == TrialState.COMPLETE and t.value is not None
            and math.isfinite(t.value)]
    if not seen:
        return list(history)
    worst = max(seen) if direction == "minimize" else min(seen)
    return [dataclasses.replace(t, state=TrialState.COMPLETE, value=worst)
            if t.state == TrialState.RUNNING and t.params else t for t in history]


class Groups(NamedTuple):
    """The good and bad trials' rows in the unit cube, and their kernel weights."""

    good: np.ndarray
    bad: np.ndarray
    weights: tuple[np.ndarray | None, np.ndarray | None]


def _rows_of(weights: tuple[np.ndarray | None, np.ndarray | None], good: np.ndarray,
             bad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The weights of the rows kept (``good``, ``bad``: boolean masks of each group)."""
    return (None if weights[0] is None else weights[0][good], None if weights[1] is None else weights[1][bad])


class TPESampler(OptunaMethods):
    """``TPESampler(seed=0)``: start-up points for the first ``n_startup_trials`` ranked
    trials, then the candidate among ``n_ei_candidates`` draws from l(x) with the best
    l(x) / g(x). ``startup`` ("random" or "sobol") and ``centre_first`` choose the start-up
    points (:mod:`nntune.samplers._startup`)."""

    def __init__(self, seed: int | None = None, n_startup_trials: int = 10, n_ei_candidates: int = 24,
                 gamma: Callable[[int], int] | float = default_gamma, multivariate: bool = True,
                 consider_pruned: bool = True, prior_weight: float = 1.0, constant_liar: bool = True,
                 constraints_func: ConstraintsFunc | None = None, startup: str = "random",
                 centre_first: bool = False, group: bool = False, warn_independent_sampling: bool = True,
                 *, consider_prior: bool = True, consider_magic_clip: bool = True, consider_endpoints: bool = False,
                 weights: Callable[[int], Any] | None = None) -> None:
        # Optuna's group=True asks multivariate TPE to model each set of parameters that occur
        # together on the trials where they do: nntune's multivariate kernels always do (an
        # inactive parameter is integrated out), so the switch only keeps Optuna's check.
        # nntune never samples a joint-space parameter alone, so it has no warning to switch off.
        for flag, value in (("multivariate", multivariate), ("group", group), ("constant_liar", constant_liar),
                            ("consider_pruned", consider_pruned), ("centre_first", centre_first),
                            ("consider_prior", consider_prior), ("consider_magic_clip", consider_magic_clip),
                            ("consider_endpoints", consider_endpoints),
                            ("warn_independent_sampling", warn_independent_sampling)):
            check_flag(flag, value)
        if group and not multivariate:
            from nntune.exceptions import ConfigError

            raise ConfigError("group", "needs multivariate=True, as in Optuna")
        self.seed = resolve_seed(seed)
        self.startup, self.centre_first = check_startup(startup), bool(centre_first)
        # On by default, as Optuna's: trials run one at a time draw the same
        # points either way, and parallel ones (threads, workers, an ask-and-tell batch)
        # steer away from the points still being tried.
        self.constant_liar = bool(constant_liar)
        self.constraints_func = check_callable("constraints_func", constraints_func)  # the study stores them and ranks infeasible trials last
        self.n_startup_trials = check_count("n_startup_trials", n_startup_trials, 0)
        self.n_ei_candidates = check_count("n_ei_candidates", n_ei_candidates, 1)
        self.gamma = check_gamma(gamma)
        self.multivariate = bool(multivariate)
        self.consider_pruned = bool(consider_pruned)
        # Optuna's switches of its Parzen estimators. consider_prior=False drops the uniform
        # component; consider_magic_clip=False drops the kernels' minimum width; weights(n)
        # weighs each group's kernels, oldest trial first. consider_endpoints widens
        # Optuna's univariate kernels measured from their neighbours: nntune's widths come
        # from each group's spread (Scott's rule), never from neighbours, so it is kept for
        # scripts written for Optuna and changes nothing.
        # 0 is Optuna's too: no weight on the prior, as consider_prior=False.
        self.prior_weight = check_non_negative("prior_weight", prior_weight) if consider_prior else 0.0
        self.consider_magic_clip = bool(consider_magic_clip)
        self.consider_endpoints = bool(consider_endpoints)
        self.weights = check_callable("weights", weights)
        self._rows = RowCache()  # encoding 1,000 trials at every ask would dominate its cost
        self._ranks = RankCache()  # and so would sorting them

    def _split(self, space: Space, history: Sequence[FrozenTrial], direction: str,
               slot: str | None = None, *, pareto: bool = False, lying: frozenset[int] = frozenset()) -> Groups | None:
        if slot is None and not pareto:
            # The joint space sees the whole history: rank it incrementally. Not a Pareto
            # view: its trials' scores move at every ask, so the kept prefix would never
            # hold and each ask would insert thousands of trials one by one.
            trials = self._ranks.ranked(history, direction, consider_pruned=self.consider_pruned)
        else:
            trials = ranked(history, direction, consider_pruned=self.consider_pruned)
        # The liars (running trials told at the worst value) count neither towards the
        # start-up trials nor towards the good group's size, as in Optuna: four workers
        # would otherwise leave random search three trials early, and widen the good group
        # with points nobody has measured.
        measured = len(trials) - sum(t.number in lying for t in trials) if lying else len(trials)
        if measured < max(1, self.n_startup_trials):
            return None
        points = self._rows.encode(space, trials, slot)
        n_good = split(measured, self.gamma)
        numbers = [t.number for t in trials]
        return Groups(points[:n_good], points[n_good:], (group_weights(numbers[:n_good], self.weights),
                                                         group_weights(numbers[n_good:], self.weights)))

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        if not len(space):
            return {}
        # Asked of the view itself: the liars' list below no longer says it is a Pareto view.
        pareto = len(getattr(history, "directions", None) or ()) > 1
        lying = liars(history) if self.constant_liar else frozenset()
        if self.constant_liar:
            history = with_liars(history, direction)
        groups = self._split(space, history, direction, pareto=pareto, lying=lying)
        if groups is None:
            u = startup_unit(len(space), number, self.seed, startup=self.startup, centre_first=self.centre_first)
            if u is not None:
                return space.from_unit(u)
            out: dict[str, Any] = {}
            for name, dist in space.params.items():
                if space.is_active(name, out):
                    out[name] = independent_draw(self.seed, number, name, dist)
            return out
        good, bad, weights = groups
        rng = trial_rng(self.seed, number, 1)
        if self.multivariate:
            return decode(space, tpe_choose(space, good, bad, rng, self.n_ei_candidates, self.prior_weight,
                                            weights=weights, clip=self.consider_magic_clip))
        params: dict[str, Any] = {}
        for j, (name, dist) in enumerate(space.params.items()):
            if space.is_active(name, params):
                g_has, b_has = ~np.isnan(good[:, j]), ~np.isnan(bad[:, j])
                row = tpe_choose(single(name, dist), good[g_has][:, [j]], bad[b_has][:, [j]],
                                 rng, self.n_ei_candidates, self.prior_weight, UNIVARIATE_MIN_SHARE,
                                 weights=_rows_of(weights, g_has, b_has), clip=self.consider_magic_clip)
                params[name] = dist.from_unit(float(row[0]))
        return params

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        space = single(name, dist)
        lying = liars(history) if self.constant_liar else frozenset()
        if self.constant_liar:
            history = with_liars(history, direction)
        groups = self._split(space, history_for(name, dist, history), direction, slot=name, lying=lying)
        if groups is None:
            u = startup_unit(1, number, self.seed, name_salt(name), startup=self.startup,
                             centre_first=self.centre_first)
            return independent_draw(self.seed, number, name, dist) if u is None else dist.from_unit(float(u[0]))
        rng = trial_rng(self.seed, number, 2, name_salt(name))
        row = tpe_choose(space, groups.good, groups.bad, rng, self.n_ei_candidates, self.prior_weight,
                         UNIVARIATE_MIN_SHARE, weights=groups.weights, clip=self.consider_magic_clip)
        return dist.from_unit(float(row[0]))

    @staticmethod
    def hyperopt_parameters() -> dict[str, Any]:
        """hyperopt's (v0.1.2) defaults, as Optuna's: ``TPESampler(**TPESampler.hyperopt_parameters())``."""
        return {"consider_prior": True, "prior_weight": 1.0, "consider_magic_clip": True,
                "consider_endpoints": False, "n_startup_trials": 20, "n_ei_candidates": 24,
                "gamma": hyperopt_default_gamma, "weights": default_weights}

    def __repr__(self) -> str:
        return (f"TPESampler(seed={self.seed}, n_startup_trials={self.n_startup_trials}, "
                f"n_ei_candidates={self.n_ei_candidates}, multivariate={self.multivariate}"
                + (f", startup={self.startup!r}" if self.startup != "random" else "")
                + (", centre_first=True" if self.centre_first else "")
                + ("" if self.constant_liar else ", constant_liar=False")
                + (f", gamma={getattr(self.gamma, '__name__', self.gamma)}" if self.gamma is not default_gamma else "")
                + ")")
