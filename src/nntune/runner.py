"""``nntune tune`` without the terminal: validate, open or resume the study, search, then one
look at the test split. Returns plain data that the CLI prints (as tables or JSON)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nntune.builtin import (
    TestResult,
    evaluate_on_test,
    load_task_splits,
    make_objective,
    training_augment,
)
from nntune.config import Config
from nntune.samplers import GridSampler, Sampler, make_sampler
from nntune.schedulers import Scheduler, make_scheduler
from nntune.space import Space
from nntune.storage import get_storage
from nntune.study import Study, create_study
from nntune.trial import FrozenTrial, TrialState, best_trial, counts_by_state, ranked


@dataclass
class TuneSummary:
    study: str
    direction: str
    metric: str
    counts: dict[str, int]
    best: FrozenTrial | None
    leaderboard: list[FrozenTrial]
    test: TestResult | None
    stop_reason: str
    new_trials: int
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object of ``nntune tune`` (its keys are a public interface)."""
        return {
            "study": self.study,
            "trials": {k: self.counts.get(k, 0) for k in ("complete", "pruned", "failed", "diverged")},
            "best": None if self.best is None else {
                "trial": self.best.number, "value": self.best.value, "params": self.best.params},
            "test": {} if self.test is None else {
                k: v for k, v in self.test.metrics.items() if isinstance(v, (int, float))},
            "test_evaluations": 0 if self.test is None else self.test.looks,
            "stop_reason": self.stop_reason,
        }


def build_sampler(cfg: Config) -> Sampler:
    options = dict(cfg.search.sampler_options)
    if cfg.search.sampler == "grid":
        options.setdefault("points", cfg.search.grid_points)
    return make_sampler(cfg.search.sampler, seed=cfg.search.seed, **options)


def build_scheduler(cfg: Config) -> Scheduler:
    return make_scheduler(cfg.search.scheduler, **cfg.search.scheduler_options)


@dataclass
class Prepared:
    """Everything checked and built before storage is touched (bad input writes nothing)."""

    cfg: Config
    space: Space
    sampler: Sampler
    scheduler: Scheduler
    splits: Any


def prepare(cfg: Config) -> Prepared:
    space = cfg.build_space()
    sampler = build_sampler(cfg)
    scheduler = build_scheduler(cfg)
    splits = load_task_splits(cfg)
    training_augment(cfg, splits, cfg.fixed, cfg.search.seed)  # a bad augmentation fails now
    return Prepared(cfg, space, sampler, scheduler, splits)


def open_study(p: Prepared) -> Study:
    """Create the study, or resume the stored one of that name."""
    storage = get_storage(p.cfg.storage)
    return create_study(p.cfg.study, storage, direction=p.cfg.task.resolved_direction,
                        sampler=p.sampler, scheduler=p.scheduler, load_if_exists=True,
                        space=p.space, seed=p.cfg.search.seed)


def remaining_trials(study: Study, total: int) -> int:
    """Trials still to run so that the study holds ``total`` finished ones."""
    done = sum(study.counts().values())
    return max(0, total - done)


def run_tune(p: Prepared, *, on_start: Callable[[Study, int], None] | None = None,
             on_trial: Callable[[Study, FrozenTrial], None] | None = None,
             device: str | None = None, evaluate_test: bool = True) -> TuneSummary:
    cfg = p.cfg
    study = open_study(p)
    todo = remaining_trials(study, cfg.search.trials)
    if on_start is not None:
        on_start(study, todo)
    callbacks: list[Callable[[Study, FrozenTrial], None]] = []
    if on_trial is not None:
        callbacks.append(on_trial)
    if cfg.search.patience is not None:
        callbacks.append(_patience_callback(cfg.search.patience))
    objective = make_objective(cfg, p.space, p.splits, device=device)
    if todo > 0:
        study.optimize(objective, n_trials=todo, timeout=cfg.search.timeout, catch=(Exception,),
                       callbacks=callbacks)
        stop_reason = study.stop_reason or f"ran {todo} trials"
    else:
        stop_reason = f"the study already holds {cfg.search.trials} finished trials"
    history = study.get_trials()
    best = best_trial(history, study.direction)
    test = None
    notes: list[str] = []
    if best is not None and evaluate_test:
        test = evaluate_on_test(study, cfg, p.splits, best, device=device)
    elif best is None:
        notes.append("no trial completed, so the test split stays sealed")
    if isinstance(p.sampler, GridSampler) and p.sampler.is_exhausted(p.space, history):
        notes.append("every grid point has been tried")
    return TuneSummary(
        study=study.study_name, direction=study.direction, metric=cfg.task.metric,
        counts=counts_by_state(history), best=best, leaderboard=ranked(history, study.direction)[:10],
        test=test, stop_reason=stop_reason, new_trials=todo, notes=notes)


def _patience_callback(patience: int) -> Callable[[Study, FrozenTrial], None]:
    """Stop the study after ``patience`` finished trials without a better best value."""
    def callback(study: Study, _trial: FrozenTrial) -> None:
        history = [t for t in study.get_trials() if t.state.is_finished()]
        best = best_trial(history, study.direction)
        if best is None:
            since = len(history)
        else:
            since = sum(1 for t in history if t.number > best.number)
        if since >= patience:
            study.stop(f"no improvement in the last {patience} finished trials (search.patience)")
    return callback


def leaderboard_rows(trials: Sequence[FrozenTrial]) -> list[dict[str, Any]]:
    return [{"number": t.number, "state": t.state.value, "value": t.value, "epochs": t.epochs,
             "params": t.params} for t in trials]


__all__ = ["Prepared", "TuneSummary", "leaderboard_rows", "open_study", "prepare", "remaining_trials",
           "run_tune", "TrialState"]
