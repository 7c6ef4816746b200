"""Brute force: every combination of a discrete space once, conditional parameters included.

A define-by-run objective asks some parameters only after others took certain values
(``b`` only when ``a == 0``), so the combinations are the paths of a tree, not the product
of the axes. The tree is rebuilt from the history at each draw (:func:`tree_of`): a node
is a parameter reached after the values above it, its children the values trials took
there, and a path ends where a trial asked nothing more. A value no trial took is
unexplored; the search is over when no node has one left (:func:`exhausted`). Each new
value is drawn among the unexplored ones at its node, else among the values whose
subtrees still hold some (:func:`choose`), so a conditional parameter is tried under every
value that switches it on.

The sampler is asked one parameter at a time with the trial's values so far (Optuna's
``sample_independent``), the only way to know where in the tree a trial stands; nntune's
``suggest`` over a declared space walks the same tree in the space's order.

Threads sharing a study: a trial that has asked only its first parameters does not yet
hold the rest of its path, so a trial of the other thread could take the one value left
below it, and the first would run a path twice. At its first draw a trial therefore plans
the rest of its path as far as the tree knows it (:func:`plan`), and the other trials of
this process see that plan as the path it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nntune._distribution_extras import steps_in
from nntune.exceptions import ConfigError
from nntune.samplers._base import name_salt, queued, resolve_seed
from nntune.samplers._checks import check_flag
from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Choice, Distribution, Float, Int, Space, Value
from nntune.storage._base import CLAIM
from nntune.trial import FrozenTrial, TrialState

# Finished trials mark their path explored, a failed one too, as Optuna's: running its
# combination again would fail again, and a study with a caught error never ended. A
# waiting one does not (not started).
EXPLORED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.DIVERGED, TrialState.FAIL)


# More values than this for one parameter is a search that would never end (and a list
# of 2**62 integers that Python cannot build): refused in one line instead.
MAX_VALUES = 10**6


def discrete_values(name: str, dist: Distribution) -> list[Value]:
    """Every value of a discrete distribution; a float range needs a step."""
    if isinstance(dist, Choice):
        # 2 and 2.0 are one value of the tree (value_key): choices that differ only so are
        # tried once, or the node counted more values than it could hold and never ended.
        distinct: dict[tuple[str, Any], Value] = {}
        for v in dist.values:
            distinct.setdefault(value_key(v), v)
        return list(distinct.values())
    if isinstance(dist, Int):
        n = dist.high - dist.low + 1 if dist.log else dist.n_values
    elif isinstance(dist, Float) and dist.step is not None:
        n = steps_in(dist.low, dist.high, dist.step)[0] + 1
    else:
        raise ConfigError(name, f"brute force needs a discrete distribution (choices, integers or a float "
                                f"with a step), got {dist!r}")
    if n > MAX_VALUES:
        raise ConfigError(name, f"brute force over {n} values would never finish (at most {MAX_VALUES}); "
                                f"narrow the range or raise the step")
    if isinstance(dist, Int):
        return list(range(dist.low, dist.high + 1, 1 if dist.log else dist.step))
    # The last value is high itself, as the other samplers draw it (0.9, not 0.8999999999999999).
    return [dist.low + i * dist.step for i in range(n - 1)] + [dist.high]  # type: ignore[operator]


def value_key(value: Any) -> tuple[str, Any]:
    """A value as a tree key: 2 and 2.0 are one value, True and 1 are not."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("number", float(value))
    return ("value", value)


@dataclass
class Node:
    """A parameter reached after the values above it (``name``, its ``size`` values, the
    subtree of each value taken), or the end of paths (``name`` None): ``ended`` when a
    finished trial asked nothing more here, ``running`` when a running trial is here."""

    name: str | None = None
    size: int = 0
    children: dict[tuple[str, Any], Node] = field(default_factory=dict)
    ended: bool = False
    running: bool = False


