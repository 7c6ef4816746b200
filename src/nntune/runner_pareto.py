"""The end of ``nntune tune`` for several objectives (``task.metric`` a list): the Pareto
front among feasible trials, each of its trials looked at on the test split once."""

from __future__ import annotations

from pathlib import Path

from nntune.builtin import test_front
from nntune.runner import Prepared, TuneSummary, first_failure, metric_notes
from nntune.samplers import GridSampler
from nntune.study import Study
from nntune.trial import FrozenTrial, counts_by_state, ranked


def multi_objective_summary(p: Prepared, study: Study, history: list[FrozenTrial], stop_reason: str, todo: int,
                             notes: list[str], device: str | None, evaluate_test: bool,
                             model_file: str | Path | None = None) -> TuneSummary | None:
    """Several objectives: the Pareto front among feasible trials, each looked at on the
    test split once (its model written beside ``model_file`` as ``STEM-trialN.pt``). None
    when no trial completed (the single-objective path says so)."""
    cfg = p.cfg
    front = study.best_trials
    if not front:
        return None
    tests = test_front(study, cfg, p.splits, front, device=device, epochs=p.epochs,
                       model_file=model_file) if evaluate_test else []
    if isinstance(p.sampler, GridSampler) and p.sampler.is_exhausted(p.space, history):
        notes.append("every grid point has been tried")
    notes.extend(metric_notes(cfg, p.splits, None))
    return TuneSummary(
        study=study.study_name, direction=study.direction, metric=cfg.task.trained_metric,
        counts=counts_by_state(history), best=None, leaderboard=ranked(history, study.direction)[:10],
        test=None, stop_reason=stop_reason, new_trials=todo, notes=notes, storage=study.storage,
        first_error=first_failure(history), objectives=cfg.task.objectives, front=front, front_tests=tests)
