"""Changing, stopping and forking trials of a stored study while they train.

Every control is a row in storage (nothing talks to a training process): a change waits
there until the trainer takes it at its next epoch boundary, under any executor. Bad
requests raise ``ConfigError(field, problem)`` before anything is written.
"""

from __future__ import annotations

import os
import shlex
import socket
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from nntune.changes import (CHANGEABLE, NO_DROPOUT, STOP, check_changes, check_for_model, check_for_optimizer,
                            check_for_schedule, fold)
from nntune.exceptions import ConfigError
from nntune.storage import ParamChange, Storage, TrialStateError, redact_url
from nntune.train.custom_model import is_custom
from nntune.trial import FrozenTrial, TrialState

USER = "user"


def find_trial(storage: Storage, study_id: int, study: str, number: int) -> FrozenTrial:
    try:
        return storage.get_trial(study_id, number, with_metrics=False)
    except KeyError:
        raise ConfigError("trial", f"no trial {number} in study {study!r}") from None


def _live(storage: Storage, study_id: int, study: str, number: int, action: str = "change") -> FrozenTrial:
    """Trial ``number`` while it waits or runs; an ended one is refused, with a fork as the
    way on only where there is one (a study of nntune babysit keeps per-epoch checkpoints;
    nntune tune's and a Python objective's trials have none to fork from)."""
    trial = find_trial(storage, study_id, study, number)
    if trial.state in (TrialState.RUNNING, TrialState.WAITING):
        return trial
    ended = f"trial {number} of study {study!r} is {trial.state.value}"
    if action == "stop":
        raise ConfigError("trial", f"{ended}: it has already ended")
    from nntune.panda_checks import ATTR as BABYSIT  # here: it imports the config's whole schema

    rec = storage.load_study(study)
    forkable = rec is not None and isinstance(rec.attrs.get(BABYSIT), dict) and bool(trial.intermediate_values)
    fork = (f"; fork it from one of its epochs instead: nntune trial fork --study {shlex.quote(study)} "
            f"--trial {number} --from-epoch N --set NAME=VALUE" if forkable else "")
    raise ConfigError("trial", f"{ended}; only a waiting or running trial can change{fork}")


def _add(storage: Storage, study_id: int, number: int, changes: Mapping[str, Any], who: str) -> list[ParamChange]:
    try:
        return storage.add_param_changes(study_id, number, changes, who=who)
    except TrialStateError as err:  # it finished between the check and the write
        raise ConfigError("trial", str(err)) from None


def set_trial_params(storage: Storage, study_id: int, study: str, number: int,
                     changes: Mapping[str, Any], *, who: str = USER) -> list[ParamChange]:
    """Queue hyperparameter changes for trial ``number``, taken at its next epoch boundary."""
    trial = _live(storage, study_id, study, number)
    checked = check_changes(changes, trial.distributions, own_names(trial))
    rec = storage.load_study(study)
    if rec is not None and runs_builtin_trainer(rec.attrs):  # a Python objective reads its own names
        check_for_optimizer(checked, optimizer_of(trial, rec.attrs))
        latest = fold({}, ((c.param, c.new) for c in storage.get_param_changes(study_id, number)))
        check_for_schedule(checked, lambda name: latest.get(name, trained_value(trial, rec.attrs, name)))
        if no_dropout(storage, study_id, trial):
            check_for_model(checked, trained_value(trial, rec.attrs, "model"))
    epochs = checked.get("epochs")
    if epochs is not None:
        done = epochs_behind(storage.get_trial(study_id, number) if trial.state == TrialState.RUNNING else trial)
        if epochs <= done:
            # Taken after the epoch in progress, it would end the trial past its new length.
            raise ConfigError("epochs", f"trial {number} has trained {done} epoch{'s' if done != 1 else ''} "
                                        f"already; give more than {done}, or stop it")
    return _add(storage, study_id, number, checked, who)