def grow(root: Node, path: Sequence[tuple[str, int, Any]], finished: bool) -> None:
    """Add one trial's path ``(name, number of values, value)`` in the order it asked."""
    node = root
    for name, size, value in path:
        if node.name is None:
            node.name, node.size = name, size
        elif node.name != name:
            raise ConfigError(name, f"brute force needs the same parameter after the same values: a trial asked "
                                    f"{name!r} where another asked {node.name!r}")
        node = node.children.setdefault(value_key(value), Node())
    if finished:
        node.ended = True
    else:
        node.running = True


def path_of(trial: FrozenTrial) -> list[Step]:
    """A trial's stored path, in the order it asked."""
    return [(name, len(discrete_values(name, trial.distributions[name])), value)
            for name, value in trial.params.items() if name in trial.distributions]


def tree_of(history: Sequence[FrozenTrial], skip: int | None = None,
            plans: Mapping[int, Sequence[Step]] | None = None) -> Node:
    """The tree of the trials' paths (``skip``: a trial number left out, the one asking).
    A running trial's path is its plan (``plans``, by number) where the plan begins with
    what it stored so far."""
    root = Node()
    for t in history:
        if t.number == skip or not (t.state in EXPLORED or t.state == TrialState.RUNNING):
            continue
        if not t.params and CLAIM not in t.system_attrs:
            # Added finished without parameters (add_trial: a baseline): no path of this
            # search. Its empty path ended the tree at the root, and optimize ran nothing.
            continue
        path = path_of(t)
        planned = (plans or {}).get(t.number) if t.state == TrialState.RUNNING else None
        if planned is not None and len(planned) > len(path) and [
                (n, value_key(v)) for n, _, v in planned[:len(path)]] == [(n, value_key(v)) for n, _, v in path]:
            path = list(planned)
        grow(root, path, finished=t.state != TrialState.RUNNING)
    return root


def exhausted(node: Node, running_counts: bool = True) -> bool:
    """Whether every path below ``node`` was tried (by a running trial too, if it counts)."""
    if node.name is None:
        return node.ended or (running_counts and node.running)
    return len(node.children) >= node.size and all(exhausted(c, running_counts) for c in node.children.values())


def node_at(root: Node, prefix: Mapping[str, Any]) -> Node | None:
    """The node a trial whose values so far are ``prefix`` (in the order it asked) stands
    at; None off the known tree."""
    node: Node | None = root
    for asked, value in prefix.items():
        if node is None or node.name != asked:
            return None
        node = node.children.get(value_key(value))
    return node


def pick(node: Node | None, name: str, values: Sequence[Value], rng: np.random.Generator) -> Value:
    """A value of ``name`` at ``node``: one no trial took there, else one whose subtree is
    not exhausted (by finished trials and then by running ones), else any (every path here
    was tried)."""
    if node is None or node.name != name:  # off the known tree: every value is a new path
        return values[int(rng.integers(len(values)))]
    for keep in (lambda c: c is None, lambda c: not exhausted(c, True), lambda c: not exhausted(c, False)):
        open_ = [v for v in values if keep(node.children.get(value_key(v)))]
        if open_:
            return open_[int(rng.integers(len(open_)))]
    return values[int(rng.integers(len(values)))]


def choose(root: Node, prefix: Mapping[str, Any], name: str, values: Sequence[Value],
           rng: np.random.Generator) -> Value:
    """A value of ``name`` for a trial whose values so far are ``prefix``: :func:`pick` at
    the node it stands at."""
    return pick(node_at(root, prefix), name, values, rng)


Step = tuple[str, int, Any]  # (parameter, its number of values, the value taken)


def plan(node: Node | None, first: Step, values_of: Mapping[str, Sequence[Value]],
         rng: np.random.Generator) -> list[Step]:
    """The path below ``node`` that a trial taking ``first`` there will most likely run:
    ``first``, then at each node the tree knows (and whose values ``values_of`` holds) the
    value :func:`pick` gives; it ends where the tree ends (an unexplored value, or a path
    that finished there)."""
    steps = [first]
    node = None if node is None else node.children.get(value_key(first[2]))
    while node is not None and node.name is not None and node.name in values_of and not node.ended:
        values = values_of[node.name]
        value = pick(node, node.name, values, rng)
        steps.append((node.name, len(values), value))
        node = node.children.get(value_key(value))
    return steps


