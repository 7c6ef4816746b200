"""The end of ``nntune tune`` for several objectives (``task.metric`` a list): the Pareto
front among feasible trials, each of its trials looked at on the test split once."""

from __future__ import annotations

from pathlib import Path

from nntune.builtin import TestResult
from nntune.exceptions import NonFiniteOutputs
from nntune.metric_choice import all_positive_finding
from nntune.runner import Prepared, TuneSummary, first_failure, metric_notes
from nntune.samplers import GridSampler
from nntune.sealed_look import look_at_front
from nntune.show import pareto_ranked
from nntune.study import Study
from nntune.trial import FrozenTrial, counts_by_state


def multi_objective_summary(p: Prepared, study: Study, history: list[FrozenTrial], stop_reason: str, todo: int,
                             notes: list[str], device: str | None, evaluate_test: bool,
                             model_file: str | Path | None = None) -> TuneSummary | None:
    """Several objectives: the Pareto front among feasible trials, each looked at on the
    test split once, even when two processes finish the study at once (its model written
    beside ``model_file`` as ``STEM-trialN.pt``), and a leaderboard in ``show``'s order
    (non-dominated rank, infeasible trials last), not by the first objective alone. None
    when no trial completed (the single-objective path says so)."""
    cfg = p.cfg
    front = study.best_trials
    if not front:
        return None
    tests = []
    if evaluate_test:
        try:
            tests = look_at_front(study, cfg, p.splits, front, device=device, epochs=p.epochs, model_file=model_file)
        except NonFiniteOutputs as err:  # the search stands; the look says what it found
            notes.append(f"the test split of the Pareto front: {err}")
    if isinstance(p.sampler, GridSampler) and p.sampler.is_exhausted(p.space, history):
        notes.append("every grid point has been tried")
    notes.extend(metric_notes(cfg, p.splits, None))
    notes.extend(front_findings(cfg.task.trained_metric, cfg.task.positive_index, tests))
    return TuneSummary(
        study=study.study_name, direction=study.directions[0], metric=cfg.task.trained_metric,
        counts=counts_by_state(history), best=None, leaderboard=pareto_ranked(history, cfg.task.directions)[:10],
        test=None, stop_reason=stop_reason, new_trials=todo, notes=notes, storage=study.storage,
        first_error=first_failure(history), objectives=cfg.task.objectives, front=front, front_tests=tests)


def front_findings(metric: str, positive: int | None, tests: list[TestResult]) -> list[str]:
    """The single-objective path's recall check, for each trial of the front: a recall
    won by calling nearly everything positive also wins a place on the front."""
    found = [all_positive_finding(metric, r.metrics.get("confusion_matrix") or [], positive,
                                  model=f"trial {r.trial} of the front") for r in tests]
    return [f"finding (predicts_all_positive): {text}" for text in found if text]