def epochs_behind(trial: FrozenTrial) -> int:
    """The epochs trial has trained: the last one the built-in trainer recorded, or for a
    fork that waits, its parent's epoch it starts after."""
    recorded = [int(r["epoch"]) for r in trial.metrics if isinstance(r.get("epoch"), (int, float))]
    start = trial.system_attrs.get("parent_step")
    return max(recorded + ([start] if isinstance(start, int) and not isinstance(start, bool) else []), default=0)


def optimizer_of(trial: FrozenTrial, study_attrs: Mapping[str, Any]) -> Any:
    """The optimizer the built-in trainer trains ``trial`` with (see :func:`trained_value`),
    else the default."""
    from nntune.train.optim_settings import OPTIM_DEFAULTS  # no torch

    optimizer = trained_value(trial, study_attrs, "optimizer")
    return OPTIM_DEFAULTS["optimizer"] if optimizer is None else optimizer


def trained_value(trial: FrozenTrial, study_attrs: Mapping[str, Any], name: str) -> Any:
    """The value of ``name`` the built-in trainer trains ``trial`` with: its own (searched,
    or given as a babysat trial's ``fixed_params``), else the tuned config's fixed one (its
    task's model for ``model``); None where none gives it."""
    config = study_attrs.get("config")
    config = config if isinstance(config, Mapping) else {}
    fixed, task = config.get("fixed"), config.get("task")
    start = trial.system_attrs.get("fixed_params")
    params = {**({"model": task.get("model")} if isinstance(task, Mapping) else {}),
              **(fixed if isinstance(fixed, Mapping) else {}), **trial.params,
              **(start if isinstance(start, dict) else {})}
    return params.get(name)


def no_dropout(storage: Storage, study_id: int, trial: FrozenTrial) -> bool:
    """Whether a new ``dropout`` would change nothing in ``trial``'s model, as the built-in
    trainer recorded when it built it (:data:`~nntune.changes.NO_DROPOUT`). A fork or
    continuation still waiting is built as its parent was, with the changes asked
    meanwhile, so its parent's record holds, unless the model's builder declares
    ``dropout`` and builds its layers with the new rate. Nothing recorded: it has Dropout,
    or is not built yet."""
    if trial.state != TrialState.WAITING:
        return bool(trial.system_attrs.get(NO_DROPOUT))
    parent = trial.system_attrs.get("parent")
    if not isinstance(parent, int) or isinstance(parent, bool) or "dropout" in own_names(trial):
        return False
    try:
        return bool(storage.get_trial(study_id, parent, with_metrics=False).system_attrs.get(NO_DROPOUT))
    except KeyError:
        return False


def own_names(trial: FrozenTrial) -> set[str]:
    """The names of the trial's parameters: searched, fixed where it was started with them,
    and those its own model (``module:Name``) declares, given or left at their defaults."""
    start = trial.system_attrs.get("fixed_params")
    start = start if isinstance(start, dict) else {}
    names = {*trial.params, *trial.distributions, *start}
    model = {**trial.params, **start}.get("model")
    if is_custom(model):
        from nntune.train.custom_model import model_hyperparameters

        try:
            names |= model_hyperparameters(model)
        except ConfigError:  # not importable from here: a change of its names reads as unknown, as before
            pass
    return names


