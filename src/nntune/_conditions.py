"""Conditional parameters of a search space: the checks of its ``when`` conditions, whether a
value meets one, and the order that puts every parameter after those it depends on.

Kept apart from :mod:`nntune.space` (which re-exports ``same_value`` and ``parents_first``) so
that the space's module stays about the distributions and their scales; nothing here needs a
distribution's class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nntune.exceptions import ConfigError


def same_value(a: Any, b: Any) -> bool:
    """Whether a parameter's value is a condition's value: equal, and a bool only to a bool
    (Python's ``True == 1`` would make a choice of ``[True, 1]`` enable both branches)."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def check_conditions(params: Mapping[str, Any], conditions: Mapping[str, Mapping[str, Sequence[Any]]]) -> None:
    """A ConfigError naming ``space.<name>.when`` for a condition on an undeclared parameter,
    on a parent declared after it, or on values its parent can never take (``params`` maps
    each name, in order, to its distribution)."""
    names = list(params)
    for name, cond in conditions.items():
        if name not in params:
            raise ConfigError(f"space.{name}.when", "condition on an undeclared parameter")
        for parent, allowed in cond.items():
            if parent not in params:
                raise ConfigError(f"space.{name}.when", f"refers to {parent!r}, which the space does not "
                                                        f"declare (it declares {', '.join(map(repr, names))})")
            if names.index(parent) >= names.index(name):
                raise ConfigError(f"space.{name}.when",
                                  f"refers to {parent!r}, which must be declared before {name!r}")
            bad = [v for v in allowed if not params[parent].contains(v)]
            if bad:
                raise ConfigError(f"space.{name}.when",
                                  f"values {bad} are not possible for {parent!r}")


def parents_first(names: list[str], conditions: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """``names`` in their written order, except that a parameter named in another's
    ``when`` moves before it: a config written by hand keeps its order (and so its draws),
    and one whose keys were sorted or reordered (a YAML dump, a PostgreSQL JSON column)
    still builds. A condition on an unknown name is left for the space to report."""
    out: list[str] = []
    visiting: set[str] = set()

    def place(name: str) -> None:
        if name in out:
            return
        if name in visiting:
            raise ConfigError(f"space.{name}.when", "conditions refer to each other in a cycle")
        visiting.add(name)
        for parent in conditions.get(name, {}):
            if parent in names:
                place(parent)
        visiting.discard(name)
        out.append(name)

    for name in names:
        place(name)
    return out
