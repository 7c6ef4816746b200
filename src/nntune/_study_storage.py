"""``study._storage``: the study's storage as Optuna's ``BaseStorage`` answers the samplers,
pruners and callbacks written for Optuna that reach it through the study.

Such code calls Optuna's signatures (``set_trial_system_attr(trial._trial_id, key, value)``,
``get_trial(trial_id)``), where nntune's storages address a trial by study and number.
:class:`OptunaStudyStorage` takes Optuna's form of each call and hands every other name to
the storage itself, so a script passing ``study._storage`` on (``load_study(storage=...)``)
still gives nntune a storage; the three names both forms share tell them apart by their
positional arguments.

Optuna's trial ids are unique across a storage's studies; nntune numbers trials within their
study and a trial's ``_trial_id`` is its number. Here an id below :data:`OTHER_STUDY` is a
number in the study the view belongs to (so ``trial._trial_id`` of every trial the study
hands out works), and a trial of another study is given an id above it that names both.
"""

from __future__ import annotations

import copy
import dataclasses
from enum import Enum
from collections import UserDict
from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any

from nntune.exceptions import UpdateFinishedTrialError
from nntune.storage import Storage
from nntune.trial import FrozenTrial, TrialState

# The ids of other studies' trials start here; a study's own numbers never reach it.
OTHER_STUDY = 1 << 32


def trial_id_of(own_study: int, study_id: int, number: int) -> int:
    """The id the view of ``own_study`` gives trial ``number`` of ``study_id``."""
    return number if study_id == own_study else (study_id + 1) * OTHER_STUDY + number


def trial_address(own_study: int, trial_id: int) -> tuple[int, int]:
    """The (study id, number) an id given by the view of ``own_study`` names."""
    trial_id = int(trial_id)
    if trial_id < 0:
        raise KeyError(f"no trial with id {trial_id}")
    if trial_id < OTHER_STUDY:
        return own_study, trial_id
    return trial_id // OTHER_STUDY - 1, trial_id % OTHER_STUDY


class StoredSystemAttrs(UserDict[str, Any]):
    """A running trial's system attributes, read from storage the first time they are looked
    at: Optuna hands them to ``sample_independent`` and ``prune`` so, and what a sampler's
    ``before_trial`` stored there is among them. A sampler that never looks costs no read."""

    def __init__(self, read: Callable[[], Mapping[str, Any]]) -> None:
        super().__init__()
        self._read: Callable[[], Mapping[str, Any]] | None = read

    def __getattribute__(self, key: str) -> Any:
        if key == "data":
            read = object.__getattribute__(self, "_read")
            if read is not None:
                self._read = None
                object.__getattribute__(self, "data").update(read())
        return super().__getattribute__(key)


