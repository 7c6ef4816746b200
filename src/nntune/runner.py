"""``nntune tune`` without the terminal: validate, open or resume the study, search, then one
look at the test split. Returns plain data that the CLI prints (as tables or JSON)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nntune._files import check_writable_dir, folder_name
from nntune.builtin_task import resolved_config
from nntune.builtin import (
    TestResult,
    evaluate_on_test,
    load_task_splits,
    make_objective,
    pbt_objective_factory,
    training_augment,
)
from nntune.config import Config
from nntune.config import parse_config
from nntune.config_checks import first_draws, uses_worker_processes
from nntune.config_compare import check_same_model
from nntune.config_data import check_same_data, remember_data
from nntune.exceptions import ConfigError, NonFiniteOutputs
from nntune.executors import WorkerOptions, run_processes, run_ray, run_serial
from nntune.samplers import CoarseToFineSampler, GridSampler, Sampler, is_feasible
from nntune.schedulers import PBT, pbt_objective
from nntune.schedulers import Scheduler
from nntune.space import Space
from nntune.storage import StudyNotFoundError, existing_storage, get_storage, redact_url
from nntune.study import Study, create_study, load_study
from nntune.study import Objective
from nntune.runner_build import (budget_epochs, build_sampler, build_scheduler, build_terminator,  # noqa: F401
                                 check_model_builds)  # (the CLI's and workers' names)
from nntune.runner_search import check_pbt_resumable
from nntune.train.threads import asked_threads
from nntune.trial import FrozenTrial, TrialState, best_trial, counts_by_state, ranked
from nntune.runner_callbacks import tune_callbacks
from nntune.runner_notes import first_failure, held_already, metric_notes, split_notes, still_training
from nntune.runner_summary import TuneSummary, leaderboard_rows
from nntune.panda_snapshots import sweep_partial
from nntune.kept_model import KeptModel
from nntune.sealed_look import check_search_ended, look_once


@dataclass
class Prepared:
    """Everything checked and built before storage is touched (bad input writes nothing)."""

    cfg: Config
    space: Space
    sampler: Sampler
    scheduler: Scheduler
    splits: Any
    epochs: int | None = None  # every trial's budget under a multi-fidelity scheduler

    @property
    def checkpoints(self) -> Path:
        # Absolute: the paths stored in trials' records are read by export-model, test and
        # show, which may run from another folder (the population executor's were already).
        return Path(self.cfg.search.checkpoint_dir).expanduser().resolve() / folder_name(self.cfg.study)


def check_weight_files(cfg: Config) -> None:
    """A missing ``pretrained_weights`` file stops the run before any trial, not in each."""
    spec = cfg.space.get("pretrained_weights")
    candidates = [("fixed.pretrained_weights", cfg.fixed.get("pretrained_weights"))]
    if spec is not None and spec.values:
        candidates += [("space.pretrained_weights.values", v) for v in spec.values]
    for key, value in candidates:
        if value and not Path(str(value)).expanduser().is_file():
            raise ConfigError(key, f"no such file: {value} (weights are read from a local "
                                     "file, never downloaded)")


def check_executor(cfg: Config) -> None:
    """Refuse, before any data is loaded or anything written, an executor that cannot run
    here: a Ray address where no head answers (Ray itself would keep trying for minutes)."""
    if cfg.search.executor == "ray":
        from nntune.executors._ray import check_address

        check_address(cfg.search.ray_address)


def prepare(cfg: Config) -> Prepared:
    asked_threads(os.environ)  # a bad NNTUNE_THREADS fails now, not in every trial
    check_weight_files(cfg)
    space = cfg.build_space()
    scheduler = build_scheduler(cfg)
    sampler = build_sampler(cfg, scheduler)
    # PBT's members' checkpoints, the population's kept models: a folder that cannot be
    # written fails now, before the study is opened.
    # and the model kept of each trial of several executions (nntune.builtin_repeats)
    if isinstance(scheduler, PBT) or cfg.search.executor == "population" or cfg.search.executions_per_trial > 1:
        check_writable_dir(cfg.search.checkpoint_dir, "search.checkpoint_dir")
    splits = load_task_splits(cfg)
    cfg = resolved_config(cfg, splits)  # a positive class named: its index, as stored and shown
    training_augment(cfg, splits, first_draws(cfg), cfg.search.seed)  # a bad augmentation fails now
    check_model_builds(cfg, space, splits)
    return Prepared(cfg, space, sampler, scheduler, splits, budget_epochs(cfg, scheduler))


def check_resumable(cfg: Config, storage: Any = None) -> None:
    """Refuse (ConfigError naming the field) to resume a stored study with a config that
    trains another task, budget or split: its trials were trained on the stored one, and
    mixing in others would rank them together and look at the test split for the wrong
    model (or, under PBT, one tuned with another scheduler: :func:`check_pbt_resumable`). A
    new study, or one stored without a config, passes."""
    if storage is None:
        try:
            storage = existing_storage(cfg.storage)  # asking creates no database file
        except ConfigError:  # none yet: nothing stored to resume
            return
    rec = storage.load_study(cfg.study)
    stored = rec.attrs.get("config") if rec is not None else None
    if isinstance(stored, Mapping):
        check_same_model(cfg, stored, "keep that config to resume the study, or tune another one (--study NAME)")
    if rec is not None:
        trials = storage.get_trials(rec.id)
        check_pbt_resumable(cfg, stored, len(trials))
        check_same_kinds_as_stored(cfg, trials)


def check_same_kinds_as_stored(cfg: Config, trials: Sequence[FrozenTrial]) -> None:
    """Refuse a space entry whose kind (float, int, choice, beta) differs from the one the
    stored trials drew it as: the study would fail every new trial on it (one parameter keeps
    one kind across a study, as in Optuna), so the config is refused before any runs. A new
    range, log scale or list of choices is kept: the values stay comparable."""
    first: dict[str, Any] = {}
    for t in trials:
        for name, dist in t.distributions.items():
            first.setdefault(name, dist)
    for name, spec in cfg.space.items():
        if name not in first:
            continue
        dist = spec.distribution(name)
        if type(dist) is not type(first[name]):
            raise ConfigError(f"space.{name}", f"type {type(dist).__name__.lower()} here, but the stored trials of "
                                               f"study {cfg.study!r} drew it as type {type(first[name]).__name__.lower()}; "
                                               "keep its type to resume the study, or tune another one (--study NAME)")


def open_study(p: Prepared) -> Study:
    """Create the study (the configurations of ``search.enqueue`` queued first), or resume
    the stored one of that name. Under population-based training the rest of the founding
    members are queued too, their parameters drawn as they are claimed: workers then only
    claim queued trials, so two of them never both add a member to an almost full population."""
    storage = get_storage(p.cfg.storage)
    check_resumable(p.cfg, storage)
    many = p.cfg.task.is_multi_objective
    study = create_study(p.cfg.study, storage, direction=None if many else p.cfg.task.resolved_direction,
                         directions=p.cfg.task.directions if many else None, sampler=p.sampler,
                         scheduler=p.scheduler, load_if_exists=True, space=p.space, seed=p.cfg.search.seed)
    if not study.get_trials(deepcopy=False):
        # Only into a new study: a resumed one already ran (or holds) them.
        for params in p.cfg.search.enqueue:
            study.enqueue_trial(params, user_attrs={"enqueued": True})
        if isinstance(p.scheduler, PBT):
            # Never more founders than the trial budget: a queued trial beyond it never starts.
            for _ in range(min(p.scheduler.population, p.cfg.search.trials) - len(p.cfg.search.enqueue)):
                study.enqueue_trial({}, user_attrs={"pbt_founder": True})
    return study


def remaining_trials(study: Study, total: int) -> int:
    """Trials still to run so that the study holds ``total`` finished ones."""
    done = sum(study.counts().values())
    return max(0, total - done)


def run_tune(p: Prepared, *, on_start: Callable[[Study, int], None] | None = None,
             on_trial: Callable[[Study, FrozenTrial], None] | None = None,
             device: str | None = None, evaluate_test: bool = True,
             model_file: str | Path | None = None) -> TuneSummary:
    """Search, then open the test split once for the best trial (its model written to
    ``model_file`` when given)."""
    if p.cfg.search.executor == "population" and p.cfg.search.workers > 1:
        from nntune.runner_population import check_devices

        check_devices(p.cfg, device)  # more processes than GPUs: refused before anything is written
    study = open_study(p)
    remember_data(study.storage, study.id, p.cfg.study, p.splits)  # a resume reads the rows it was tuned on
    batch_note = None
    if p.cfg.fixed.get("batch_size") == "auto":
        p, batch_note = auto_batch_size(p, study, device)
    cfg = p.cfg
    study.storage.set_study_attr(study.id, "metric", cfg.task.trained_metric)
    if cfg.task.is_multi_objective:  # the objectives' names: show, the report, Optuna's values_NAME columns
        study.set_metric_names(list(cfg.task.objectives))
    if isinstance(p.sampler, CoarseToFineSampler):  # so a report or dashboard can redraw the stages
        study.storage.set_study_attr(study.id, "coarse_to_fine", {
            k: getattr(p.sampler, k) for k in ("seed", "stages", "trials_per_stage", "top_k", "margin")})
    study.storage.set_study_attr(study.id, "n_val", len(p.splits.y_val))  # for the standard errors of show and report
    # The config without its storage URL (which may hold a password), for nntune ensemble
    # and for ``nntune test --study S``, which rebuild the splits and the trainer from it.
    study.storage.set_study_attr(study.id, "config", cfg.model_dump(mode="json", exclude={"storage"}))
    todo = remaining_trials(study, cfg.search.trials)
    if on_start is not None:
        on_start(study, todo)
    callbacks = tune_callbacks(p, on_trial)
    # The best trial's weights, when it trains in this process: its test look reads them
    # instead of training the configuration once more.
    kept = KeptModel.for_study(study)
    if todo > 0:
        stop_reason = search(p, study, callbacks, device=device, kept=kept)
        if isinstance(p.scheduler, PBT) and p.checkpoints.is_dir():  # the last trials' killed saves too
            sweep_partial(p.checkpoints, study.get_trials(deepcopy=False))
    else:
        stop_reason = held_already(sum(study.counts().values()), cfg.search.trials)
    history = study.get_trials(deepcopy=False)
    elsewhere = still_training(study.study_name, history)
    evaluate_test = evaluate_test and elsewhere is None  # another search still trains: it looks
    feasible = [t for t in history if is_feasible(t)]
    best = None if study.is_multi_objective else best_trial(feasible, study.directions[0])
    test = None
    notes: list[str] = [n for n in (batch_note, elsewhere) if n]
    if len(feasible) < len(history) and any(t.state == TrialState.COMPLETE for t in history):
        infeasible = sum(1 for t in history if t.state == TrialState.COMPLETE and not is_feasible(t))
        met = any(t.state == TrialState.COMPLETE for t in feasible)
        notes.append(f"{infeasible} complete trial{'' if infeasible == 1 else 's'} broke task.constraints; "
                     + ("the best are chosen among the rest" if met else "none met them"))
    if study.is_multi_objective:
        from nntune.runner_pareto import multi_objective_summary

        summary = multi_objective_summary(p, study, history, stop_reason, todo, notes, device, evaluate_test,
                                          model_file)
        if summary is not None:
            return summary
        notes.append("no feasible trial completed, so the test split stays sealed")
    elif best is not None and evaluate_test:
        # The same best trial as at the last look: its recorded result, the split stays shut;
        # another process finishing this study at the same time looks once for both.
        try:
            test = look_once(study, cfg, p.splits, best, device=device, epochs=p.epochs, model_file=model_file,
                             kept=kept)
        except NonFiniteOutputs as err:  # the search stands; the look says what it found
            notes.append(f"the test split of trial {best.number}: {err}")
    elif best is None:
        notes.append("no feasible trial completed, so the test split stays sealed" if cfg.task.constraints
                     else "no trial completed, so the test split stays sealed")
    if isinstance(p.sampler, GridSampler) and p.sampler.is_exhausted(p.space, history):
        notes.append("every grid point has been tried")
    notes.extend(split_notes(cfg.task.trained_metric, ranked(feasible, study.directions[0]), len(p.splits.y_val), len(p.splits.test)))
    about_metric = metric_notes(cfg, p.splits, test)
    notes.extend(about_metric)
    if about_metric:  # kept with the study, so nntune show repeats them
        study.storage.set_study_attr(study.id, "metric_notes", about_metric)
    ensemble = None
    if cfg.search.ensemble and test is not None:
        from nntune.ensemble_study import build_ensemble

        ensemble = build_ensemble(cfg, p.splits, study, top=cfg.search.ensemble, device=device)
    from nntune.report.data import feasible_first  # the order of show and the report: feasible trials first

    return TuneSummary(
        study=study.study_name, direction=study.directions[0], metric=cfg.task.trained_metric,
        counts=counts_by_state(history), best=best, leaderboard=feasible_first(ranked(history, study.directions[0]))[:10],
        test=test, stop_reason=stop_reason, new_trials=todo, notes=notes, storage=study.storage, ensemble=ensemble,
        first_error=first_failure(history), objectives=cfg.task.objectives if study.is_multi_objective else [])


def auto_batch_size(p: Prepared, study: Study, device: str | None) -> tuple[Prepared, str]:
    """``batch_size: auto`` resolved once per study by the doubling rule and stored with it
    (``batch_size_auto``); a resumed study reuses the stored choice, so every trial of a
    study trains with the same batch size. Returns the prepared run with the number fixed."""
    from dataclasses import replace

    from nntune.train.batch_probe import probe_for
    from nntune.train.basics import pick_device

    rec = study.storage.load_study(study.study_name)
    stored = rec.attrs.get("batch_size_auto") if rec is not None else None
    if isinstance(stored, Mapping) and isinstance(stored.get("chosen"), int):
        chosen, note = int(stored["chosen"]), f"batch_size auto: {stored['chosen']}, as chosen when the study began"
    else:
        params = {k: v for k, v in p.cfg.hyperparameters().items() if k != "batch_size"}
        params.update(p.space.from_unit([0.5] * len(p.space)))  # the model at the centre of the space
        result = probe_for(params, p.splits, device=pick_device(device))
        study.storage.set_study_attr(study.id, "batch_size_auto", result.to_json())
        chosen, note = result.chosen, result.describe()
    cfg = p.cfg.model_copy(update={"fixed": {**p.cfg.fixed, "batch_size": chosen}})
    return replace(p, cfg=cfg), note


def look_again(p: Prepared, *, device: str | None = None) -> TestResult:
    """A deliberate new look at the test split of a stored study for its best trial
    (``nntune test``); counted like every look."""
    storage = get_storage(p.cfg.storage)
    rec = storage.load_study(p.cfg.study)
    if rec is None:
        raise StudyNotFoundError(f"no study named {p.cfg.study!r} in {redact_url(storage.url)}")
    check_same_data(rec.attrs, p.cfg.study, p.splits)  # a look at other rows would be counted as the study's
    study = load_study(p.cfg.study, storage)
    if study.is_multi_objective:
        raise ConfigError("study", front_look_problem(study, p.cfg.study))
    check_search_ended(study, p.cfg.study)
    best = best_trial([t for t in study.get_trials(deepcopy=False) if is_feasible(t)], study.directions[0])
    if best is None:
        raise ConfigError("study", f"{p.cfg.study!r} has no complete feasible trial to evaluate")
    return evaluate_on_test(study, p.cfg, p.splits, best, device=device, epochs=p.epochs)


def front_look_problem(study: Study, name: str) -> str:
    """Why ``nntune test`` refuses a study of several objectives, and what to run instead
    when trials joined its front after the search (``nntune babysit``, ``trial tell``) and
    were never looked at: ``nntune tune`` on the same config looks at each of them once."""
    from nntune.builtin import recorded_looks

    front = study.best_trials
    seen = recorded_looks(study, front)
    unseen = [str(t.number) for t in front if t.number not in seen]
    why = f"{name!r} has {len(study.directions)} objectives and no single best trial; "
    if not unseen:
        return why + "each trial of its Pareto front was looked at once (nntune show)"
    return why + (f"trial{'s' if len(unseen) > 1 else ''} {', '.join(unseen)} of its Pareto front "
                  "had no look yet: nntune tune with the study's config looks at each once")


def worker_options(cfg: Config) -> WorkerOptions:
    return WorkerOptions(trial_timeout=cfg.search.trial_timeout, memory_mb=cfg.resources.memory_mb,
                         cpus=cfg.resources.cpus, gpus=cfg.resources.gpus)


def absolute_sqlite(url: str) -> str:
    """An SQLite or journal URL with a relative path made absolute (workers, and Ray actors
    of a head started in another folder, may start elsewhere)."""
    if url.startswith("journal://"):
        return "journal://" + str(Path(url[len("journal://"):]).expanduser().absolute())
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/") or url == prefix + ":memory:":
        return url
    return prefix + str(Path(url[len(prefix):]).resolve())


def builtin_setup(config: dict[str, Any], device: str | None = None, *,
                  keep_best: bool = False) -> tuple[Study, Objective]:
    """What a worker process (or Ray actor) runs once: the study and the built-in objective,
    rebuilt from the config's plain data (nothing of the parent is pickled but that data).
    ``keep_best``: the worker writes its best trial's weights into the study's checkpoint
    folder for the test look (a folder the parent reads: not for actors on other machines)."""
    p = prepare(parse_config(config, "worker"))
    study = open_study(p)
    keep = KeptModel.for_study(study, folder=p.checkpoints) if keep_best else None
    return study, builtin_objective(p, device, keep)


def builtin_objective(p: Prepared, device: str | None = None, keep: KeptModel | None = None) -> Objective:
    """The built-in trainer as an objective (offering each trial's model to ``keep``);
    under population-based training, one that resumes the parent's checkpoint when the
    trial is a replacement (its final checkpoint is its model)."""
    if isinstance(p.scheduler, PBT):
        return pbt_objective(pbt_objective_factory(p.cfg, p.space, p.splits, p.checkpoints,
                                                   p.scheduler, device=device))
    return make_objective(p.cfg, p.space, p.splits, device=device, epochs=p.epochs, keep=keep)


def search(p: Prepared, study: Study, callbacks: Sequence[Callable[[Study, FrozenTrial], None]], *,
           device: str | None = None, kept: KeptModel | None = None) -> str:
    """Run the study's trials with the configured executor until it holds ``search.trials``
    (running or finished); returns why it stopped. Trials trained in this process offer
    their models to ``kept``."""
    cfg = p.cfg
    options = worker_options(cfg)
    total, timeout = cfg.search.trials, cfg.search.timeout
    config = cfg.model_dump(mode="json")
    # Workers and actors may start in another folder: give them absolute paths.
    config["storage"] = absolute_sqlite(cfg.storage)
    config["search"]["checkpoint_dir"] = str(Path(cfg.search.checkpoint_dir).expanduser().resolve())
    setup = functools.partial(builtin_setup, config, device)
    if cfg.search.executor == "population" and cfg.search.workers > 1:
        from nntune.runner_population import search_population_workers

        return search_population_workers(p, study, callbacks, device=device)
    if cfg.search.executor == "population":
        return search_population(p, study, callbacks, device=device)
    if cfg.search.executor == "ray":
        workers = cfg.search.workers if "workers" in cfg.search.model_fields_set else None
        return run_ray(setup, study, total=total, workers=workers, options=options,
                       address=cfg.search.ray_address, timeout=timeout, callbacks=callbacks)
    if uses_worker_processes(cfg):
        setup = functools.partial(builtin_setup, config, device, keep_best=True)
        return run_processes(setup, study, total=total, workers=cfg.search.workers, options=options,
                             timeout=timeout, callbacks=callbacks)
    return run_serial(study, builtin_objective(p, device, kept), total=total, timeout=timeout, callbacks=callbacks, options=options)


def search_population(p: Prepared, study: Study, callbacks: Sequence[Callable[[Study, FrozenTrial], None]], *,
                      device: str | None = None) -> str:
    """The population executor: the config's trials trained as stacks in this process."""
    from nntune.builtin_stack import StackTrainer
    from nntune.executors import run_population

    cfg = p.cfg
    trainer = StackTrainer(cfg, p.space, p.splits, device=device, epochs=p.epochs, checkpoints=p.checkpoints,
                           pbt=p.scheduler if isinstance(p.scheduler, PBT) else None)
    return run_population(study, trainer, total=cfg.search.trials, population=cfg.search.population,
                          timeout=cfg.search.timeout, structure_block=cfg.search.structure_block,
                          callbacks=callbacks, options=worker_options(cfg))


__all__ = ["Prepared", "TuneSummary", "leaderboard_rows", "open_study", "prepare", "remaining_trials",
           "run_tune", "TrialState"]
