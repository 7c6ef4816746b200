"""Optuna's crossovers and mutation for the genetic samplers, by Optuna's names and
arguments: ``NSGAIISampler(crossover=nntune.samplers.nsgaii.SBXCrossover(),
mutation=nntune.samplers.nsgaii.PolynomialMutation())``.

A crossover makes a child's numeric parameters from ``n_parents`` parents. nntune's
genetic samplers hand it the parents' parameters in the unit cube (each parameter on its
own scale: a log range by decades, an integer by its slices), with bounds ``[0, 1]`` for
each, where Optuna hands the parameters on their log scale; a child outside the bounds is
made again from new parents, as in Optuna. Choices are crossed uniformly with the
sampler's ``swapping_prob``, as Optuna does. A crossover written for Optuna (a
``BaseCrossover`` subclass with ``n_parents`` and ``crossover(parents_params, rng, study,
search_space_bounds)``) is called the same way: ``rng`` is a seeded
``numpy.random.RandomState`` and ``study`` offers ``directions`` and
``_is_multi_objective()``. A mutation moves one numeric parameter within ``[0, 1]``; a
mutated choice is drawn anew, as in Optuna.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError

__all__ = ["BaseCrossover", "BaseMutation", "BLXAlphaCrossover", "PolynomialMutation", "SBXCrossover",
           "SPXCrossover", "UNDXCrossover", "UniformCrossover", "VSBXCrossover"]


class BaseCrossover(abc.ABC):
    """Subclass with ``n_parents`` and ``crossover(parents_params, rng, study,
    search_space_bounds) -> child`` (a 1-d array of the numeric parameters)."""

    def __str__(self) -> str:
        return type(self).__name__

    @property
    @abc.abstractmethod
    def n_parents(self) -> int:
        """How many parents a child is made from."""

    @abc.abstractmethod
    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        """A child from ``parents_params`` (one row per parent)."""


def _probability(name: str, value: Any, *, open_low: bool = False) -> float:
    """``value`` as a probability in [0, 1] (``(0, 1]`` with ``open_low``)."""
    low_ok = (lambda v: v > 0.0) if open_low else (lambda v: v >= 0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (low_ok(value) and value <= 1.0):
        span = "(0, 1]" if open_low else "[0, 1]"
        raise ConfigError(name, f"must be a probability in {span}, got {value!r}")
    return float(value)


def _at_least_zero(name: str, value: Any) -> float:
    """``value`` as a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < math.inf:
        raise ConfigError(name, f"must be a number >= 0, got {value!r}")
    return float(value)


def _non_negative(name: str, value: Any) -> float | None:
    """``value`` as :func:`_at_least_zero`'s, or None (the operator's default)."""
    return None if value is None else _at_least_zero(name, value)


class UniformCrossover(BaseCrossover):
    """Each parameter from either parent; the second's with ``swapping_prob``."""

    n_parents = 2

    def __init__(self, swapping_prob: float = 0.5) -> None:
        self._swapping_prob = _probability("swapping_prob", swapping_prob)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        n = len(search_space_bounds)
        masks = (rng.rand(n) >= self._swapping_prob).astype(int)
        return parents_params[masks, range(n)]


class BLXAlphaCrossover(BaseCrossover):
    """Blend crossover: uniform in the parents' box widened by ``alpha`` of its width on each side."""

    n_parents = 2

    def __init__(self, alpha: float = 0.5) -> None:
        self._alpha = _at_least_zero("alpha", alpha)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        low, high = parents_params.min(axis=0), parents_params.max(axis=0)
        diff = self._alpha * (high - low)
        low, high = low - diff, high + diff
        return (high - low) * rng.rand(len(search_space_bounds)) + low


def _default_eta(study: Any) -> float:
    """Optuna's default distribution index: 20 for several objectives, else 2."""
    return 20.0 if study._is_multi_objective() else 2.0


def _pick_genes(c1: np.ndarray, c2: np.ndarray, x1: np.ndarray, x2: np.ndarray, rng: np.random.RandomState,
                use_child_gene_prob: float, uniform_crossover_prob: float) -> np.ndarray:
    """One of the two children of (vS)SBX, each gene the generated one with
    ``use_child_gene_prob`` (else the parents'), the pair swapped with ``uniform_crossover_prob``."""
    first, second = [], []
    for c1_i, c2_i, x1_i, x2_i in zip(c1, c2, x1, x2):
        a, b = (c1_i, c2_i) if rng.rand() < use_child_gene_prob else (x1_i, x2_i)
        if rng.rand() < uniform_crossover_prob:
            a, b = b, a
        first.append(a)
        second.append(b)
    return np.array(first if rng.rand() < 0.5 else second)


