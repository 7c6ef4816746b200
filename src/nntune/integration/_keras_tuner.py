"""KerasTuner's ``hp`` over an nntune trial: a ``build_model(hp)`` written for KerasTuner
runs unchanged inside an nntune objective, each ``hp.Int`` / ``hp.Float`` / ``hp.Choice`` /
``hp.Boolean`` drawn by the study's sampler as the matching ``trial.suggest_*``.

How KerasTuner's ranges map:

- ``Int(min, max, step)`` and ``Float(min, max, step)`` with linear sampling: the same range
  and step, ending at the last step within ``max`` as KerasTuner's does (``Int(6, 13,
  step=3)`` is 6, 9 or 12, without the warning a trial gives a range off its grid);
  ``sampling="log"`` without a step: the log scale;
- ``sampling="log"`` with a step: KerasTuner multiplies by the step (32, 64, ..., 512), so
  the range is that list of values, as a choice;
- ``sampling="reverse_log"`` (values crowded towards the top, for averaging coefficients
  such as momentum): nntune's (1 - beta) log scale, ``trial.suggest_beta``, within (0, 1);
- ``sampling`` is read as KerasTuner reads it: in any case (``"LOG"``), ``None`` as
  ``"linear"`` (its old default);
- ``Fixed(name, value)`` gives the value and is kept in :attr:`values`; a ``default`` is
  checked as KerasTuner checks it (a ``Choice``'s among its values, a ``Boolean``'s a bool)
  and not used (the sampler draws every value).

Conditions work as KerasTuner's: under ``conditional_scope(parent, values)``, or with
``parent_name`` and ``parent_values``, a hyperparameter whose parent has another value is
not drawn and gives ``None``. Under ``name_scope(scope)`` a name is ``scope/name``, as
KerasTuner's, so a block built twice in two scopes gets its own values in each.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from nntune._distribution_extras import steps_in
from nntune.exceptions import ConfigError

SAMPLINGS = ("linear", "log", "reverse_log")


def multiplied_values(low: float, high: float, step: float) -> list[float]:
    """KerasTuner's values of a log range with a step: ``low * step**i`` up to ``high``."""
    count = int(math.log(high / low, step) + 1e-8) + 1
    return [low * step ** i for i in range(count)]


def last_step(low: Any, high: Any, step: Any) -> Any:
    """The top of KerasTuner's linear range with a step: the last ``low + k * step`` within
    ``high``, which KerasTuner documents as the range's end. A step that is not positive is
    left for the trial to refuse."""
    if step is None or step <= 0:
        return high
    k, exact = steps_in(low, high, step)
    if exact:
        return high
    if all(isinstance(v, int) for v in (low, high, step)):
        return low + k * step
    return float(Decimal(str(low)) + k * Decimal(str(step)))  # 0.1 + 2 * 0.2 is 0.5, not 0.5000000000000001


