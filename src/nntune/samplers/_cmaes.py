"""CMA-ES, the covariance matrix adaptation evolution strategy (Hansen, "The CMA Evolution
Strategy: A Tutorial", 2016), as a sampler that keeps no state.

The search runs in the unit cube of the space's numeric parameters, each on its own scale
(a learning rate by decades, a Beta by decades of 1 - beta). Its state (mean, step size,
covariance and the two evolution paths) is rebuilt for every suggestion by replaying the
history: the finished trials, in number order, form generations of ``popsize``, and each
full generation updates the state by the (mu/mu_w, lambda) rules of the tutorial. A new
trial draws from the state so rebuilt with its own seeded generator, so a suggestion is a
pure function of (seed, trial number, history), as every nntune sampler's. (The sampler
keeps the state after each generation it replayed and what each trial of those generations
contributed, and resumes the next replay after the generations that are still the same:
a cache, which changes no suggestion: :class:`Replayed`.) Choices and parameters under
a condition are drawn independently, as Optuna's CMA-ES does.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError
from nntune.samplers._base import independent_draw, resolve_seed, trial_rng
from nntune.samplers._checks import check_count, check_flag
from nntune.samplers._define_by_run import RankKey, rank_key
from nntune.samplers._independent import checked_independent, draw_independent, drawn_rest, warn_independent
from nntune.samplers._trial_memo import TrialMemo
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Choice, Distribution, Space
from nntune.trial import FrozenTrial

MAX_RESAMPLES = 100  # draws outside the unit cube are drawn again, then clipped


@dataclass(frozen=True)
class Strategy:
    """The constants of the tutorial's default CMA-ES in ``dim`` dimensions: weights for
    the whole population, the worst ones negative (active covariance update), and the
    learning rates derived from them (its equations 49-58)."""

    dim: int
    popsize: int
    weights: np.ndarray  # one per rank, best first: mu positive summing to 1, then negative
    mu_eff: float
    c_sigma: float
    d_sigma: float
    c_c: float
    c_1: float
    c_mu: float
    chi_n: float  # E||N(0, I)||
    separable: bool = False  # sep-CMA-ES: a diagonal covariance (:func:`update_separable`)

    @classmethod
    def of(cls, dim: int, popsize: int | None = None, separable: bool = False) -> Strategy:
        lam = popsize or 4 + int(3 * math.log(dim))
        mu = lam // 2
        if separable:
            return cls.of_separable(dim, lam)
        raw = math.log((lam + 1) / 2) - np.log(np.arange(1, lam + 1))
        pos, neg = raw[:mu], raw[mu:]
        mu_eff = float(pos.sum() ** 2 / np.sum(pos ** 2))
        mu_eff_neg = float(neg.sum() ** 2 / np.sum(neg ** 2)) if len(neg) and np.any(neg) else 0.0
        c_1 = 2 / ((dim + 1.3) ** 2 + mu_eff)
        c_mu = min(1 - c_1, 2 * (mu_eff - 2 + 1 / mu_eff) / ((dim + 2) ** 2 + mu_eff))
        c_sigma = (mu_eff + 2) / (dim + mu_eff + 5)
        scale_neg = min(1 + c_1 / c_mu if c_mu > 0 else math.inf, 1 + 2 * mu_eff_neg / (mu_eff + 2),
                        (1 - c_1 - c_mu) / (dim * c_mu) if c_mu > 0 else math.inf)
        neg_sum = float(-neg[neg < 0].sum())
        weights = np.where(raw >= 0, raw / pos.sum(), scale_neg * raw / neg_sum if neg_sum > 0 else 0.0)
        return cls(dim, lam, weights, mu_eff, c_sigma,
                   1 + 2 * max(0.0, math.sqrt((mu_eff - 1) / (dim + 1)) - 1) + c_sigma,
                   (4 + mu_eff / dim) / (dim + 4 + 2 * mu_eff / dim), c_1, c_mu,
                   math.sqrt(dim) * (1 - 1 / (4 * dim) + 1 / (21 * dim ** 2)))


    @classmethod
    def of_separable(cls, dim: int, lam: int) -> Strategy:
        """sep-CMA-ES's constants (Ros and Hansen, 2008), as the ``cmaes`` package that
        Optuna's ``use_separable_cma`` runs has them: positive weights only, and a
        covariance learning rate ``(dim + 2) / 3`` times the full one's."""
        mu = lam // 2
        raw = math.log(mu + 1) - np.log(np.arange(1, mu + 1))
        weights = np.concatenate([raw / raw.sum(), np.zeros(lam - mu)])
        mu_eff = float(1 / np.sum(weights ** 2))
        c_1 = 2 / ((dim + 1.3) ** 2 + mu_eff)
        c_mu_full = 2 / mu_eff / (dim + math.sqrt(2)) ** 2 + (1 - 1 / mu_eff) * min(
            1.0, (2 * mu_eff - 1) / ((dim + 2) ** 2 + mu_eff))
        c_sigma = (mu_eff + 2) / (dim + mu_eff + 3)
        return cls(dim, lam, weights, mu_eff, c_sigma,
                   1 + 2 * max(0.0, math.sqrt((mu_eff - 1) / (dim + 1)) - 1) + c_sigma,
                   4 / (dim + 4), c_1, (dim + 2) / 3 * c_mu_full,
                   math.sqrt(dim) * (1 - 1 / (4 * dim) + 1 / (21 * dim ** 2)), separable=True)