class SBXCrossover(BaseCrossover):
    """Simulated binary crossover (Deb and Agrawal), kept inside the bounds; ``eta``
    defaults to 2 (20 for several objectives)."""

    n_parents = 2

    def __init__(self, eta: float | None = None, uniform_crossover_prob: float = 0.5,
                 use_child_gene_prob: float = 0.5) -> None:
        self._eta = _non_negative("eta", eta)
        self._uniform_crossover_prob = _probability("uniform_crossover_prob", uniform_crossover_prob)
        self._use_child_gene_prob = _probability("use_child_gene_prob", use_child_gene_prob, open_low=True)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        xls, xus = search_space_bounds[..., 0], search_space_bounds[..., 1]
        xs_min, xs_max = np.min(parents_params, axis=0), np.max(parents_params, axis=0)
        eta = _default_eta(study) if self._eta is None else self._eta
        xs_diff = np.clip(xs_max - xs_min, 1e-10, None)
        alpha1 = 2 - np.power(1 + 2 * (xs_min - xls) / xs_diff, -(eta + 1))
        alpha2 = 2 - np.power(1 + 2 * (xus - xs_max) / xs_diff, -(eta + 1))
        us = rng.rand(len(search_space_bounds))
        with np.errstate(divide="ignore", invalid="ignore"):
            betaq1 = np.where(us > 1 / alpha1, np.power(1 / (2 - us * alpha1), 1 / (eta + 1)),
                              np.power(us * alpha1, 1 / (eta + 1)))
            betaq2 = np.where(us > 1 / alpha2, np.power(1 / (2 - us * alpha2), 1 / (eta + 1)),
                              np.power(us * alpha2, 1 / (eta + 1)))
        c1 = 0.5 * ((xs_min + xs_max) - betaq1 * xs_diff)
        c2 = 0.5 * ((xs_min + xs_max) + betaq2 * xs_diff)
        return _pick_genes(c1, c2, parents_params[0], parents_params[1], rng,
                           self._use_child_gene_prob, self._uniform_crossover_prob)


class VSBXCrossover(BaseCrossover):
    """Modified SBX (Ballester and Carter), which leaves no region of the space out;
    arguments as :class:`SBXCrossover`'s."""

    n_parents = 2

    def __init__(self, eta: float | None = None, uniform_crossover_prob: float = 0.5,
                 use_child_gene_prob: float = 0.5) -> None:
        self._eta = _non_negative("eta", eta)
        self._uniform_crossover_prob = _probability("uniform_crossover_prob", uniform_crossover_prob)
        self._use_child_gene_prob = _probability("use_child_gene_prob", use_child_gene_prob, open_low=True)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        eta = _default_eta(study) if self._eta is None else self._eta
        us = rng.rand(len(search_space_bounds))
        beta_1 = np.power(1 / np.maximum(2 * us, 1e-10), 1 / (eta + 1))
        beta_2 = np.power(1 / np.maximum(2 * (1 - us), 1e-10), 1 / (eta + 1))
        x1, x2 = parents_params[0], parents_params[1]
        # Optuna's formulas as its code has them (each child mixes both betas).
        if rng.rand() <= 0.5:
            c1 = 0.5 * ((1 + beta_1) * x1 + (1 - beta_2) * x2)
        else:
            c1 = 0.5 * ((1 - beta_1) * x1 + (1 + beta_2) * x2)
        if rng.rand() <= 0.5:
            c2 = 0.5 * ((3 - beta_1) * x1 - (1 - beta_2) * x2)
        else:
            c2 = 0.5 * (-(1 - beta_1) * x1 + (3 - beta_2) * x2)
        return _pick_genes(c1, c2, parents_params[0], parents_params[1], rng,
                           self._use_child_gene_prob, self._uniform_crossover_prob)


class SPXCrossover(BaseCrossover):
    """Simplex crossover (Tsutsui et al.): uniform in the parents' simplex expanded by
    ``epsilon`` (default ``sqrt(number of parameters + 2)``)."""

    n_parents = 3

    def __init__(self, epsilon: float | None = None) -> None:
        self._epsilon = _non_negative("epsilon", epsilon)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        n = self.n_parents - 1
        centre = np.mean(parents_params, axis=0)
        rs = np.power(rng.rand(n), 1 / (np.arange(n) + 1))
        epsilon = math.sqrt(len(search_space_bounds) + 2) if self._epsilon is None else self._epsilon
        xks = [centre + epsilon * (pk - centre) for pk in parents_params]
        ck: Any = 0
        for k in range(1, self.n_parents):
            ck = rs[k - 1] * (xks[k - 1] - xks[k] + ck)
        return np.asarray(xks[-1] + ck)


