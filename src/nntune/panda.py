"""Babysitting one model (the notes' Panda): train one configuration as a trial of a study,
a checkpoint every epoch, changes taken at epoch boundaries, forks from any kept epoch.

The study remembers the config it was started with (study attribute ``babysit``), so a
fork or a resume from another terminal needs only the study's name. Forks and resumes reuse
the population-based-training machinery: a :class:`~nntune.schedulers.Proposal` names the
parent's epoch snapshot, and :func:`~nntune.builtin.make_objective` resumes it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nntune._files import check_writable_dir, folder_name, link_or_copy
from nntune._trial import Trial
from nntune.builtin import load_task_splits, make_objective
from nntune.changes import CHANGEABLE, STOP, range_words
from nntune.config import Config, parse_config
from nntune.control import find_trial, fork_trial, params_at, pid_alive, record_inherited, unused
from nntune.panda_checks import ATTR, check_same_task
from nntune.panda_snapshots import OnEpoch, retention, snapshots, trained_by
from nntune.exceptions import ConfigError, TrialPruned
from nntune.samplers import RandomSampler
from nntune.schedulers import NoScheduler, Proposal
from nntune.space import Distribution, Space
from nntune.train.basics import resolve_params
from nntune.storage import StudyRecord, get_storage
from nntune.study import Study, create_study, load_study
from nntune.trial import FrozenTrial, TrialState

# A babysat trial beats as an executor's does; silent this long, its process is taken for gone
# (the executors' defaults, see nntune.executors.WorkerOptions).
HEARTBEAT_SECONDS = 5.0
STALE_SECONDS = 60.0
FOLDER = "folder"  # in the study's ATTR: its own subfolder of <checkpoint_dir>/<study>


def open_babysit_study(cfg: Config) -> Study:
    """The config's study (created, or resumed when it exists, with the same task, split
    seed and checkpoint folder: see :func:`~nntune.panda_checks.check_same_task`),
    remembering the config."""
    check_writable_dir(_named_dir(cfg), "search.checkpoint_dir")  # before the study is touched
    many = cfg.task.is_multi_objective  # task.metric a list: one value per entry, as nntune tune
    storage = get_storage(cfg.storage)
    existing = storage.load_study(cfg.study)
    if existing is not None:
        check_same_task(cfg, existing)
    study = create_study(cfg.study, storage, direction=None if many else cfg.task.resolved_direction,
                         directions=cfg.task.directions if many else None, load_if_exists=True, seed=cfg.search.seed,
                         sampler=RandomSampler(cfg.search.seed), scheduler=NoScheduler())  # a person decides
    study.storage.set_study_attr(study.id, "metric", cfg.task.trained_metric)
    if many:
        study.storage.set_study_attr(study.id, "metrics", cfg.task.objectives)
    config = cfg.model_dump(mode="json")
    # A resume or fork from another folder (or the dashboard) finds the same checkpoints.
    config["search"]["checkpoint_dir"] = str(Path(cfg.search.checkpoint_dir).expanduser().resolve())
    study.storage.merge_study_attr(study.id, ATTR, lambda old: remembered(old, config, uuid.uuid4().hex[:12]))
    return study


def remembered(old: Any, config: dict[str, Any], key: str) -> dict[str, Any]:
    """The study's ATTR with ``config``: its checkpoint folder key kept; a new study's is
    ``key``. A study babysat before folders had keys keeps none, so its checkpoints (in
    <checkpoint_dir>/<study>) still resume and fork."""
    if isinstance(old, dict) and "config" in old:
        return {**old, "config": config}
    return {"config": config, FOLDER: key}


def copied_attrs(rec: StudyRecord) -> dict[str, Any]:
    """A babysat study's attributes for its copy (``copy_study``): a checkpoint folder key of
    its own, the original's files hard-linked into it, so the copy's trials resume and fork
    from their snapshots while neither study's new trials touch the other's files (with
    the original's key, trial N of each wrote the same files)."""
    info = rec.attrs.get(ATTR)
    if not isinstance(info, dict) or "config" not in info:
        return dict(rec.attrs)
    old, key = checkpoint_dir(babysit_config(rec), rec), uuid.uuid4().hex[:12]
    new = _named_dir(babysit_config(rec)) / key
    if old.is_dir():  # elsewhere (a copy made on another machine) the copy's old snapshots are gone, as said on a fork
        new.mkdir(parents=True, exist_ok=True)
        for path in old.glob("trial-*.pt"):
            link_or_copy(path, new / path.name)
    return {**rec.attrs, ATTR: {**info, FOLDER: key}}


def load_babysit_study(storage: str, name: str) -> tuple[Study, Config]:
    """A study started by ``nntune babysit`` and the config it remembers."""
    from nntune.studies import open_existing

    store = open_existing(storage)
    saved = store.load_study(name)
    seed = saved.attrs.get("seed") if saved is not None else None
    study = load_study(name, store, sampler=RandomSampler(seed), scheduler=NoScheduler())  # a person decides
    assert saved is not None  # load_study found it
    return study, babysit_config(saved)


def babysit_config(rec: StudyRecord) -> Config:
    """The config a study started by ``nntune babysit`` remembers."""
    info = rec.attrs.get(ATTR)
    if not isinstance(info, dict) or "config" not in info:
        raise ConfigError("study", f"study {rec.name!r} was not started by nntune babysit; "
                                   "its trials have no per-epoch checkpoints to continue from")
    return parse_config(info["config"], f"study {rec.name}")


def task_splits(cfg: Config) -> Any:
    """The config's data (see :func:`~nntune.builtin.load_task_splits`), kept until a trial
    trains on it: a fork or resume reads it before it is queued, so data that cannot be read
    (a relative path from another folder) leaves no queued trial behind, and trains on it.
    Not for a process that only queues (the dashboard): it would hold the data for nothing."""
    key = json.dumps([cfg.task.model_dump(mode="json"), cfg.search.seed], sort_keys=True)  # what the data is
    if key not in _LOADED:
        _LOADED.clear()  # one data set at a time
        _LOADED[key] = load_task_splits(cfg)
    return _LOADED[key]


_LOADED: dict[str, Any] = {}


def _named_dir(cfg: Config) -> Path:
    return Path(cfg.search.checkpoint_dir) / folder_name(cfg.study)


def checkpoint_dir(cfg: Config, study: Study | StudyRecord) -> Path:
    """Where ``study``'s trials keep their epoch snapshots: <checkpoint_dir>/<study>/<key>,
    the key random and kept with the study, so a study of the same name in another storage
    (or one deleted and made again) never reads or overwrites these files. A study babysat
    before keys existed keeps <checkpoint_dir>/<study>."""
    attrs = study.attrs if isinstance(study, StudyRecord) else _study_attrs(study)
    info = attrs.get(ATTR)
    key = info.get(FOLDER) if isinstance(info, dict) else None
    return _named_dir(cfg) / key if isinstance(key, str) and re.fullmatch(r"[0-9a-f]+", key) else _named_dir(cfg)


def _study_attrs(study: Study) -> dict[str, Any]:
    rec = study.storage.load_study(study.study_name)
    return rec.attrs if rec is not None else {}


def babysit_objective(cfg: Config, splits: Any, folder: Path, *, device: str | None = None,
                      on_epoch: OnEpoch | None = None) -> Callable[[Trial], float]:
    """The objective of a babysat trial: the parameters it was queued with (``fixed_params``),
    fresh weights or, for a fork or resume, its parent's snapshot at ``parent_step`` after the
    parent's curve up to there; a snapshot every epoch under the retention policy; Ctrl-C
    ends it as pruned by the user. ``folder``: the study's (see :func:`checkpoint_dir`)."""
    keep = retention(folder, cfg.checkpoints, cfg.task.trained_direction)  # the epochs' values are its

    def after_epoch(trial: Trial, epoch: int, record: dict[str, Any]) -> None:
        keep(trial, epoch, record)
        if on_epoch is not None:
            on_epoch(trial, epoch, record)

    def objective(trial: Trial) -> float | tuple[float, ...]:
        try:
            return train(trial)
        except KeyboardInterrupt:  # in an epoch, or while a fork replays its parent's curve
            trial.set_system_attr("stopped_by", "user")
            raise TrialPruned() from None

    def train(trial: Trial) -> float | tuple[float, ...]:
        store, sid = trial.study.storage, trial.study.id
        stored = store.get_trial(sid, trial.number, with_metrics=False)
        params = dict(stored.system_attrs.get("fixed_params") or cfg.hyperparameters())
        store.set_trial_params(sid, trial.number, params, {})
        trial.set_system_attr("babysit", {"pid": os.getpid(), "host": socket.gethostname()})
        proposal, before = None, params
        parent = stored.system_attrs.get("parent")
        if isinstance(parent, int):
            step = int(stored.system_attrs["parent_step"])
            proposal = Proposal(params, parent, step)
            full = store.get_trial(sid, parent)
            before = params_at(full, store.get_param_changes(sid, parent), step)
            for record in full.metrics:
                if record["step"] <= step:  # the fork's curve up to there is the parent's
                    trial.report(record["value"], record["step"],
                                 metrics={k: v for k, v in record.items() if k != "step"})
                    if on_epoch is not None:
                        on_epoch(trial, record["step"], record)
            if not store.get_param_changes(sid, trial.number):  # a fork queued without its changes stored
                record_inherited(store, sid, trial.number, parent, step, params, "user")
        # Taken before its first epoch, in the order asked (the latest wins): a fork's own
        # values (queued with it), then what was asked while it waited; after the parent's
        # epoch for a fork or resume, after epoch 0 for a new trial.
        # Old values as the trainer holds them: a parameter left at its default (dropout 0.0)
        # shows that default, as a change taken after a trained epoch does, not "-".
        early = trial.take_changes(proposal.parent_step if proposal else 0,
                                   resolve_params(before, splits.task_type))
        if early.pop(STOP, False):
            trial.set_system_attr("stopped_by", "user")
            raise TrialPruned()
        if early:
            params = {**params, **early}
            proposal = Proposal(params, proposal.parent, proposal.parent_step) if proposal else None
        run = make_objective(cfg.model_copy(update={"fixed": params}), Space({}), splits, device=device,
                             checkpoints=folder, snapshot_every=1, proposal=proposal, on_epoch=after_epoch,
                             resumed_by=None, resume_stopping=True)  # the same run continued
        value = run(trial)  # one value per task.metric entry with several objectives
        return tuple(float(v) for v in value) if isinstance(value, tuple) else float(value)
    return objective


@dataclass
class Babysat:
    study: Study
    trial: FrozenTrial


def train_queued(study: Study, cfg: Config, number: int, *, device: str | None = None,
                 on_epoch: OnEpoch | None = None) -> Babysat:
    """Claim queued trial ``number`` of ``study`` and train it here to its end."""
    folder = checkpoint_dir(cfg, study)
    check_writable_dir(folder, "search.checkpoint_dir")  # before the trial is claimed
    splits = task_splits(cfg)
    _LOADED.clear()  # the next run reads the data again (a file may change between runs)
    trial = study.try_ask(None, space=Space({}), waiting_only=True, number=number)
    if trial is None:
        raise ConfigError("trial", f"trial {number} of study {study.study_name!r} is not queued to train")
    from nntune.executors._memory import PeakMemory
    from nntune.executors._running import Heartbeat

    # Beats while an epoch runs, so a resume from another machine sees that it still trains.
    with Heartbeat(study.storage, study.id, HEARTBEAT_SECONDS, PeakMemory()) as heartbeat:
        heartbeat.current, heartbeat.claim = trial.number, trial.claim
        frozen = study.run_trial(trial, babysit_objective(cfg, splits, folder, device=device, on_epoch=on_epoch))
        heartbeat.current = None
    return Babysat(study, frozen)


def pin(space: dict[str, Any], name: str) -> Any:
    """Take ``name``'s entry out of ``space`` (entries as in YAML) for ``babysit --set`` to
    fix its value, and drop the conditions other entries put on it (momentum's ``when:
    {optimizer: [momentum]}``): nothing is searched, the ranges left only bound changes.
    Returns the entry taken (see :func:`pinned_ranges`)."""
    taken = space.pop(name)
    for spec in space.values():
        when = spec.get("when") if isinstance(spec, dict) else None
        if isinstance(when, dict) and name in when:
            spec["when"] = {k: v for k, v in when.items() if k != name}
    return taken


def pinned_ranges(specs: Mapping[str, Any]) -> dict[str, Distribution]:
    """The ranges of the changeable parameters whose ``space:`` entries (``specs``, as in
    YAML) ``babysit --set`` replaced by a value: no longer searched, they still bound changes."""
    kept = {name: {k: v for k, v in spec.items() if k not in ("when", "prior")}  # the range alone
            for name, spec in specs.items() if name in CHANGEABLE and isinstance(spec, dict)}
    return dict(parse_config({"space": kept}, "--set").build_space().params) if kept else {}


def declared_ranges(cfg: Config, pinned: Mapping[str, Distribution] | None = None) -> dict[str, Distribution]:
    """The ranges later changes must respect: the space's, for changeable parameters, and
    ``pinned`` (see :func:`pinned_ranges`). A pinned value outside its range is refused, as
    the same value given by ``nntune trial set`` would be."""
    declared = {n: d for n, d in cfg.build_space().params.items() if n in CHANGEABLE}
    start = cfg.hyperparameters()
    for name, dist in (pinned or {}).items():
        if name in start and not dist.contains(start[name]):
            raise ConfigError(name, f"{start[name]!r} is outside the range the space gives it, {range_words(dist)}")
        declared[name] = dist
    return declared


def queue_new(study: Study, cfg: Config, declared: Mapping[str, Distribution] | None = None) -> int:
    """Queue the config's configuration: its fixed values, the trainer's defaults for the
    rest. The ``space`` is not searched; ``declared`` (by default the space's ranges of
    changeable parameters, see :func:`declared_ranges`) bounds later changes."""
    ranges = dict(declared_ranges(cfg) if declared is None else declared)
    return study.storage.create_trial(study.id, state=TrialState.WAITING, distributions=ranges,
                                      system_attrs={"fixed_params": cfg.hyperparameters()})


def queue_fork(study: Study, cfg: Config, number: int, epoch: int,
               changes: Mapping[str, Any] | None = None) -> int:
    """Queue a fork of trial ``number`` at ``epoch``; refused (nothing written) when that
    epoch's snapshot is not kept."""
    parent = find_trial(study.storage, study.id, study.study_name, number)  # "no trial 7", not "no checkpoint"
    folder = checkpoint_dir(cfg, study)
    kept = {e: p for e, p in snapshots(folder, number).items() if e in parent.intermediate_values}
    if epoch not in kept and isinstance(epoch, int):
        have = epoch_spans(kept) or "none"
        owner = trained_by({t.number: t for t in study.storage.get_trials(study.id)}, number, epoch)
        # Up to where it started, a fork's or continuation's curve is its parent's, as are the snapshots.
        where = (f"; trial {owner} trained that epoch before trial {number} took over: "
                 f"fork trial {owner} at epoch {epoch}" if owner != number and epoch in snapshots(folder, owner) else "")
        raise ConfigError("from_epoch", f"no checkpoint of trial {number} at epoch {epoch} in {folder} "
                                        f"(kept: {have}){where}")
    return fork_trial(study.storage, study.id, study.study_name, number, epoch, changes)


def epoch_spans(epochs: Iterable[int]) -> str:
    """Epochs as runs of consecutive ones, ``1..135, 140``: a trial keeps a snapshot per
    epoch, so listing each would make an error of hundreds of numbers."""
    runs: list[list[int]] = []
    for e in sorted(set(epochs)):
        if runs and e == runs[-1][1] + 1:
            runs[-1][1] = e
        else:
            runs.append([e, e])
    return ", ".join(str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}..{b}" for a, b in runs)


def queue_resume(study: Study, cfg: Config, number: int) -> int:
    """Queue the continuation of trial ``number`` from its newest kept snapshot. A trial
    still marked running whose process is gone (kill -9 here, or elsewhere silent for
    ``STALE_SECONDS``: a lost machine) is failed first; one whose process still runs here,
    or whose heartbeat is fresher elsewhere, is refused."""
    trial = find_trial(study.storage, study.id, study.study_name, number)
    folder = checkpoint_dir(cfg, study)
    if trial.state == TrialState.WAITING:  # a queued fork (from the dashboard): train it as it is
        parent, step = trial.system_attrs.get("parent"), trial.system_attrs.get("parent_step")
        if isinstance(parent, int) and step not in snapshots(folder, parent):
            raise ConfigError("trial", f"trial {number} starts from trial {parent}'s checkpoint at epoch {step}, "
                                       f"which is not kept in {folder}")
        task_splits(cfg)  # data that cannot be read here fails nothing
        return number
    if trial.state == TrialState.COMPLETE:  # it trained every epoch: a continuation has none left
        raise ConfigError("trial", f"trial {number} is complete; nothing is left to resume (nntune trial fork "
                                   f"--study {study.study_name} --trial {number} --from-epoch E trains on "
                                   "from an epoch's checkpoint)")
    after = continuation(study.storage.get_trials(study.id), number)
    if after is not None and after.state == TrialState.WAITING:  # queued, never started: train that one
        return queue_resume(study, cfg, after.number)
    if after is not None and (after.state == TrialState.RUNNING or trained_own_epoch(after)):
        # Another continuation would start from the same epoch and take the changes trial
        # ``number`` was asked and never took a second time.
        raise ConfigError("trial", f"trial {number} was continued by trial {after.number} ({after.state.value}); "
                                   f"resume that one (--trial {after.number}), or fork trial {number} from an "
                                   "epoch with nntune trial fork")
    kept = sorted(e for e in snapshots(folder, number) if e in trial.intermediate_values)
    if not kept:
        if trial.state == TrialState.RUNNING:  # killed before its first epoch: it would read as running forever
            fail_if_gone(study, trial)
        why = "" if trial.intermediate_values else " (it ended before its first epoch)"
        raise ConfigError("trial", f"trial {number} has no kept checkpoint in {folder} to continue from{why}")
    task_splits(cfg)  # data that cannot be read here stops before anything is written
    if trial.state == TrialState.RUNNING:
        fail_if_gone(study, trial)
    child = fork_trial(study.storage, study.id, study.study_name, number, kept[-1], kind="resume")
    # What was asked of the interrupted trial and never trained with (never taken, or taken
    # as it stopped) goes to its continuation, in the order asked: the latest wins.
    asked = study.storage.get_param_changes(study.id, number)
    pending = {c.param: c.new for c in asked if (c.pending or unused(c, trial, asked)) and c.param != STOP}
    if pending:
        study.storage.add_param_changes(study.id, child, pending)
    return child


def continuation(trials: Iterable[FrozenTrial], number: int) -> FrozenTrial | None:
    """The newest ``babysit --resume`` continuation of trial ``number`` among ``trials``."""
    found = [t for t in trials if t.system_attrs.get("fork") == "resume" and t.system_attrs.get("parent") == number]
    return found[-1] if found else None


def trained_own_epoch(trial: FrozenTrial) -> bool:
    """Whether a fork or continuation trained an epoch past the one it started from."""
    step = trial.system_attrs.get("parent_step")
    return isinstance(step, int) and max(trial.intermediate_values, default=0) > step


def fail_if_gone(study: Study, trial: FrozenTrial) -> None:
    """Fail running ``trial`` when its process is gone, else refuse (ConfigError, nothing
    written): a babysat process of this machine is asked directly; any other (another
    machine's, or a worker of nntune tune) is gone once its heartbeat is older than
    ``STALE_SECONDS``. Other trials of the study silent that long are failed with it, as an
    executor does before it starts a trial."""
    owner = trial.system_attrs.get("babysit")
    owner = owner if isinstance(owner, dict) else {}
    pid = owner.get("pid") if isinstance(owner.get("pid"), int) else 0
    if owner.get("host") == socket.gethostname():
        if pid_alive(pid):
            raise ConfigError("trial", f"trial {trial.number} is still training (process {pid})")
        study.storage.finish_trial(study.id, trial.number, TrialState.FAILED, error="interrupted: its process is gone")
        return
    if trial.number not in study.storage.recover_stale_trials(study.id, STALE_SECONDS):
        where = f" (process {pid} on {owner['host']})" if owner.get("host") else ""
        raise ConfigError("trial", f"trial {trial.number} is still training elsewhere{where}: its heartbeat is "
                                   f"under {STALE_SECONDS:g}s old; stop it with nntune trial stop, or resume it once "
                                   "its process is gone")
