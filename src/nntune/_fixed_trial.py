"""``FixedTrial``: a trial whose parameters are given, not drawn, with no study or storage
behind it, as Optuna's. It runs an objective once at known values: to check an objective
before a search, or to train the best configuration again (``objective(FixedTrial(
study.best_params))``)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from nntune._distribution_extras import plain
from nntune._known_values import known_value
from nntune._trial import Suggestions, _check_same_kind, derive_seed, report_step
from nntune.space import Distribution


class FixedTrial(Suggestions):
    """Answers each ``suggest_*`` with ``params[name]``; a name not given raises ValueError,
    a value outside the asked range or choices is returned with a warning (as Optuna).
    ``report`` keeps the curve in ``intermediate_values``; ``should_prune`` is always False."""

    def __init__(self, params: Mapping[str, Any], number: int = 0, *, seed: int = 0) -> None:
        if not isinstance(params, Mapping):  # FixedTrial(None) or a list of pairs: a slip, said in one line
            raise TypeError(f"params: must be a dict of parameter values by name, got {type(params).__name__} "
                            f"{params!r}")
        self._given = dict(params)
        self.number = int(number)
        self._study_seed = int(seed)
        self._params: dict[str, Any] = {}
        self._dists: dict[str, Distribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self.intermediate_values: dict[int, float] = {}
        self.datetime_start = datetime.datetime.now()

    @property
    def seed(self) -> int:
        """The per-trial seed a study seeded ``seed`` would give trial ``number``."""
        return derive_seed(self._study_seed, self.number)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._system_attrs)

    def suggest(self, name: str, dist: Distribution) -> Any:
        """``params[name]``, checked against ``dist`` (a warning when outside it)."""
        value = given_value(name, dist, self._given, self._dists, missing="no value given; pass it in the "
                                                                           "FixedTrial's params")
        self._params[name] = value
        return value

    def report(self, value: float, step: int, metrics: Mapping[str, Any] | None = None) -> None:
        step = report_step(step)  # as the live trial takes it: 2.0 or np.int64(2) is step 2
        self.intermediate_values[step] = float(value)

    def should_prune(self) -> bool:
        return False

    def pending_changes(self) -> dict[str, Any]:
        return {}  # nobody can change a fixed trial while it trains

    def take_changes(self, epoch: int, current: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def set_user_attr(self, key: str, value: Any) -> None:
        self._user_attrs[key] = value

    def set_user_attrs(self, attrs: Mapping[str, Any]) -> None:
        self._user_attrs.update(attrs)

    def set_system_attr(self, key: str, value: Any) -> None:
        self._system_attrs[key] = value


def given_value(name: str, dist: Distribution, given: Mapping[str, Any], asked: dict[str, Distribution], *,
                missing: str, stacklevel: int = 4) -> Any:
    """``given[name]``, the answer to a ``suggest_*`` asking for ``dist``: the rule of a trial
    whose values are known beforehand (FixedTrial, and a FrozenTrial an objective runs on),
    as Optuna's. A name not given raises ValueError (``missing`` says why); a distribution of
    another kind than ``asked[name]`` (how the name was known or asked before) raises
    ConfigError, a ValueError, as Optuna does, since the value was drawn for another kind;
    the value itself is checked by :func:`~nntune._known_values.known_value`.
    ``asked[name]`` becomes ``dist``. ``stacklevel`` points the warning at the objective's
    line (by default: this helper, the trial's suggest, SuggestFamily's suggest_*, the caller)."""
    if name not in given:
        raise ValueError(f"{name}: {missing}")
    _check_same_kind(name, asked.get(name), dist)
    # A NumPy number (a value read from an array or a DataFrame) is the number it holds.
    value = known_value(name, dist, plain(given[name]), "given", stacklevel=stacklevel + 1)
    asked[name] = dist
    return value


__all__ = ["FixedTrial", "given_value"]