class UNDXCrossover(BaseCrossover):
    """Unimodal normal distribution crossover (Kita, Ono and Kobayashi): a normal draw
    about the first two parents' midpoint, spread along their line by ``sigma_xi`` and
    across it by ``sigma_eta`` (default ``0.35 / sqrt(number of parameters)``) times the
    third parent's distance from that line."""

    n_parents = 3

    def __init__(self, sigma_xi: float = 0.5, sigma_eta: float | None = None) -> None:
        self._sigma_xi = _at_least_zero("sigma_xi", sigma_xi)
        self._sigma_eta = _non_negative("sigma_eta", sigma_eta)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        n = len(search_space_bounds)
        x1, x2, x3 = parents_params[0], parents_params[1], parents_params[2]
        sigma_eta = 0.35 / math.sqrt(n) if self._sigma_eta is None else self._sigma_eta
        # Optuna's variances as its code has them (the squares of the sigmas as scales).
        etas = rng.normal(0, sigma_eta ** 2, size=n)
        xi = rng.normal(0, self._sigma_xi ** 2)
        child = (x1 + x2) / 2 + xi * (x1 - x2)
        if n == 1:  # no direction across the line
            return np.asarray(child)
        v_12 = x2 - x1
        e_12 = v_12 / max(float(np.linalg.norm(v_12)), 1e-10)
        basis = np.identity(n)
        if np.count_nonzero(e_12):
            basis[0] = e_12
        across = np.linalg.qr(basis.T)[0].T[1:]  # orthonormal directions across the line
        v_13 = x3 - x1
        distance = float(np.linalg.norm(v_13 - np.dot(v_13, e_12) * e_12))
        return np.asarray(child + distance * (etas[:n - 1] @ across))


class _StudyView:
    """What a crossover is handed as ``study``: the objectives' directions."""

    def __init__(self, directions: Sequence[str]) -> None:
        self.directions = list(directions)

    def _is_multi_objective(self) -> bool:
        return len(self.directions) > 1


def check_crossover(crossover: Any, population_size: int) -> BaseCrossover | None:
    """``crossover`` if it is one (None stays None: the samplers' own uniform crossover),
    with Optuna's checks, as one line naming the option."""
    if crossover is None:
        return None
    if isinstance(crossover, type):
        raise ConfigError("crossover", f"got the class {crossover.__name__}, not a crossover: call it, "
                                       f"crossover={crossover.__name__}()")
    n_parents = getattr(crossover, "n_parents", None)
    if not callable(getattr(crossover, "crossover", None)) or isinstance(n_parents, bool) \
            or not isinstance(n_parents, int) or n_parents < 1:
        raise ConfigError("crossover", f"{crossover!r} is not a crossover: give one of nntune.samplers.nsgaii's "
                                       "(UniformCrossover(), SBXCrossover(), ...)")
    if population_size < n_parents:
        raise ConfigError("population_size", f"must be >= {n_parents} for {crossover} (its parents per child), "
                                             f"got {population_size}")
    return crossover  # type: ignore[no-any-return]


MAX_TRIES = 100  # children outside the bounds are made again, then clipped


def cross(crossover: BaseCrossover, parents: Sequence[np.ndarray], numeric: np.ndarray,
          rng: np.random.Generator, swapping_prob: float, directions: Sequence[str]) -> np.ndarray:
    """A child in the unit cube from ``parents`` (unit-cube rows, NaN where a parameter was
    inactive): ``crossover`` on the ``numeric`` columns, the others taken from the first or
    the last parent (the first with ``swapping_prob``), as Optuna crosses choices."""
    pp = np.array(parents, dtype=float)
    child = pp[0].copy()
    other = ~numeric
    if other.any():
        take_last = rng.random(int(other.sum())) >= swapping_prob
        child[np.flatnonzero(other)[take_last]] = pp[-1][np.flatnonzero(other)[take_last]]
    if numeric.any():
        cols = pp[:, numeric]
        # An inactive parameter has no value to cross: a uniform one stands in for it.
        holes = np.isnan(cols)
        cols[holes] = rng.random(int(holes.sum()))
        bounds = np.tile([0.0, 1.0], (cols.shape[1], 1))
        legacy = np.random.RandomState(int(rng.integers(2 ** 32)))
        made = np.asarray(crossover.crossover(cols, legacy, _StudyView(directions), bounds), dtype=float)
        if made.shape != (cols.shape[1],):
            raise ValueError(f"{crossover}.crossover returned shape {made.shape}, expected ({cols.shape[1]},)")
        child[numeric] = made
    return child