class BruteForceSampler(OptunaMethods):
    """Every path of a discrete, possibly conditional, space once, in a seeded random order;
    the study stops once all have been tried (by running trials too, unless
    ``avoid_premature_stop``, which waits for them to finish, as Optuna's). Threads of one
    process see each other's planned paths, so a path runs twice there only when a trial
    started before the last path was drawn; worker processes see only stored values, so
    one choosing while another's objective has asked only some can repeat a path, as in
    Optuna."""

    def __init__(self, seed: int | None = None, avoid_premature_stop: bool = False) -> None:
        self.seed = resolve_seed(seed)
        self.avoid_premature_stop = check_flag("avoid_premature_stop", avoid_premature_stop)
        # Running trials' planned paths, by trial number (see the module's docstring); the
        # study draws under its sampling lock, so threads take turns at this.
        self._plans: dict[int, list[Step]] = {}

    def _rng(self, number: int, name: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, number, name_salt(name)])

    def is_exhausted(self, space: Space, history: Sequence[FrozenTrial]) -> bool:
        if queued(history):
            # An enqueued trial still runs, as Optuna's optimize runs it: one enqueued after
            # every path was tried waited for ever while optimize returned at once.
            return False
        root = tree_of(history, plans=getattr(self, "_plans", None))
        if root.name is None:
            # No trial asked anything: the space is empty once a finished trial shows it (its
            # path is empty), as Optuna's tree has it; a study whose objective asks nothing
            # ran for ever. A running one may yet ask, so it does not count here.
            return root.ended
        return exhausted(root, running_counts=not self.avoid_premature_stop)

    # nntune's seam: a declared space, walked in its order.
    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        root = tree_of(history, skip=number)
        out: dict[str, Any] = {}
        for name, dist in space.params.items():
            if space.is_active(name, out):
                out[name] = choose(root, out, name, discrete_values(name, dist), self._rng(number, name))
        return out

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        return choose(tree_of(history, skip=number), {}, name, discrete_values(name, dist), self._rng(number, name))

    # Optuna's seam, which the study uses: each parameter as the objective asks for it,
    # with the trial's values so far.
    def infer_relative_search_space(self, study: Any, trial: FrozenTrial) -> dict[str, Distribution]:
        return {}

    def sample_relative(self, study: Any, trial: FrozenTrial,
                        search_space: Mapping[str, Distribution]) -> dict[str, Any]:
        return {}

    def sample_independent(self, study: Any, trial: FrozenTrial, param_name: str,
                           param_distribution: Distribution) -> Any:
        history = study.get_trials(deepcopy=False)
        running = {t.number for t in history if t.state == TrialState.RUNNING}
        self._plans = {n: p for n, p in getattr(self, "_plans", {}).items() if n in running}
        values = discrete_values(param_name, param_distribution)
        mine, depth = self._plans.get(trial.number), len(trial.params)
        if mine is not None and len(mine) > depth and mine[depth][0] == param_name:
            value = mine[depth][2]
            if any(value_key(value) == value_key(v) for v in values):
                return value  # the plan made at the trial's first draw holds its place
        root = tree_of(history, skip=trial.number, plans=self._plans)
        node, rng = node_at(root, trial.params), self._rng(trial.number, param_name)
        value = pick(node, param_name, values, rng)
        values_of: dict[str, list[Value]] = {}
        for t in history:
            for name, dist in t.distributions.items():
                if name not in values_of:
                    values_of[name] = discrete_values(name, dist)
        self._plans[trial.number] = path_of(trial) + plan(node, (param_name, len(values), value), values_of, rng)
        return value

    def __repr__(self) -> str:
        return f"BruteForceSampler(seed={self.seed})"


__all__ = ["BruteForceSampler", "choose", "discrete_values", "exhausted", "grow", "node_at", "pick", "plan", "tree_of"]