def stop_trial(storage: Storage, study_id: int, study: str, number: int, *, who: str = USER) -> ParamChange:
    """Ask trial ``number`` to end after its current epoch, as pruned by ``who``. A trial
    still waiting ends now, before its first epoch, whoever would have run it (``nntune
    tune`` or ``babysit``): the stop comes back taken (``epoch`` set), with the changes it
    was asked, as babysit takes them before a first epoch."""
    trial = _live(storage, study_id, study, number, "stop")
    pid = gone_here(trial) if trial.state == TrialState.RUNNING else None
    if pid is not None:  # killed (kill -9): nothing would ever take the stop
        # The storage named too: without it the command would look in the default sqlite:///nntune.db.
        resume = (f"nntune babysit --resume --study {shlex.quote(study)} --trial {number} "
                  f"--storage {shlex.quote(redact_url(storage.url))}")
        raise ConfigError("trial", f"trial {number} of study {study!r} no longer trains: its process {pid} is gone; "
                                   f"{resume} continues it, or marks it failed where it has no checkpoint yet")
    stop = _add(storage, study_id, number, {STOP: True}, who)[0]
    if trial.state != TrialState.WAITING:
        return stop
    claimed = storage.claim_trial(study_id, waiting_only=True, number=number)
    if claimed is None:  # started meanwhile: it takes the stop after its current epoch
        return stop
    step = claimed.system_attrs.get("parent_step")
    epoch = step if isinstance(step, int) and not isinstance(step, bool) else 0
    taken = storage.take_param_changes(study_id, number, epoch, starting_params(storage, study_id, claimed))
    claim = {"claim": claimed.system_attrs["claim"]} if "claim" in claimed.system_attrs else {}
    storage.set_trial_system_attr(study_id, number, "stopped_by", who, **claim)
    storage.finish_trial(study_id, number, TrialState.PRUNED, **claim)
    return next(c for c in taken if c.id == stop.id)


