"""One entry of a config's ``space`` (``space.<name>``): its keys checked against its type (a
choice takes values, a range low and high), then built as a distribution of
:mod:`nntune.space`, every error and warning naming the entry. :mod:`nntune.config`
re-exports :class:`ParamSpec`."""

from __future__ import annotations

import warnings
from typing import Any, Literal, Union

from pydantic import Field

from nntune.config_errors import StrictModel
from nntune.exceptions import ConfigError
from nntune.space import Beta, Choice, Distribution, Float, Int


class ParamSpec(StrictModel):
    type: Literal["float", "int", "choice", "beta"]
    low: Union[float, int, None] = None
    high: Union[float, int, None] = None
    log: bool = False
    step: Union[float, int, None] = None
    values: Union[list[Any], None] = None
    when: dict[str, list[Any]] = Field(default_factory=dict)
    # Where one would start by hand: trial 0 takes it, and a share of later trials are
    # drawn near it (``search.prior_weight``, ``search.prior_spread``).
    prior: Any = None

    def distribution(self, name: str) -> Distribution:
        where = f"space.{name}"
        if self.type == "choice":
            if self.values is None:
                raise ConfigError(f"{where}.values", "a choice needs a list of values")
            for field in ("low", "high", "step"):
                if getattr(self, field) is not None:
                    raise ConfigError(f"{where}.{field}", "not used by a choice (give values)")
            if self.log:
                raise ConfigError(f"{where}.log", "not used by a choice (its values are drawn alike)")
        else:
            if self.values is not None:
                raise ConfigError(f"{where}.values", f"not used by a {self.type} (give low and high)")
            for field in ("low", "high"):
                if getattr(self, field) is None:
                    raise ConfigError(f"{where}.{field}", f"a {self.type} needs {field}")
            if self.type == "beta" and self.step is not None:  # drawn on the (1 - beta) log scale, with no grid
                raise ConfigError(f"{where}.step", "not used by a beta; use a float with step for a grid")
        for parent, values in self.when.items():
            if not values:  # the condition never holds: the parameter would never be searched
                raise ConfigError(f"{where}.when.{parent}", "an empty list; give the values of "
                                                            f"{parent} under which {name} is searched")
        try:
            # A warning about the range (a high off the step's grid) names the parameter too.
            with warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always")
                dist = self._build()
            for w in said:
                warnings.warn(f"{where}.{w.message}", w.category, stacklevel=2)
            return dist
        except ConfigError as err:
            raise ConfigError(f"{where}.{err.field}", err.problem) from None

    def _build(self) -> Distribution:
        if self.type == "float":
            return Float(self.low, self.high, log=self.log, step=self.step)  # type: ignore[arg-type]
        if self.type == "int":
            return Int(self.low, self.high, log=self.log,  # type: ignore[arg-type]
                       step=1 if self.step is None else self.step)  # type: ignore[arg-type]
        if self.type == "beta":
            return Beta(self.low, self.high)  # type: ignore[arg-type]
        return Choice(tuple(self.values or ()))
