"""CMA-ES, the covariance matrix adaptation evolution strategy (Hansen, "The CMA Evolution
Strategy: A Tutorial", 2016), as a sampler that keeps no state.

The search runs in the unit cube of the space's numeric parameters, each on its own scale
(a learning rate by decades, a Beta by decades of 1 - beta). Its state (mean, step size,
covariance and the two evolution paths) is rebuilt for every suggestion by replaying the
history: the finished trials, in number order, form generations of ``popsize``, and each
full generation updates the state by the (mu/mu_w, lambda) rules of the tutorial. A new
trial draws from the state so rebuilt with its own seeded generator, so a suggestion is a
pure function of (seed, trial number, history), as every nntune sampler's. (The sampler
keeps the states after the latest generations, to resume the next replay from: a cache,
which changes no suggestion.) Choices and parameters under a condition are drawn
independently, as Optuna's CMA-ES does.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError
from nntune.samplers._base import independent_draw, independent_draws, resolve_seed, trial_rng
from nntune.samplers._checks import check_count, check_flag
from nntune.samplers._define_by_run import rank_key
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Choice, Distribution, Space
from nntune.trial import FrozenTrial

MAX_RESAMPLES = 100  # draws outside the unit cube are drawn again, then clipped
MAX_MEMO = 16  # replayed generations' states a sampler keeps (see replay)


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

    @classmethod
    def of(cls, dim: int, popsize: int | None = None) -> Strategy:
        lam = popsize or 4 + int(3 * math.log(dim))
        mu = lam // 2
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


@dataclass(frozen=True)
class State:
    mean: np.ndarray
    sigma: float
    cov: np.ndarray
    p_sigma: np.ndarray
    p_c: np.ndarray
    generation: int = 0

    @classmethod
    def start(cls, x0: np.ndarray, sigma0: float) -> State:
        d = len(x0)
        return cls(np.asarray(x0, dtype=float), float(sigma0), np.eye(d), np.zeros(d), np.zeros(d))


def _eig(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(B, D)`` with ``cov = B diag(D**2) B^T`` (D kept off zero)."""
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    return vecs, np.sqrt(np.maximum(vals, 1e-20))


def update(state: State, ranked: np.ndarray, s: Strategy) -> State:
    """The state after one generation whose ``popsize`` points ``ranked`` (rows, best
    first) were evaluated."""
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
           memo: dict[bytes, State] | None = None) -> State:
    """The state after the full generations of ``points`` (rows in trial-number order) and
    their ``losses`` (lower is better).

    ``memo`` keeps the states after the latest generations replayed, each by a digest of the
    start and of every generation up to it. The next ask replays the same generations and
    perhaps one more: it resumes from the latest one kept, with the very same state (the
    replay is deterministic), instead of an eigendecomposition per generation of the study."""
    head = np.array([sigma0, s.dim, s.popsize], dtype=float).tobytes() + np.asarray(x0, dtype=float).tobytes()
    digest, generations = hashlib.blake2b(head, digest_size=16).digest(), []
    for start in range(0, len(points) - s.popsize + 1, s.popsize):
        block = slice(start, start + s.popsize)
        ranked = points[block][np.argsort(losses[block], kind="stable")]
        digest = hashlib.blake2b(digest + ranked.tobytes(), digest_size=16).digest()
        generations.append((digest, ranked))
    memo = {} if memo is None else memo
    done, state = 0, State.start(x0, sigma0)
    for g in range(len(generations), 0, -1):  # .get and .pop: threads asking at once share it
        kept = memo.get(generations[g - 1][0])
        if kept is not None:
            done, state = g, kept
            break
    for digest, ranked in generations[done:]:
        state = update(state, ranked, s)
        memo[digest] = state
    for old in list(memo)[:-MAX_MEMO]:  # the oldest first: dicts keep insertion order
        memo.pop(old, None)
    return state


class CmaEsSampler(OptunaMethods):
    """``CmaEsSampler(x0=None, sigma0=None, n_startup_trials=1, seed=None, *, popsize=None,
    consider_pruned_trials=False)``, with Optuna's names: random for the first
    ``n_startup_trials`` finished trials, then CMA-ES over the numeric parameters, started at
    ``x0`` (a dict of values; default the centre of each range) with step ``sigma0`` (in the
    unit cube; default 1/6). Pruned trials take part, ranked below the complete ones, only
    with ``consider_pruned_trials``; a diverged trial ranks last; a failed one is ignored."""

    def __init__(self, x0: dict[str, Any] | None = None, sigma0: float | None = None, n_startup_trials: int = 1,
                 independent_sampler: Any = None, warn_independent_sampling: bool = True, seed: int | None = None,
                 *, consider_pruned_trials: bool = False, restart_strategy: str | None = None,
                 popsize: int | None = None, inc_popsize: int = 2, use_separable_cma: bool = False,
                 with_margin: bool = False, lr_adapt: bool = False, source_trials: Any = None) -> None:
        for name, value in (("independent_sampler", independent_sampler), ("restart_strategy", restart_strategy),
                            ("use_separable_cma", use_separable_cma), ("with_margin", with_margin),
                            ("lr_adapt", lr_adapt), ("source_trials", source_trials)):
            if value not in (None, False):
                raise ConfigError(name, "not offered by nntune's CMA-ES (full covariance, one run, no warm start)")
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
        check_count("inc_popsize", inc_popsize, 1)  # kept for Optuna's signature: no restarts to grow
        check_flag("warn_independent_sampling", warn_independent_sampling)
        self.popsize = popsize
        self._memo: dict[bytes, State] = {}  # see replay

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        numeric = Space({n: d for n, d in space.params.items()
                         if not isinstance(d, Choice) and n not in space.conditions})
        out: dict[str, Any] = {}
        counted = [(k, t) for t in history
                   if (k := rank_key(t, direction, consider_pruned=self.consider_pruned_trials)) is not None
                   and all(n in t.params for n in numeric.params)]
        # Checked at the first ask over the space, not once the start-up trials have
        # trained: an x0 out of range then ended the search after they had run.
        check_x0(self.x0, numeric)
        if len(numeric) and len(counted) >= max(1, self.n_startup_trials):
            counted.sort(key=lambda kt: kt[1].number)
            points = np.array([numeric.to_unit(t.params) for _, t in counted])
            losses = _ranks([k for k, _ in counted])
            strategy = Strategy.of(len(numeric), self.popsize)
            x0 = np.array([numeric.params[n].to_unit(self.x0[n]) if n in self.x0 else 0.5 for n in numeric.params])
            state = replay(points, losses, x0, self.sigma0, strategy, self._memo)
            out.update(numeric.from_unit(sample(state, trial_rng(self.seed, number, 17))))
        return independent_draws(space, self.seed, number, out)

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        return independent_draw(self.seed, number, name, dist)

    def __repr__(self) -> str:
        return f"CmaEsSampler(seed={self.seed}, sigma0={self.sigma0:g}, popsize={self.popsize})"


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


def _ranks(keys: list[tuple[Any, ...]]) -> np.ndarray:
    """Each key's rank among all (0 best), as a loss a generation can sort by: the ranking
    rule of ``_define_by_run`` (complete by value, then pruned, then diverged)."""
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    ranks = np.empty(len(keys))
    ranks[order] = np.arange(len(keys))
    return ranks