def gone_here(trial: FrozenTrial) -> int | None:
    """The process id of babysat ``trial`` where that process, of this machine, no longer
    runs (kill -9, a crash), else None."""
    owner = trial.system_attrs.get("babysit")
    if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
        return None
    pid = owner.get("pid")
    return pid if isinstance(pid, int) and not isinstance(pid, bool) and not pid_alive(pid) else None


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine runs (one of another user's counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def starting_params(storage: Storage, study_id: int, trial: FrozenTrial) -> dict[str, Any]:
    """What trial would train its first epoch with before its changes: its parent's
    parameters at the epoch it forks from, else those it was queued with."""
    parent, step = trial.system_attrs.get("parent"), trial.system_attrs.get("parent_step")
    if isinstance(parent, int) and isinstance(step, int):
        try:
            full = storage.get_trial(study_id, parent, with_metrics=False)
        except KeyError:
            pass
        else:
            return params_at(full, storage.get_param_changes(study_id, parent), step)
    return params_at(trial, [])


def runs_builtin_trainer(study_attrs: Mapping[str, Any]) -> bool:
    """Whether a study's trials train with nntune's own trainer (``nntune tune`` stores its
    config, ``nntune babysit`` its own), which takes every change at its next epoch
    boundary. A study of a Python objective takes them only where the objective calls
    ``trial.take_changes``, so that no promise about epochs can be made for it."""
    return "config" in study_attrs or "babysit" in study_attrs


def effect_note(study_attrs: Mapping[str, Any]) -> str:
    """When a queued change takes effect, as said to the person who asked it."""
    if runs_builtin_trainer(study_attrs):
        return "from its next epoch"
    return "when its objective calls trial.take_changes (an objective that never does trains on unchanged)"


def stop_note(stop: ParamChange, study_attrs: Mapping[str, Any]) -> str:
    """What becomes of a trial asked to stop (``stop``: the row :func:`stop_trial` wrote)."""
    if not stop.pending:
        return "was waiting: it ends now, before its first epoch"
    if runs_builtin_trainer(study_attrs):
        return "stops after its current epoch"
    # A define-by-run objective sees the stop where it asks whether to prune, as Optuna users do.
    return ("stops when its objective next calls trial.should_prune() or trial.take_changes "
            "(an objective that calls neither runs to its end)")


def params_at(trial: FrozenTrial, changes: Sequence[ParamChange], epoch: int | None = None) -> dict[str, Any]:
    """What the trial trained with after ``epoch`` (after its last epoch when None): the
    parameters it started with (``fixed_params`` where it was started with them) and the
    changes it took at that epoch or before."""
    start = trial.system_attrs.get("fixed_params")
    base = {**trial.params, **(start if isinstance(start, dict) else {})}
    # A change taken as the run ended was never trained with: a fork from that epoch starts
    # without it, as without one never taken (a continuation takes both over, see queue_resume).
    taken = [(c.param, c.new) for c in changes
             if c.trial == trial.number and not c.pending and (epoch is None or int(c.epoch or 0) <= epoch)
             and not unused(c, trial, changes)]
    return fold(base, taken)


def unused(change: ParamChange, trial: FrozenTrial, changes: Sequence[ParamChange]) -> bool:
    """Whether ``change``, taken by ``trial`` after its epoch, was never trained with: the
    trial (complete or pruned) ended at that boundary, after its last epoch, an early stop,
    a stop asked beside it, the pruner, or Ctrl-C before the next epoch ended. ``changes``:
    the trial's, where its stop is. A stop is never unused (it ended the run); a failed
    trial trained on with it until it failed (a divergence in the next epoch)."""
    if change.pending or change.param == STOP or trial.state not in (TrialState.COMPLETE, TrialState.PRUNED):
        return False
    epoch = int(change.epoch or 0)
    # A stop ends the run where it is taken; a trial stopped while it waited reported nothing.
    if any(c.trial == trial.number and c.param == STOP and not c.pending and int(c.epoch or 0) <= epoch
           for c in changes):
        return True
    steps = trial.intermediate_values
    return bool(steps) and max(steps) <= epoch


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
    checked = check_changes(changes, parent.distributions, own_names(parent)) if changes else {}
    rec = storage.load_study(study)
    before = params_at(parent, storage.get_param_changes(study_id, number), epoch)
    if rec is not None and runs_builtin_trainer(rec.attrs):  # a Python objective reads its own names
        check_for_optimizer(checked, optimizer_of(parent, rec.attrs))
        check_for_schedule(checked, lambda name: before.get(name, trained_value(parent, rec.attrs, name)))
        if parent.system_attrs.get(NO_DROPOUT) and "dropout" not in own_names(parent):
            # The fork is built like its parent; a builder that declares dropout builds it with the new rate.
            check_for_model(checked, trained_value(parent, rec.attrs, "model"))
    epochs = {**before, **checked}.get("epochs")
    if isinstance(epochs, int) and not isinstance(epochs, bool) and epoch >= epochs:
        # It would start with nothing left to train and end failed: say so before writing it,
        # naming whose length it is (the fork's own epochs=, or the parent's).
        whose = "the fork would train" if "epochs" in checked else f"trial {number} trains"
        raise ConfigError("from_epoch", f"{whose} {epochs} epoch{'s' if epochs != 1 else ''}, so a "
                                        f"fork from epoch {epoch} has none left; give it more (epochs={epoch + 10})")
    child = storage.create_trial(study_id, state=TrialState.WAITING, distributions=parent.distributions,
                                 system_attrs={"fixed_params": {**before, **checked}, "parent": number,
                                               "parent_step": epoch, "fork": kind})
    # The fork's own values are queued with it as its first changes, taken after the parent's
    # epoch when it starts: a change asked while it waits comes after them, so the latest wins.
    differ = differences(before, checked)
    if differ:
        storage.add_param_changes(study_id, child, differ, who=USER)
    return child


def differences(before: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The changeable ``params`` whose value is not what ``before`` has (absent: the
    trainer's default, so any value differs)."""
    return {k: v for k, v in params.items() if k in CHANGEABLE and (k not in before or before[k] != v)}


def resumed_by(trials: Iterable[FrozenTrial]) -> dict[int, int]:
    """Trial number -> the first trial that continues it (``babysit --resume``), which took
    over the changes it was asked and never took (a stop excepted)."""
    out: dict[int, int] = {}
    for t in trials:
        parent = t.system_attrs.get("parent")
        if t.system_attrs.get("fork") == "resume" and isinstance(parent, int):
            out.setdefault(parent, t.number)
    return out


def by_trial(changes: Iterable[ParamChange]) -> dict[int, list[ParamChange]]:
    """``changes`` grouped by their trial's number (each trial's read once, not the study's each time)."""
    out: dict[int, list[ParamChange]] = {}
    for c in changes:
        out.setdefault(c.trial, []).append(c)
    return out


def change_status(change: ParamChange, state: TrialState, continued_by: int | None, used: bool = True) -> str:
    """``applied`` (taken after ``change.epoch`` and trained with), ``pending`` (its trial may
    still take it), or, for a change its trial never trained with (it ended before taking
    it, or took it as the run ended: ``used`` False): ``carried`` (its continuation
    ``continued_by`` took it over) or ``dropped``."""
    if not change.pending and used:
        return "applied"
    if change.pending and not state.is_finished():
        return "pending"
    return "carried" if continued_by is not None and change.param != STOP else "dropped"


def change_rows(storage: Storage, study_id: int, number: int | None = None) -> list[dict[str, Any]]:
    """Every change of trial ``number`` (or of all), oldest first, as ``{"trial", "epoch",
    "param", "old", "new", "who", "status", "carried_to"}`` (see :func:`change_status`); a
    change taken as its run ended keeps the epoch it came at, with its status."""
    changes = storage.get_param_changes(study_id, number)
    trials = {t.number: t for t in storage.get_trials(study_id)} if changes else {}
    continued, own = resumed_by(trials.values()), by_trial(changes)
    rows = []
    for c in changes:
        trial = trials.get(c.trial)
        state = trial.state if trial is not None else TrialState.RUNNING
        used = trial is None or not unused(c, trial, own[c.trial])
        status = change_status(c, state, continued.get(c.trial), used)
        rows.append({"trial": c.trial, "epoch": c.epoch, "param": c.param, "old": c.old, "new": c.new,
                     "who": c.who, "status": status,
                     "carried_to": continued.get(c.trial) if status == "carried" else None})
    return rows


def changes_by_trial(store: Storage, study_id: int) -> dict[int, list[dict[str, Any]]]:
    """The hyperparameter changes each trial took while training (``nntune trial set``), as
    :func:`trained_changes` gives them: the mark after ``epoch`` on its curves."""
    changes = store.get_param_changes(study_id)
    trials = {t.number: t for t in store.get_trials(study_id)} if changes else {}
    out = {number: trained_changes(trials.get(number), own) for number, own in by_trial(changes).items()}
    return {number: rows for number, rows in out.items() if rows}


def trained_changes(trial: FrozenTrial | None, changes: Sequence[ParamChange]) -> list[dict[str, Any]]:
    """The changes of ``trial`` (its own ``changes``, oldest first) that it trained with, as
    ``{"epoch", "param", "old", "new", "who"}``: epochs after ``epoch`` trained with ``new``.
    One taken as the run ended marks no epoch: none trained with it. The same rows serve
    ``show`` and the model file, so both tell one history."""
    return [{"epoch": c.epoch, "param": c.param, "old": c.old, "new": c.new, "who": c.who} for c in changes
            if not c.pending and c.param != STOP and (trial is None or not unused(c, trial, changes))]


def record_inherited(storage: Storage, study_id: int, number: int, parent: int, step: int,
                     params: Mapping[str, Any], who: str) -> list[ParamChange]:
    """Record, as changes taken after ``step``, how trial ``number``'s starting ``params``
    differ from what its parent trained with at that epoch (PBT's explore step; a fork
    queued before :func:`fork_trial` stored its values as changes), so its curve, the
    parent's up to ``step``, carries the marks. It takes every pending change of the trial:
    call it only where none was asked (a fork's are queued with it, see :func:`fork_trial`)."""
    before = params_at(storage.get_trial(study_id, parent, with_metrics=False),
                       storage.get_param_changes(study_id, parent), step)
    # Every differing parameter, not only those a running model may change (CHANGEABLE):
    # the child is built afresh from its own, so explore may also switch its optimizer or
    # batch size, and a record without them would credit the other changes with their effect.
    diff = {k: v for k, v in params.items() if k in before and before[k] != v}
    if not diff:
        return []
    storage.add_param_changes(study_id, number, diff, who=who)
    return storage.take_param_changes(study_id, number, step, before)