@dataclass(frozen=True)
class State:
    mean: np.ndarray
    sigma: float
    cov: np.ndarray
    p_sigma: np.ndarray
    p_c: np.ndarray
    generation: int = 0

    @classmethod
    def start(cls, x0: np.ndarray, sigma0: float, cov: np.ndarray | None = None) -> State:
        d = len(x0)
        return cls(np.asarray(x0, dtype=float), float(sigma0), np.eye(d) if cov is None else np.asarray(cov, dtype=float),
                   np.zeros(d), np.zeros(d))


def warm_start(best_first: np.ndarray, gamma: float = 0.1, alpha: float = 0.1) -> State:
    """The start of a warm-started search (Nomura, Watanabe, Akimoto, Ozaki and Onishi,
    "Warm Starting CMA-ES for Hyperparameter Optimization", AAAI 2021; the ``cmaes``
    package's ``get_warm_start_mgd``, which Optuna's ``source_trials`` runs): the mean and
    second moment of the best ``gamma`` share of a related search's points (unit-cube rows,
    the best first; at least one), widened by ``alpha**2`` on every axis, split into a step
    size and a covariance of determinant 1."""
    top = best_first[:max(1, math.floor(len(best_first) * gamma))]
    dim = best_first.shape[1]
    mean = top.mean(axis=0)
    spread = alpha ** 2 * np.eye(dim) + top.T @ top / len(top) - np.outer(mean, mean)
    det = float(np.linalg.det(spread))
    return State.start(mean, det ** (1 / (2 * dim)), spread / det ** (1 / dim))


