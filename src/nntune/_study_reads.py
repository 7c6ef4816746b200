"""What a :class:`~nntune._study.Study` reads back from storage: its objectives' directions,
its trials, the best of them (the Pareto front for several objectives), the study's
attributes and its metric names, and the two a user sets beside their reading (a user
attribute, the metric names). Every one is read from storage on each call: the study holds
no state of its own.

:class:`StudyReads` is the part of ``Study`` that does this; ``Study`` (in
:mod:`nntune._study`) adds asking, telling, running and changing trials.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterable, Sequence
from typing import Any

from nntune._frame import DATAFRAME_ATTRS, trials_frame
from nntune._json import refused_by_json
from nntune._studies import StudyDirection, counted_states
from nntune.samplers import is_feasible
from nntune.samplers._nsga import pareto_trials
from nntune.storage import Storage, StudyRecord
from nntune.storage._base import study_gone
from nntune.trial import Direction, FrozenTrial, TrialState, best_trial, counts_by_state


class StudyReads:
    """A study's trials, best trials, attributes and metric names, read from its storage."""

    # Set by Study.__init__.
    study_name: str
    storage: Storage
    id: int
    _directions: list[StudyDirection]

    @property
    def direction(self) -> Direction:
        """The objective's direction; a study of several objectives has none, as in Optuna
        (``directions`` holds each)."""
        if self.is_multi_objective:
            raise RuntimeError("a study of several objectives has no single direction; read directions "
                               "(one for each objective)")
        return self._directions[0]  # type: ignore[return-value]

    @property
    def directions(self) -> list[StudyDirection]:
        """Each objective's direction (one for a single-objective study)."""
        return list(self._directions)

    @property
    def is_multi_objective(self) -> bool:
        return len(self._directions) > 1

    def _history(self) -> list[FrozenTrial]:
        return self.storage.get_trials(self.id)

    def _feasible(self) -> list[FrozenTrial]:
        """Trials that meet their constraints (all, without constraints): best ones come from these."""
        return [t for t in self._history() if is_feasible(t)]

    @property
    def trials(self) -> list[FrozenTrial]:
        """All trials, in number order, with their per-step metric records."""
        return self.storage.get_trials(self.id, with_metrics=True)

    def get_trials(self, deepcopy: bool = True, states: Iterable[TrialState] | TrialState | None = None,
                   with_metrics: bool = False) -> list[FrozenTrial]:
        """Trials in number order. With ``deepcopy=False`` they may be shared with the
        storage's other readers (cheaper; do not change them), as in Optuna. ``states``: a
        collection of states, or one state alone (``states=TrialState.COMPLETE``)."""
        if isinstance(states, (str, enum.Enum)):  # a state is a string enum: iterated, it would be its letters
            states = (states,)
        if states is not None:
            states = counted_states(states)  # names and Optuna's states too; anything else in one line
        trials = self.storage.get_trials(self.id, states, with_metrics=with_metrics)
        return [copy.deepcopy(t) for t in trials] if deepcopy and not with_metrics else trials

    @property
    def best_trial(self) -> FrozenTrial:
        if self.is_multi_objective:
            raise RuntimeError("a study of several objectives has no single best trial; read best_trials "
                               "(the Pareto front)")
        best = best_trial(self._feasible(), self.direction)
        if best is None:
            raise ValueError(f"study {self.study_name!r} has no complete trial yet")
        return self.storage.get_trial(self.id, best.number)

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        return self.best_trial.params

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front: complete trials no other complete trial beats on every objective.
        For one objective, as in Optuna, every complete trial tied at the best value, in
        number order (``best_trial`` picks one of them)."""
        if not self.is_multi_objective:
            feasible = self._feasible()
            best = best_trial(feasible, self.direction)
            if best is None:
                return []
            return [self.storage.get_trial(self.id, t.number) for t in feasible
                    if t.state == TrialState.COMPLETE and t.value == best.value]
        return pareto_trials(self._feasible(), [str(d) for d in self._directions])

    def _record(self) -> StudyRecord:
        """This study's stored record. By name, so it is checked to be this study still: one
        deleted since this handle opened it, perhaps created again under its name, is gone."""
        rec = self.storage.load_study(self.study_name)
        if rec is None or rec.id != self.id:
            raise study_gone(self.id)
        return rec

    @property
    def system_attrs(self) -> dict[str, Any]:
        return {k: v for k, v in self._record().attrs.items() if k != "user_attrs"}

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._record().attrs.get("user_attrs", {}))

    def set_user_attr(self, key: str, value: Any) -> None:
        # One atomic step: threads and processes sharing the study each keep their key.
        try:
            self.storage.merge_study_attr(self.id, "user_attrs", lambda old: {**(old or {}), key: value})
        except TypeError as err:
            if not refused_by_json(err):
                raise
            # A value JSON cannot hold (a datetime, an object, a tuple as a key): say whose, as a trial's does.
            raise TypeError(f"user attribute {key!r}: {err}; store numbers, strings, lists or mappings "
                            "of them (str() a date)") from None

    def counts(self) -> dict[str, int]:
        return counts_by_state(self._history())

    def trials_dataframe(self, attrs: Sequence[str] = DATAFRAME_ATTRS, multi_index: bool = False) -> Any:
        """One row per trial with Optuna's columns (``number``, ``value`` or ``values_0``...,
        ``datetime_start``, ``datetime_complete``, ``duration``, ``params_*``,
        ``user_attrs_*``, ``system_attrs_*``, ``state``), as pandas."""
        return trials_frame(self._history(), attrs, multi_index=multi_index,
                            n_objectives=len(self._directions), metric_names=self.metric_names)

    @property
    def metric_names(self) -> list[str] | None:
        """The objectives' names given by :meth:`set_metric_names`, else None."""
        names = self._record().attrs.get("metric_names")
        return [str(n) for n in names] if isinstance(names, list) else None

    def set_metric_names(self, metric_names: list[str]) -> None:
        """Name the objectives, one name per direction: ``trials_dataframe`` then has
        ``values_NAME`` columns (``value_NAME`` for one objective) and the report and
        dashboard use the names."""
        if isinstance(metric_names, (str, bytes)) or not isinstance(metric_names, Iterable):
            # A lone name would be read letter by letter: "ab" named two objectives "a" and "b".
            raise ValueError(f"metric_names: must be a list of names, one per objective, such as ['loss'], "
                             f"got {metric_names!r}")
        names = [str(n) for n in metric_names]
        if len(names) != len(self._directions):
            raise ValueError("The number of objectives must match the length of the metric names.")
        # Each name keys its objective's column: two alike would show one objective's values
        # under both, and an empty one a column named "values" alone.
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated or "" in names:
            raise ValueError(f"metric_names: each objective needs its own non-empty name, got {names}")
        self.storage.set_study_attr(self.id, "metric_names", names)
        self.storage.set_study_attr(self.id, "metrics", names)
