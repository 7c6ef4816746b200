"""Study-level analysis as plain data: the search space, optimization history (best so far),
parameter importance, and the best region of each parameter.

Importance is measured with scikit-learn: a random forest is fitted to the objective
values of the complete trials, with every parameter encoded on its own scale in the unit
cube (a learning rate by decades, a Beta by decades of 1 - beta, a Choice by its index),
and :func:`sklearn.inspection.permutation_importance` measures how much the forest's fit
drops when one parameter's column is shuffled. The best region narrows the space around
the top trials exactly as the coarse-to-fine sampler does, so it can seed its next stage.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from nntune.samplers import is_feasible
from nntune.samplers._coarse_to_fine import narrow
from nntune.space import Beta, Choice, Distribution, Float, Int, Space
from nntune.trial import Direction, FrozenTrial, TrialState, ranked

# Fewer complete trials than this say little about which parameter matters: the report
# shows no importance below it, and get_param_importances answers with a warning.
IMPORTANCE_MIN_TRIALS = 8
# Below this, no importance at all: one trial has no variation to explain.
IMPORTANCE_FEWEST_TRIALS = 2
# A forest on more than this many trials adds time, not insight: larger studies are
# thinned to an evenly spaced subset (by trial number), which keeps the report fast.
IMPORTANCE_MAX_TRIALS = 1000
# Forest size and permutation repeats: enough for stable rankings on a few parameters.
IMPORTANCE_TREES = 64
IMPORTANCE_REPEATS = 5
# Leaves of at least 3 trials keep the forest from memorizing single trials, so shuffling
# an irrelevant parameter costs little. Below 24 trials such leaves leave too few splits:
# on x + y (12 random studies each) 8 trials gave y a mean share of 0.35 and 0 in some
# studies with leaves of 3, 0.44 and at least 0.1 with leaves of 1, while an irrelevant
# third parameter kept a share of 0.05 either way (see importance_min_leaf).
IMPORTANCE_MIN_LEAF = 3


def importance_min_leaf(n_trials: int) -> int:
    """The forest's smallest leaf for ``n_trials`` trials: 1 below 16, 2 below 24, then 3."""
    return max(1, min(IMPORTANCE_MIN_LEAF, n_trials // 8))
# Inactive (conditional) or missing parameters are encoded outside the unit interval,
# where a tree can split them off.
INACTIVE_CODE = -1.0


def complete_trials(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """Complete trials with a finite value, in number order."""
    return sorted((t for t in trials if t.state == TrialState.COMPLETE and t.value is not None
                   and math.isfinite(t.value)), key=lambda t: t.number)


def valued_trials(study: Any, target: Callable[[FrozenTrial], float] | None, use: str = "plot") -> list[FrozenTrial]:
    """The study's trials, complete ones valued by ``target`` when given (a study of several
    objectives needs it, to say which number to ``use``)."""
    trials = list(study.get_trials(deepcopy=False))
    if target is None:
        if study.is_multi_objective:
            raise ValueError(f"a study of several objectives needs target= to say which number to {use}")
        return trials
    # A pruned trial's value is the objective where it stopped, in other units than the
    # target's: it has no target value to show (Optuna's plots of a target skip it too).
    return [dataclasses.replace(t, value=float(target(t))) if t.state == TrialState.COMPLETE else
            dataclasses.replace(t, value=None) if t.state == TrialState.PRUNED else t for t in trials]


def chosen_space(study: Any, trials: Sequence[FrozenTrial], params: Sequence[str] | None) -> Space:
    """The study's space (:func:`study_space`), or its ``params`` in their given order; a
    name the study does not have is a ValueError naming it."""
    if isinstance(params, str):  # iterated, "lr" would be the parameters "l" and "r"
        raise ValueError(f"params: give a list of parameter names such as [{params!r}], not the string {params!r}")
    rec = study.storage.load_study(study.study_name)
    space = study_space(trials, rec.attrs if rec else None)
    if params is None:
        return space
    unknown = [p for p in params if p not in space.params]
    if unknown:
        raise ValueError(f"params: {unknown} are not parameters of study {study.study_name!r}")
    return Space({p: space.params[p] for p in params})


def study_space(trials: Sequence[FrozenTrial], attrs: Mapping[str, Any] | None = None) -> Space:
    """The study's declared space (``attrs["space"]``), else (define-by-run) every parameter
    the trials used, spanning every range they drew it from. A study may ask
    ``suggest_float("x", 0, 1)`` in one trial and ``("x", 5, 10)`` in a later one: read in
    the first range alone, the later trials' values would fall outside it and drop out of
    the slices, the importance and the best region, which then lay outside the best trial."""
    if attrs and isinstance(attrs.get("space"), Mapping):
        return Space.from_json(attrs["space"])
    params: dict[str, Distribution] = {}
    for t in sorted(trials, key=lambda t: t.number):
        for name, dist in t.distributions.items():
            params[name] = spanning(params[name], dist) if name in params else dist
    return Space(params)


def spanning(a: Distribution, b: Distribution) -> Distribution:
    """A distribution holding the values of both (``a`` where they are of different kinds):
    choices joined in order, ranges from the lower low to the higher high, log-scaled where
    both are; a step kept only where both ranges share it and its grid."""
    if a == b:
        return a
    if isinstance(a, Choice) and isinstance(b, Choice):
        seen = {repr(v) for v in a.values}  # by repr: True and 1 are different choices
        return Choice(tuple(a.values) + tuple(v for v in b.values if repr(v) not in seen))
    if isinstance(a, Beta) and isinstance(b, Beta):
        return Beta(min(a.low, b.low), max(a.high, b.high))
    if isinstance(a, Float) and isinstance(b, Float):
        step = a.step if a.step is not None and a.step == b.step and _on_grid(b.low - a.low, a.step) else None
        return Float(min(a.low, b.low), max(a.high, b.high), log=a.log and b.log, step=step)
    if isinstance(a, Int) and isinstance(b, Int):
        step = a.step if a.step == b.step and (b.low - a.low) % a.step == 0 else 1
        return Int(min(a.low, b.low), max(a.high, b.high), log=a.log and b.log, step=step)
    return a


def _on_grid(offset: float, step: float) -> bool:
    """Whether ``offset`` is a whole number of ``step``s, up to rounding: 0.3 / 0.1 is
    2.9999999999999996, yet a range from 0.3 by 0.1 shares the grid of one from 0."""
    steps = offset / step
    return abs(steps - round(steps)) <= 1e-9 * max(1.0, abs(steps))


def encode(space: Space, trials: Sequence[FrozenTrial]) -> np.ndarray:
    """One row per trial, one column per parameter, in [0, 1] on each parameter's scale (a
    value outside the range, enqueued or given, at its end, as ``to_unit`` puts it);
    :data:`INACTIVE_CODE` where a trial lacks the parameter or holds no value of it (a
    choice it does not list, a string for a number)."""
    out = np.full((len(trials), len(space.params)), INACTIVE_CODE)
    for i, t in enumerate(trials):
        for j, (name, dist) in enumerate(space.params.items()):
            if name in t.params:
                u = unit_or_none(dist, t.params[name])
                if u is not None:
                    out[i, j] = u
    return out


def unit_or_none(dist: Distribution, value: Any) -> float | None:
    try:
        if isinstance(dist, Choice) and not dist.contains(value):
            return None
        if not isinstance(dist, Choice) and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return None
        u = float(dist.to_unit(value))
    except (ValueError, TypeError, OverflowError):
        return None
    return u if math.isfinite(u) else None


def history(trials: Sequence[FrozenTrial], direction: Direction) -> dict[str, list[Any]]:
    """Optimization history: each complete trial's number and value, and the best value so
    far after it (``best``), in number order. The best counts only trials that meet the
    study's constraints, as ``study.best_value`` does (None before the first of them)."""
    numbers: list[int] = []
    values: list[float] = []
    best: list[float | None] = []
    current: float | None = None
    for t in complete_trials(trials):
        v = float(t.value)  # type: ignore[arg-type]
        if is_feasible(t) and (current is None or (v > current if direction == "maximize" else v < current)):
            current = v
        numbers.append(t.number)
        values.append(v)
        best.append(current)
    return {"number": numbers, "value": values, "best": best}


def thin(items: Sequence[Any], limit: int) -> list[Any]:
    """At most ``limit`` items, evenly spaced, first and last kept (deterministic)."""
    n = len(items)
    if n <= limit:
        return list(items)
    if limit <= 1:
        return list(items[:limit])
    idx = np.unique(np.round(np.linspace(0, n - 1, limit)).astype(int))
    return [items[i] for i in idx]


def param_importance(trials: Sequence[FrozenTrial], space: Space, *, seed: int = 0,
                     max_trials: int = IMPORTANCE_MAX_TRIALS,
                     min_trials: int = IMPORTANCE_MIN_TRIALS) -> dict[str, Any]:
    """Permutation importance of each parameter for a random-forest fit of the objective.

    Returns ``{"method", "n_trials", "r2", "importance": {name: share}, "std": {name: ...},
    "drop": {name: ...}}`` with shares that sum to 1 (negative drops count as 0), largest
    first, and each parameter's drop in the forest's R^2 as measured (``drop``); ``importance`` is
    empty with fewer than ``min_trials`` complete trials (:data:`IMPORTANCE_MIN_TRIALS`
    unless given) or when the values do not vary.
    """
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance

    done = thin(complete_trials(trials), max_trials)
    names = [n for n in space.params if any(n in t.params for t in done)]
    result: dict[str, Any] = {"method": "random forest + permutation importance (scikit-learn)",
                              "n_trials": len(done), "r2": None, "importance": {}, "std": {}, "drop": {}}
    y = np.array([t.value for t in done], dtype=float)
    if len(done) < max(min_trials, IMPORTANCE_FEWEST_TRIALS) or not names or bool(np.all(y == y[0])):
        return result
    # The forest's squared errors and R^2 overflow to inf (and NaN shares) for values near
    # 1e300, and underflow to 0 near 1e-300: the values are brought within [-1, 1] first. A
    # power of two scales every sum, square and ratio exactly, so the fit, its splits and R^2
    # are those of the values as given.
    y = np.ldexp(y, -int(np.frexp(np.max(np.abs(y)))[1]))
    sub = Space({n: space.params[n] for n in names})
    x = encode(sub, done)
    forest = RandomForestRegressor(n_estimators=IMPORTANCE_TREES, min_samples_leaf=importance_min_leaf(len(done)),
                                   random_state=seed, n_jobs=1)
    forest.fit(x, y)
    perm = permutation_importance(forest, x, y, n_repeats=IMPORTANCE_REPEATS, random_state=seed, n_jobs=1)
    raw = np.clip(perm.importances_mean, 0.0, None)
    total = float(raw.sum())
    shares = raw / total if total > 0 else np.full(len(names), 1.0 / len(names))
    order = np.argsort(-shares, kind="stable")
    result["r2"] = float(forest.score(x, y))
    result["importance"] = {names[i]: float(shares[i]) for i in order}
    result["std"] = {names[i]: float(perm.importances_std[i] / total) if total > 0 else 0.0 for i in order}
    result["drop"] = {names[i]: float(raw[i]) for i in order}
    return result


def scale_of(dist: Distribution) -> str:
    """How a parameter is searched: ``log``, ``linear``, ``1-beta log`` or ``categorical``."""
    if isinstance(dist, Choice):
        return "categorical"
    if isinstance(dist, Beta):
        return "1-beta log"
    return "log" if dist.log else "linear"


def describe_dist(dist: Distribution) -> dict[str, Any]:
    """A distribution as display data: its scale and its range (or its values)."""
    if isinstance(dist, Choice):
        return {"scale": scale_of(dist), "values": list(dist.values)}
    assert isinstance(dist, (Float, Int, Beta))
    return {"scale": scale_of(dist), "low": dist.low, "high": dist.high}


def best_region(trials: Sequence[FrozenTrial], space: Space, direction: Direction, *,
                top_k: int = 10, margin: float = 0.0) -> dict[str, Any]:
    """The region of the ``top_k`` best complete trials that meet the study's constraints,
    ranked as every leaderboard ranks them (:func:`nntune.trial.ranked`: ties go to the
    lower validation loss, fewer epochs, the lower number), so its first trial is the best
    trial (valued -inf in a minimized study, if one is); a trial that breaks a constraint,
    or valued the worst infinity, is no region to search next.

    ``space`` is the narrowed space as JSON (``Space.to_json``: usable as the next
    coarse-to-fine stage, or as a config's ``space``); ``params`` gives, per parameter, the
    full range, the narrowed one on the parameter's own scale, the best trial's value
    (``best``) and whether the best trial has the parameter at all (``in_best``: a
    conditional one may be absent, which ``best`` None cannot tell from a None choice).
    """
    # A value of the best infinity (-inf minimized) is the best trial, as Optuna and the
    # coarse-to-fine sampler rank it; one of the worst is a blow-up, no region to search next.
    worst = math.inf if direction == "minimize" else -math.inf
    done = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None and t.value != worst]
    top = ranked([t for t in done if is_feasible(t)], direction)[:max(1, top_k)]
    narrowed = narrow(space, top, margin) if top else space
    params: dict[str, Any] = {}
    for name, dist in space.params.items():
        used = [t.params[name] for t in top if name in t.params]
        params[name] = {"full": describe_dist(dist), "region": describe_dist(narrowed.params[name]),
                        "best": top[0].params.get(name) if top else None,
                        "in_best": bool(top) and name in top[0].params, "n_used": len(used)}
    return {"top_trials": [t.number for t in top], "margin": margin, "space": narrowed.to_json(),
            "params": params}


def param_points(trials: Sequence[FrozenTrial], space: Space, *,
                 include_pruned: bool = False) -> dict[str, dict[str, list[Any]]]:
    """For each parameter, the (value, objective, trial number, state) of every complete
    trial that used it, and of pruned ones (value where they stopped) on request: the data
    of a slice plot."""
    states = (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)
    used = [t for t in sorted(trials, key=lambda t: t.number) if t.state in states
            and t.value is not None and math.isfinite(t.value)]
    out: dict[str, dict[str, list[Any]]] = {}
    for name in space.params:
        rows = [(t.params[name], float(t.value), t.number, t.state.value)  # type: ignore[arg-type]
                for t in used if name in t.params]
        out[name] = {"x": [r[0] for r in rows], "value": [r[1] for r in rows], "number": [r[2] for r in rows],
                     "state": [r[3] for r in rows]}
    return out