class OptunaStudyStorage:
    """The storage of study ``study_id`` with Optuna's ``BaseStorage`` reads and attribute
    writes. ``finishing`` gives the number of the trial whose ``after_trial`` runs now: as
    in Optuna, a sampler may still write to it there, before it counts as finished."""

    def __init__(self, storage: Storage, study_id: int, finishing: Any = None) -> None:
        # A view handed back to a study (load_study(storage=study._storage)) wraps no view.
        self._inner: Storage = getattr(storage, "_inner", storage)
        self._own = study_id
        self._finishing = finishing

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_inner", "_own", "_finishing"):
            raise AttributeError(name)  # copy and pickle look for these before __init__ ran
        return getattr(self._inner, name)

    @property
    def storage(self) -> Storage:
        """nntune's storage under the view."""
        return self._inner

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OptunaStudyStorage) and other._inner is self._inner and other._own == self._own

    def __hash__(self) -> int:
        return hash((id(self._inner), self._own))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inner!r}, study_id={self._own})"

    # trial ids ------------------------------------------------------------------------
    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        self._frozen(int(study_id), int(trial_number))  # a KeyError for no such trial, as Optuna's
        return trial_id_of(self._own, int(study_id), int(trial_number))

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self.get_trial(trial_id).number

    # trial reads ----------------------------------------------------------------------
    def get_trial(self, *args: Any, **kwargs: Any) -> FrozenTrial:
        """Optuna's ``get_trial(trial_id)``, or nntune's ``get_trial(study_id, number)``."""
        if len(args) + ("number" in kwargs) >= 2:
            return self._inner.get_trial(*args, **kwargs)
        (trial_id,) = args or (kwargs["trial_id"],)
        return self._frozen(*trial_address(self._own, trial_id))

    def get_trial_params(self, trial_id: int) -> dict[str, Any]:
        return self.get_trial(trial_id).params

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        """The parameter as its distribution's internal number (a choice's index), as Optuna's."""
        trial = self.get_trial(trial_id)
        return trial.distributions[param_name].to_internal_repr(trial.params[param_name])

    def get_trial_user_attrs(self, trial_id: int) -> dict[str, Any]:
        return self.get_trial(trial_id).user_attrs

    def get_trial_system_attrs(self, trial_id: int) -> dict[str, Any]:
        return self.get_trial(trial_id).system_attrs

    def get_all_trials(self, study_id: int, deepcopy: bool = True,
                       states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        trials = self._inner.get_trials(int(study_id), _states(states))
        if int(study_id) != self._own:
            trials = [self._with_id(int(study_id), t) for t in trials]
        return copy.deepcopy(trials) if deepcopy else list(trials)

    def get_n_trials(self, study_id: int, state: Any = None) -> int:
        return len(self._inner.get_trials(int(study_id), _states(state)))

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        best = self._inner.get_best_trial(int(study_id))  # type: ignore[attr-defined]
        return best if int(study_id) == self._own else self._with_id(int(study_id), best)

    # attribute writes -----------------------------------------------------------------
    def set_trial_system_attr(self, *args: Any, **kwargs: Any) -> None:
        """Optuna's ``set_trial_system_attr(trial_id, key, value)``, or nntune's
        ``set_trial_system_attr(study_id, number, key, value, claim=...)``."""
        if len(args) >= 4 or "claim" in kwargs:
            self._inner.set_trial_system_attr(*args, **kwargs)
            return
        trial_id, key, value = _optuna_attr_args(args, kwargs)
        study_id, number = self._updatable(trial_id)
        self._inner.set_trial_system_attr(study_id, number, key, value)

    def set_trial_user_attr(self, *args: Any, **kwargs: Any) -> None:
        """Optuna's ``set_trial_user_attr(trial_id, key, value)``, or nntune's
        ``set_trial_user_attr(study_id, number, key, value)``."""
        if len(args) >= 4:
            self._inner.set_trial_user_attr(*args, **kwargs)
            return
        trial_id, key, value = _optuna_attr_args(args, kwargs)
        study_id, number = self._updatable(trial_id)
        self._inner.set_trial_user_attr(study_id, number, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        if key == "user_attrs":  # where nntune keeps the study's user attributes
            raise ValueError("key: 'user_attrs' holds the study's user attributes; set them with "
                             "set_study_user_attr")
        self._inner.set_study_attr(int(study_id), key, value)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._inner.merge_study_attr(int(study_id), "user_attrs", lambda old: {**(old or {}), key: value})

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        if TrialState(trial_state.name).is_finished():  # Optuna's own state too, by its name
            number = self.get_trial_number_from_id(trial_id)
            raise UpdateFinishedTrialError(f"Trial#{number} has already finished and can not be updated.")

    # helpers --------------------------------------------------------------------------
    def _frozen(self, study_id: int, number: int) -> FrozenTrial:
        trial = self._inner.get_trial(study_id, number, with_metrics=False)
        return trial if study_id == self._own else self._with_id(study_id, trial)

    def _with_id(self, study_id: int, trial: FrozenTrial) -> FrozenTrial:
        return dataclasses.replace(trial, trial_id=trial_id_of(self._own, study_id, trial.number))

    def _updatable(self, trial_id: int) -> tuple[int, int]:
        """The address of a trial an attribute may be written to: one not finished yet, or
        the one whose ``after_trial`` runs now (Optuna finishes a trial after that hook)."""
        study_id, number = trial_address(self._own, trial_id)
        trial = self._inner.get_trial(study_id, number, with_metrics=False)
        finishing = self._finishing() if callable(self._finishing) else None
        if trial.state.is_finished() and not (study_id == self._own and number == finishing):
            raise UpdateFinishedTrialError(f"Trial#{number} has already finished and can not be updated.")
        return study_id, number


def _optuna_attr_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, str, Any]:
    named = dict(zip(("trial_id", "key", "value"), args), **kwargs)
    missing = [k for k in ("trial_id", "key", "value") if k not in named]
    if missing or len(named) > 3:
        raise TypeError(f"takes (trial_id, key, value), as Optuna's storage, got {len(args)} positional "
                        f"and {sorted(kwargs)} named arguments")
    return int(named["trial_id"]), str(named["key"]), named["value"]


def _states(states: Any) -> Iterable[TrialState] | None:
    """Optuna's ``state``/``states``: None, one state (nntune's, Optuna's own, a name), or a
    container of them; each read by its name, as the storages read it."""
    if states is None:
        return None
    return [states] if isinstance(states, (Enum, str)) else list(states)