def _eig(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(B, D)`` with ``cov = B diag(D**2) B^T`` (D kept off zero)."""
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    return vecs, np.sqrt(np.maximum(vals, 1e-20))


def update(state: State, ranked: np.ndarray, s: Strategy) -> State:
    """The state after one generation whose ``popsize`` points ``ranked`` (rows, best
    first) were evaluated."""
    if s.separable:
        return update_separable(state, ranked, s)
    w = s.weights
    y = (ranked - state.mean) / state.sigma
    positive = w > 0
    y_w = w[positive] @ y[positive]
    mean = state.mean + state.sigma * y_w
    b, d = _eig(state.cov)
    inv_sqrt = b @ np.diag(1 / d) @ b.T
    p_sigma = (1 - s.c_sigma) * state.p_sigma + math.sqrt(s.c_sigma * (2 - s.c_sigma) * s.mu_eff) * inv_sqrt @ y_w
    norm = float(np.linalg.norm(p_sigma))
    sigma = state.sigma * math.exp((s.c_sigma / s.d_sigma) * (norm / s.chi_n - 1))
    g = state.generation + 1
    h_sigma = norm / math.sqrt(1 - (1 - s.c_sigma) ** (2 * g)) < (1.4 + 2 / (s.dim + 1)) * s.chi_n
    p_c = (1 - s.c_c) * state.p_c + (math.sqrt(s.c_c * (2 - s.c_c) * s.mu_eff) * y_w if h_sigma else 0.0)
    delta = 0.0 if h_sigma else s.c_c * (2 - s.c_c)
    # A negative weight acts on the step's direction only, its length normalized (eq. 53).
    lengths = np.sum((y @ inv_sqrt) ** 2, axis=1)
    w_cov = np.where(positive, w, w * s.dim / np.maximum(lengths, 1e-20))
    rank_mu = (y.T * w_cov) @ y
    cov = (1 + s.c_1 * delta - s.c_1 - s.c_mu * float(w.sum())) * state.cov + s.c_1 * np.outer(p_c, p_c) \
        + s.c_mu * rank_mu
    return State(mean, min(sigma, 1.0), cov, p_sigma, p_c, g)  # no step wider than the whole cube


def update_separable(state: State, ranked: np.ndarray, s: Strategy) -> State:
    """:func:`update` for sep-CMA-ES: the covariance stays diagonal, each axis adapted on
    its own (the ``cmaes`` package's ``SepCMA.tell``)."""
    w = s.weights
    y = (ranked - state.mean) / state.sigma
    y_w = w @ y  # the weights past mu are zero
    mean = state.mean + state.sigma * y_w
    diag = np.diag(state.cov)
    p_sigma = (1 - s.c_sigma) * state.p_sigma \
        + math.sqrt(s.c_sigma * (2 - s.c_sigma) * s.mu_eff) * y_w / np.sqrt(np.maximum(diag, 1e-20))
    norm = float(np.linalg.norm(p_sigma))
    sigma = state.sigma * math.exp((s.c_sigma / s.d_sigma) * (norm / s.chi_n - 1))
    g = state.generation + 1
    h_sigma = norm / math.sqrt(1 - (1 - s.c_sigma) ** (2 * (g + 1))) < (1.4 + 2 / (s.dim + 1)) * s.chi_n
    p_c = (1 - s.c_c) * state.p_c + (math.sqrt(s.c_c * (2 - s.c_c) * s.mu_eff) * y_w if h_sigma else 0.0)
    delta = 0.0 if h_sigma else s.c_c * (2 - s.c_c)
    diag = (1 + s.c_1 * delta - s.c_1 - s.c_mu * float(w.sum())) * diag + s.c_1 * p_c ** 2 \
        + s.c_mu * (w @ y ** 2)
    return State(mean, min(sigma, 1.0), np.diag(diag), p_sigma, p_c, g)


def sample(state: State, rng: np.random.Generator) -> np.ndarray:
    """A point of ``N(mean, sigma^2 cov)`` inside the unit cube (drawn again when outside,
    clipped after :data:`MAX_RESAMPLES` tries)."""
    b, d = _eig(state.cov)
    x = state.mean
    for _ in range(MAX_RESAMPLES):
        x = state.mean + state.sigma * (b @ (d * rng.standard_normal(len(state.mean))))
        if np.all((x >= 0) & (x <= 1)):
            return x
    return np.clip(x, 0.0, 1.0)


def replay(points: np.ndarray, losses: np.ndarray, x0: np.ndarray, sigma0: float, s: Strategy,
           cov: np.ndarray | None = None) -> State:
    """The state after the full generations of ``points`` (rows in trial-number order) and
    their ``losses`` (lower is better), from the start (``cov``: a warm start's covariance):
    the definition that the sampler's resumed replay (:class:`Replayed`) reproduces."""
    state = State.start(x0, sigma0, cov)
    for start in range(0, len(points) - s.popsize + 1, s.popsize):
        block = slice(start, start + s.popsize)
        state = update(state, points[block][np.argsort(losses[block], kind="stable")], s)
    return state


# What a counted trial contributes to the replay: its rank key (which orders it within its
# generation; the trial's number comes last, so no two are equal) and its point of the
# unit cube, as bytes for a cheap comparison, and the point itself.
Mark = tuple[RankKey, bytes, np.ndarray]


def by_number(mark: Mark) -> int:
    return mark[0][-1]


def mark_of(numeric: Space, direction: str, consider_pruned: bool, trial: FrozenTrial) -> Mark | None:
    """The trial's :data:`Mark`, or None when it does not count (unfinished, failed,
    pruned unless ``consider_pruned``, or without every numeric parameter)."""
    key = rank_key(trial, direction, consider_pruned=consider_pruned)
    if key is None or not all(n in trial.params for n in numeric.params):
        return None
    row = numeric.to_unit(trial.params)
    return key, row.tobytes(), row


class Replayed:
    """The replay of the last ask, to resume from: each counted trial of its full
    generations (by :data:`Mark`), and the state after each generation.

    The next ask replays the same history with perhaps one more generation. The generations
    whose trials contribute the very same marks give the very same states (the replay is
    deterministic), so it resumes after the last of them; a trial that finished late, out
    of number order, changes the generations from its own on, which are replayed again. The
    marks of finished trials are kept by trial object (:class:`TrialMemo`), so an ask reads
    thousands of trials without deriving any again."""

    def __init__(self) -> None:
        # Each replaced whole, never changed in place: threads asking at once share them.
        self._memo: tuple[tuple[Any, ...], TrialMemo[Mark | None]] | None = None
        self._kept: tuple[tuple[Any, ...], list[Mark], list[State]] = ((), [], [])

    def __getstate__(self) -> dict[str, object]:
        """Pickled empty (with the sampler that holds it): a cache, rebuilt by the first ask,
        whose marks and per-generation states would otherwise travel with every copy of the
        sampler (tens of kilobytes per few hundred trials)."""
        return {"_memo": None, "_kept": ((), [], [])}

    def marks(self, numeric: Space, direction: str, consider_pruned: bool) -> TrialMemo[Mark | None]:
        """The trials' marks for this space and ranking, remembered per trial object."""
        setting = (numeric, direction, consider_pruned)
        memo = self._memo
        if memo is None or memo[0] != setting:
            memo = self._memo = (setting, TrialMemo(functools.partial(mark_of, *setting)))
        return memo[1]

    def state(self, counted: list[Mark], start: State, s: Strategy) -> State:
        """:func:`replay` of the ``counted`` marks (in number order) from ``start``."""
        head = (self._memo[0] if self._memo else None, start.mean.tobytes(), start.sigma, start.cov.tobytes(),
                s.dim, s.popsize, s.separable)
        kept_head, kept, states = self._kept
        p = s.popsize
        full = len(counted) // p * p
        same, limit = 0, min(len(kept), full) if kept_head == head else 0
        while same < limit and (kept[same] is counted[same] or kept[same][:2] == counted[same][:2]):
            same += 1
        states = states[:same // p]
        state = states[-1] if states else start
        for start in range(len(states) * p, full, p):
            block = counted[start:start + p]
            order = sorted(range(p), key=lambda i: block[i][0])
            state = update(state, np.array([block[i][2] for i in order]), s)
            states.append(state)
        self._kept = (head, counted[:full], states)
        return state


class CmaEsSampler(OptunaMethods):
    """``CmaEsSampler(x0=None, sigma0=None, n_startup_trials=1, independent_sampler=None,
    warn_independent_sampling=True, seed=None, *, popsize=None, consider_pruned_trials=False,
    use_separable_cma=False)``,
    with Optuna's names: random (or ``independent_sampler``'s) for the first
    ``n_startup_trials`` finished trials, then CMA-ES over the numeric parameters, started at
    ``x0`` (a dict of values; default the centre of each range) with step ``sigma0`` (in the
    unit cube; default 1/6), or warm-started from a related study's ``source_trials`` (its
    best tenth's mean and spread: :func:`warm_start`); with ``use_separable_cma`` the covariance is diagonal
    (sep-CMA-ES, for many parameters). Choices, conditional and define-by-run parameters are drawn at
    random or by ``independent_sampler`` (one of nntune's samplers or a user's ``BaseSampler``),
    with Optuna's warning after the start-up trials. Pruned trials take part,
    ranked below the complete ones, only with ``consider_pruned_trials``; a diverged trial
    ranks last; a failed one is ignored."""

    def __init__(self, x0: dict[str, Any] | None = None, sigma0: float | None = None, n_startup_trials: int = 1,
                 independent_sampler: Any = None, warn_independent_sampling: bool = True, seed: int | None = None,
                 *, consider_pruned_trials: bool = False, restart_strategy: str | None = None,
                 popsize: int | None = None, inc_popsize: int = -1, use_separable_cma: bool = False,
                 with_margin: bool = False, lr_adapt: bool = False, source_trials: Any = None) -> None:
        _ignored_restarts(restart_strategy, inc_popsize)
        for name, value in (("with_margin", with_margin), ("lr_adapt", lr_adapt)):
            if value not in (None, False):
                raise ConfigError(name, "not offered by nntune's CMA-ES (no margin, no learning-rate adaptation)")
        self.source_trials = checked_sources(source_trials, x0, sigma0, use_separable_cma)
        self._warm: tuple[tuple[Space, str], State] | None = None  # the warm start, by space and direction
        if sigma0 is not None and not (isinstance(sigma0, (int, float)) and 0 < sigma0 <= 1):
            raise ConfigError("sigma0", f"a step in the unit cube, 0 < sigma0 <= 1, got {sigma0!r}")
        if popsize is not None and (isinstance(popsize, bool) or not isinstance(popsize, int) or popsize < 2):
            raise ConfigError("popsize", f"must be an integer >= 2, got {popsize!r}")
        self.seed = resolve_seed(seed)
        if x0 is not None and not isinstance(x0, Mapping):
            raise ConfigError("x0", f"must map parameter names to values, got {x0!r}")
        self.x0 = dict(x0 or {})
        self.sigma0 = 1 / 6 if sigma0 is None else float(sigma0)
        self.n_startup_trials = check_count("n_startup_trials", n_startup_trials, 0)
        self.consider_pruned_trials = check_flag("consider_pruned_trials", consider_pruned_trials)
        # Optuna's: the start-up trials and every parameter CMA-ES leaves out (a choice, a
        # conditional or define-by-run one) are drawn by it; a define-by-run one is warned
        # about after start-up (draw_independent), as GP's and QMC's are.
        self.independent_sampler = checked_independent(independent_sampler)
        self.warn_independent_sampling = check_flag("warn_independent_sampling", warn_independent_sampling)
        self.popsize = popsize
        self.use_separable_cma = check_flag("use_separable_cma", use_separable_cma)
        self._replayed = Replayed()  # the generations of the last ask, to resume from

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        numeric = Space({n: d for n, d in space.params.items()
                         if not isinstance(d, Choice) and n not in space.conditions})
        out: dict[str, Any] = {}
        # Checked at the first ask over the space, not once the start-up trials have
        # trained: an x0 out of range then ended the search after they had run.
        check_x0(self.x0, numeric)
        if len(numeric):
            marks = self._replayed.marks(numeric, direction, self.consider_pruned_trials)
            counted = [m for t in history if (m := marks(t)) is not None]
            if len(counted) >= max(1, self.n_startup_trials):
                counted.sort(key=by_number)
                strategy = Strategy.of(len(numeric), self.popsize, self.use_separable_cma)
                state = self._replayed.state(counted, self._start(numeric, direction), strategy)
                out.update(numeric.from_unit(sample(state, trial_rng(self.seed, number, 17))))
        drawn = drawn_rest(self, space, history, number, direction, out)
        for name in drawn.keys() - numeric.params.keys():
            # As Optuna's: a choice or a conditional parameter is never CMA-ES's, and is warned
            # about after the start-up trials (warn_independent_sampling=False silences it).
            kind = "a choice" if isinstance(space.params[name], Choice) else "a conditional parameter"
            warn_independent(self, name, history, number, f"{kind}, which CMA-ES does not model")
        return drawn

    def _start(self, numeric: Space, direction: str) -> State:
        """Where the search starts: ``x0`` (the centre by default) with step ``sigma0``, or
        the warm start that ``source_trials`` give."""
        if self.source_trials is None:
            return State.start(np.array([numeric.params[n].to_unit(self.x0[n]) if n in self.x0 else 0.5
                                         for n in numeric.params]), self.sigma0)
        key = (numeric, direction)
        if self._warm is None or self._warm[0] != key:  # the source trials are read once, not at every ask
            marks = [m for t in self.source_trials
                     if (m := mark_of(numeric, direction, self.consider_pruned_trials, t)) is not None]
            if not marks:
                raise ConfigError("source_trials", f"none is a finished trial of this study's parameters "
                                                   f"({', '.join(numeric.params)})")
            marks.sort(key=lambda m: m[0])  # best first, ranked as the study ranks its own trials
            self._warm = (key, warm_start(np.array([m[2] for m in marks])))
        return self._warm[1]

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        return draw_independent(self, name, dist, history, number, direction,
                                lambda: independent_draw(self.seed, number, name, dist))

    def __repr__(self) -> str:
        return f"CmaEsSampler(seed={self.seed}, sigma0={self.sigma0:g}, popsize={self.popsize})"


def _ignored_restarts(restart_strategy: Any, inc_popsize: Any) -> None:
    """Optuna's restart options, taken as Optuna (since 4.4) takes them: checked, then left
    unused with a FutureWarning, the search running once without restarts. A script that
    passes them runs as it does on Optuna instead of stopping at the sampler."""
    if restart_strategy not in (None, "ipop", "bipop"):
        raise ConfigError("restart_strategy", f"must be None, 'ipop' or 'bipop', got {restart_strategy!r}")
    if inc_popsize != -1:
        check_count("inc_popsize", inc_popsize, 1)
    if restart_strategy is not None or inc_popsize != -1:
        warnings.warn("CmaEsSampler: restart_strategy and inc_popsize are ignored, as in Optuna since v4.4: "
                      "the search runs once, without restarts", FutureWarning, stacklevel=3)


def checked_sources(source_trials: Any, x0: Any, sigma0: Any, separable: bool) -> list[FrozenTrial] | None:
    """``source_trials`` as a list (None without a warm start), refused where Optuna refuses
    it: beside ``x0`` or ``sigma0`` (the warm start sets both), or with sep-CMA-ES."""
    if source_trials is None:
        return None
    for name, given in (("x0", x0 is not None), ("sigma0", sigma0 is not None), ("use_separable_cma", separable)):
        if given:
            raise ConfigError("source_trials", f"cannot be given with {name}: the warm start sets where the "
                                               f"search starts and its covariance")
    trials = list(source_trials)
    if not all(isinstance(t, FrozenTrial) for t in trials):
        raise ConfigError("source_trials", "must be finished trials (study.trials of a related study)")
    return trials


def check_x0(x0: dict[str, Any], numeric: Space) -> None:
    """Raise :class:`ConfigError` for a start value of a numeric parameter that is not a
    number in its range: the mean would start outside the unit cube, where every draw is
    clipped to an end. Other names are left alone, as Optuna leaves them (a choice is
    drawn independently; a conditional parameter is not in the joint space)."""
    for name, dist in numeric.params.items():
        if name not in x0:
            continue
        value = x0[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not dist.low <= value <= dist.high:
            raise ConfigError("x0", f"{name}: must be a number in [{dist.low:g}, {dist.high:g}], got {value!r}")