class KerasTunerHyperParameters:
    """KerasTuner's ``HyperParameters`` for one trial (see the module's text)::

        def objective(trial):
            model = build_model(nntune.integration.KerasTunerHyperParameters(trial))
            model.fit(x, y, validation_split=0.2, epochs=10,
                      callbacks=[nntune.integration.KerasPruningCallback(trial, "val_accuracy")])
            ...
    """

    def __init__(self, trial: Any) -> None:
        self.trial = trial
        self.values: dict[str, Any] = {}  # the active values, as KerasTuner's ``hp.values``
        self._seen: set[str] = set()  # every name asked for, active or not
        self._scopes: list[tuple[str, tuple[Any, ...]]] = []
        self._name_scopes: list[str] = []

    # names --------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def name_scope(self, name: str) -> Iterator[None]:
        """Names asked for inside, and parents named inside, are ``name/...``."""
        self._name_scopes.append(str(name))
        try:
            yield
        finally:
            self._name_scopes.pop()

    def _scoped(self, name: str) -> str:
        return "/".join([*self._name_scopes, name])

    # conditions -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values: Any) -> Iterator[None]:
        """Hyperparameters asked for inside are drawn only while ``parent_name``'s value is
        one of ``parent_values`` (a value or a list); otherwise they give None."""
        self._scopes.append(self._condition(parent_name, parent_values))
        try:
            yield
        finally:
            self._scopes.pop()

    def _condition(self, parent_name: str, parent_values: Any) -> tuple[str, tuple[Any, ...]]:
        parent_name = self._scoped(str(parent_name))
        if parent_name not in self._seen:
            raise ConfigError("parent_name", f"no hyperparameter named {parent_name!r} has been defined before")
        values = tuple(parent_values) if isinstance(parent_values, (list, tuple, set)) else (parent_values,)
        return parent_name, values

    def _active(self, name: str, parent_name: str | None, parent_values: Any) -> bool:
        conditions = list(self._scopes)
        if parent_name is not None:
            conditions.append(self._condition(parent_name, parent_values))
        if any(parent == name for parent, _ in conditions):  # KerasTuner refuses it too
            raise ConfigError(f"{name}.parent_name", "a hyperparameter cannot be conditioned on itself")
        return all(parent in self.values and self.values[parent] in values for parent, values in conditions)

    def _draw(self, name: str, parent_name: str | None, parent_values: Any, draw: Callable[[str], Any]) -> Any:
        """``draw(full name)``'s value for ``name`` (within the name scopes), drawn once;
        None where a condition does not hold."""
        if not isinstance(name, str) or not name:
            raise ConfigError("name", f"a hyperparameter's name must be a non-empty string, got {name!r}")
        name = self._scoped(name)
        active = self._active(name, parent_name, parent_values)
        self._seen.add(name)
        if not active:
            return None  # as KerasTuner: an inactive value is never relied on
        if name not in self.values:
            self.values[name] = draw(name)
        return self.values[name]

    # KerasTuner's hyperparameters ----------------------------------------------------------------
    def Int(self, name: str, min_value: int, max_value: int, step: int | None = None,
            sampling: str | None = "linear", default: int | None = None, parent_name: str | None = None,
            parent_values: Any = None) -> int | None:
        sampling = _check_sampling(name, sampling, min_value, max_value, step)
        for field, value in (("min_value", min_value), ("max_value", max_value), ("step", step)):
            if value is not None and (isinstance(value, bool) or int(value) != value):
                raise ConfigError(f"{name}.{field}", f"must be a whole number, got {value!r}")
        if sampling == "reverse_log":  # nntune's (1 - beta) scale is for numbers within (0, 1)
            raise ConfigError(f"{name}.sampling", "reverse_log is for numbers within (0, 1) such as momentum; "
                                                  "use Float, or log for an Int")

        def draw(key: str) -> int:
            if sampling == "log" and step is not None:
                return int(self.trial.suggest_categorical(key, [int(round(v)) for v in
                                                               multiplied_values(min_value, max_value, step)]))
            # step 0 reaches the trial, which refuses it, rather than being read as 1
            low, stride = int(min_value), 1 if step is None else int(step)
            return self.trial.suggest_int(key, low, last_step(low, int(max_value), stride), step=stride,
                                          log=sampling == "log")

        return self._draw(name, parent_name, parent_values, draw)

    def Float(self, name: str, min_value: float, max_value: float, step: float | None = None,
              sampling: str | None = "linear", default: float | None = None, parent_name: str | None = None,
              parent_values: Any = None) -> float | None:
        sampling = _check_sampling(name, sampling, min_value, max_value, step)
        if sampling == "reverse_log" and not (0 < min_value < max_value < 1 and step is None):
            raise ConfigError(f"{name}.sampling", f"reverse_log is searched on the (1 - beta) log scale, within "
                                                  f"(0, 1) and without a step; got [{min_value}, {max_value}]"
                                                  + (f" with step {step}" if step is not None else ""))

        def draw(key: str) -> float:
            if sampling == "reverse_log":
                return self.trial.suggest_beta(key, min_value, max_value)
            if sampling == "log" and step is not None:
                return float(self.trial.suggest_categorical(key, multiplied_values(min_value, max_value, step)))
            return self.trial.suggest_float(key, min_value, last_step(min_value, max_value, step), step=step,
                                            log=sampling == "log")

        return self._draw(name, parent_name, parent_values, draw)

    def Choice(self, name: str, values: Sequence[Any], ordered: bool | None = None, default: Any = None,
               parent_name: str | None = None, parent_values: Any = None) -> Any:
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ConfigError(f"{name}.values", f"must be a non-empty list, got {values!r}")
        if default is not None and default not in values:
            raise ConfigError(f"{name}.default", f"{default!r} is not one of the values {list(values)!r}")
        return self._draw(name, parent_name, parent_values,
                          lambda key: self.trial.suggest_categorical(key, list(values)))

    def Boolean(self, name: str, default: bool = False, parent_name: str | None = None,
                parent_values: Any = None) -> bool | None:
        if default not in (True, False):  # KerasTuner's own check: 1 and 0 pass, as there
            raise ConfigError(f"{name}.default", f"must be True or False, got {default!r}")
        return self._draw(name, parent_name, parent_values,
                          lambda key: self.trial.suggest_categorical(key, [True, False]))

    def Fixed(self, name: str, value: Any, parent_name: str | None = None, parent_values: Any = None) -> Any:
        return self._draw(name, parent_name, parent_values, lambda key: value)

    # reading ------------------------------------------------------------------------------------
    def get(self, name: str) -> Any:
        """The value of ``name`` (within the name scopes): KeyError when never defined,
        ValueError when inactive."""
        name = self._scoped(str(name))
        if name in self.values:
            return self.values[name]
        if name in self._seen:
            raise ValueError(f"{name} is currently inactive.")
        raise KeyError(f"{name} does not exist.")

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._scoped(name) in self.values


def _check_sampling(name: str, sampling: str | None, min_value: float, max_value: float,
                    step: float | None) -> str:
    """KerasTuner's own checks: a range not upside down, a known sampling, a positive range
    for the log ones, and there a step above 1 (it multiplies). Returns the sampling as
    KerasTuner reads it: lower case, None as linear (its old default, still accepted)."""
    for field, value in (("min_value", min_value), ("max_value", max_value), ("step", step)):
        number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not number and not (field == "step" and value is None):
            raise ConfigError(f"{name}.{field}", f"must be a number, got {value!r}")
    if min_value > max_value:
        raise ConfigError(f"{name}.min_value", f"{min_value!r} is greater than max_value {max_value!r}")
    if sampling is None:
        sampling = "linear"
    if isinstance(sampling, str):
        sampling = sampling.lower()
    if sampling not in SAMPLINGS:
        raise ConfigError(f"{name}.sampling", f"unknown {sampling!r}; choose from {', '.join(SAMPLINGS)}")
    if sampling != "linear" and min_value <= 0:
        raise ConfigError(f"{name}.min_value", f"must be > 0 with sampling={sampling!r}, got {min_value!r}")
    if sampling != "linear" and step is not None and step <= 1:
        raise ConfigError(f"{name}.step", f"multiplies with sampling={sampling!r}, so it must be > 1, got {step!r}")
    return sampling
