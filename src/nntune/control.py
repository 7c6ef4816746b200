"""Changing, stopping and forking trials of a stored study while they train.

Every control is a row in storage (nothing talks to a training process): a change waits
there until the trainer takes it at its next epoch boundary, under any executor. Bad
requests raise ``ConfigError(field, problem)`` before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nntune.changes import CHANGEABLE, STOP, check_changes, fold
from nntune.exceptions import ConfigError
from nntune.storage import ParamChange, Storage, TrialStateError
from nntune.trial import FrozenTrial, TrialState

USER = "user"


def find_trial(storage: Storage, study_id: int, study: str, number: int) -> FrozenTrial:
    try:
        return storage.get_trial(study_id, number, with_metrics=False)
    except KeyError:
        raise ConfigError("trial", f"no trial {number} in study {study!r}") from None


def _live(storage: Storage, study_id: int, study: str, number: int) -> FrozenTrial:
    trial = find_trial(storage, study_id, study, number)
    if trial.state not in (TrialState.RUNNING, TrialState.WAITING):
        raise ConfigError("trial", f"trial {number} of study {study!r} is {trial.state.value}; "
                                   "only a waiting or running trial can change (fork it instead)")
    return trial


def _add(storage: Storage, study_id: int, number: int, changes: Mapping[str, Any], who: str) -> list[ParamChange]:
    try:
        return storage.add_param_changes(study_id, number, changes, who=who)
    except TrialStateError as err:  # it finished between the check and the write
        raise ConfigError("trial", str(err)) from None


def set_trial_params(storage: Storage, study_id: int, study: str, number: int,
                     changes: Mapping[str, Any], *, who: str = USER) -> list[ParamChange]:
    """Queue hyperparameter changes for trial ``number``, taken at its next epoch boundary."""
    trial = _live(storage, study_id, study, number)
    return _add(storage, study_id, number, check_changes(changes, trial.distributions), who)


def stop_trial(storage: Storage, study_id: int, study: str, number: int, *, who: str = USER) -> ParamChange:
    """Ask trial ``number`` to end after its current epoch, as pruned by ``who``."""
    _live(storage, study_id, study, number)
    return _add(storage, study_id, number, {STOP: True}, who)[0]


def params_at(trial: FrozenTrial, changes: Sequence[ParamChange], epoch: int | None = None) -> dict[str, Any]:
    """What the trial trained with after ``epoch`` (after its last epoch when None): the
    parameters it started with (``fixed_params`` where it was started with them) and the
    changes it took at that epoch or before."""
    start = trial.system_attrs.get("fixed_params")
    base = {**trial.params, **(start if isinstance(start, dict) else {})}
    taken = [(c.param, c.new) for c in changes
             if c.trial == trial.number and not c.pending and (epoch is None or int(c.epoch or 0) <= epoch)]
    return fold(base, taken)


def fork_trial(storage: Storage, study_id: int, study: str, number: int, epoch: int,
               changes: Mapping[str, Any] | None = None, *, kind: str = "fork") -> int:
    """Queue a new trial that starts from trial ``number``'s checkpoint at ``epoch`` with its
    parameters there and ``changes``; its lineage (``parent``, ``parent_step``) is stored."""
    parent = find_trial(storage, study_id, study, number)
    if parent.state == TrialState.WAITING:
        raise ConfigError("trial", f"trial {number} of study {study!r} has not started")
    steps = sorted(parent.intermediate_values)
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch not in steps:
        span = f"{steps[0]}..{steps[-1]}" if steps else "none yet"
        raise ConfigError("from_epoch", f"trial {number} has no epoch {epoch!r} (epochs: {span})")
    checked = check_changes(changes, parent.distributions) if changes else {}
    params = {**params_at(parent, storage.get_param_changes(study_id, number), epoch), **checked}
    return storage.create_trial(study_id, state=TrialState.WAITING, distributions=parent.distributions,
                                system_attrs={"fixed_params": params, "parent": number,
                                              "parent_step": epoch, "fork": kind})


def changes_by_trial(store: Storage, study_id: int) -> dict[int, list[dict[str, Any]]]:
    """The hyperparameter changes each trial took while training (``nntune trial set``), as
    ``{"epoch", "param", "old", "new", "who"}``: the mark after ``epoch`` on its curves."""
    out: dict[int, list[dict[str, Any]]] = {}
    for c in store.get_param_changes(study_id):
        if not c.pending and c.param != "stop":
            out.setdefault(c.trial, []).append({"epoch": c.epoch, "param": c.param, "old": c.old,
                                                "new": c.new, "who": c.who})
    return out


def record_inherited(storage: Storage, study_id: int, number: int, parent: int, step: int,
                     params: Mapping[str, Any], who: str) -> list[ParamChange]:
    """Record, as changes taken after ``step``, how trial ``number``'s starting ``params``
    differ from what its parent trained with at that epoch (a fork's ``--set``, PBT's
    explore step), so its curve, the parent's up to ``step``, carries the marks."""
    before = params_at(storage.get_trial(study_id, parent, with_metrics=False),
                       storage.get_param_changes(study_id, parent), step)
    diff = {k: v for k, v in params.items() if k in CHANGEABLE and k in before and before[k] != v}
    if not diff:
        return []
    storage.add_param_changes(study_id, number, diff, who=who)
    return storage.take_param_changes(study_id, number, step, before)