def child_by_crossover(crossover: BaseCrossover, space: Any, elite: Sequence[Any],
                       pick: Callable[[list[int]], int], rng: np.random.Generator, crossover_prob: float,
                       swapping_prob: float, directions: Sequence[str]) -> np.ndarray:
    """A child in the unit cube by ``crossover``, as Optuna's: with ``crossover_prob`` its
    parents (distinct winners of binary tournaments, ``pick``, among ``elite``'s indices)
    crossed, made again from new parents while it falls outside the bounds (clipped after
    :data:`MAX_TRIES`); else a copy of a member of the elite drawn at random."""

    def parents() -> list[np.ndarray]:
        pool, chosen = list(range(len(elite))), []
        for _ in range(crossover.n_parents):
            won = pick(pool)
            pool.remove(won)
            chosen.append(space.to_unit(elite[won].params))
        return chosen

    if rng.random() >= crossover_prob:
        return np.asarray(space.to_unit(elite[int(rng.integers(len(elite)))].params), dtype=float)
    numeric = numeric_columns(space)
    child = cross(crossover, parents(), numeric, rng, swapping_prob, directions)
    for _ in range(MAX_TRIES - 1):
        if inside(child):
            return child
        child = cross(crossover, parents(), numeric, rng, swapping_prob, directions)
    return np.where(np.isnan(child), child, np.clip(child, 0.0, 1.0))


def inside(child: np.ndarray) -> bool:
    """Whether a child lies in the unit cube (NaN, an inactive parameter, counts as inside)."""
    values = child[~np.isnan(child)]
    return bool(np.all((values >= 0.0) & (values <= 1.0)))


def numeric_columns(space: Any) -> np.ndarray:
    """Which of ``space``'s parameters (in its order) a crossover or mutation may move: all
    but the choices."""
    from nntune.space import Choice

    return np.array([not isinstance(d, Choice) for d in space.params.values()], dtype=bool)


class BaseMutation(abc.ABC):
    """Subclass with ``mutation(param, rng, study, search_space_bounds) -> float``: a numeric
    parameter's new value (in the unit interval, ``search_space_bounds`` being ``[0, 1]``)."""

    def __str__(self) -> str:
        return type(self).__name__

    @abc.abstractmethod
    def mutation(self, param: float, rng: np.random.RandomState, study: Any,
                 search_space_bounds: np.ndarray) -> float:
        """The mutated value of ``param``."""


class PolynomialMutation(BaseMutation):
    """Polynomial mutation (Deb et al.'s NSGA-II code): a move about the value, the shorter
    the larger ``eta``."""

    def __init__(self, eta: float = 20.0) -> None:
        self._eta = _at_least_zero("eta", eta)

    def mutation(self, param: float, rng: np.random.RandomState, study: Any,
                 search_space_bounds: np.ndarray) -> float:
        u = rng.rand()
        lb, ub = float(search_space_bounds[0]), float(search_space_bounds[1])
        width = ub - lb
        if width <= 0.0:
            return param
        power = 1.0 / (self._eta + 1.0)
        if u <= 0.5:
            value = 2.0 * u + (1.0 - 2.0 * u) * (1.0 - (param - lb) / width) ** (self._eta + 1.0)
            delta_q = value ** power - 1.0
        else:
            value = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * (1.0 - (ub - param) / width) ** (self._eta + 1.0)
            delta_q = 1.0 - value ** power
        return param + delta_q * width


def check_mutation(mutation: Any) -> BaseMutation | None:
    """``mutation`` if it is one (or None), else one line naming the option."""
    if mutation is None:
        return None
    if isinstance(mutation, type):
        raise ConfigError("mutation", f"got the class {mutation.__name__}, not a mutation: call it, "
                                      f"mutation={mutation.__name__}()")
    if not callable(getattr(mutation, "mutation", None)):
        raise ConfigError("mutation", f"{mutation!r} is not a mutation: give nntune.samplers.nsgaii."
                                      "PolynomialMutation() or a BaseMutation subclass")
    return mutation  # type: ignore[no-any-return]


def mutated(mutation: BaseMutation, child: np.ndarray, mutate: np.ndarray, numeric: np.ndarray,
            rng: np.random.Generator, directions: Sequence[str]) -> np.ndarray:
    """``child`` with each ``mutate`` column changed, as Optuna's: a numeric one moved by
    ``mutation`` (and kept in the bounds), a choice or an inactive one drawn anew."""
    out = child.copy()
    bounds = np.array([0.0, 1.0])
    legacy = np.random.RandomState(int(rng.integers(2 ** 32)))
    study = _StudyView(directions)
    for i in np.flatnonzero(mutate):
        if numeric[i] and not np.isnan(out[i]):
            out[i] = float(np.clip(mutation.mutation(float(out[i]), legacy, study, bounds), 0.0, 1.0))
        else:
            out[i] = rng.random()
    return out
