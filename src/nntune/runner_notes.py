"""What ``nntune tune`` says beside its results: a validation or test split too small to tell
the two best trials apart, the notes' advice on the metric (accuracy on imbalanced classes,
a recall won by calling everything positive), the first failed trial's error, and trials
another search still trains.
:mod:`nntune.runner` re-exports these names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nntune._words import counted
from nntune.executors._common import running_elsewhere
from nntune.metric_choice import all_positive_finding, imbalance_warning
from nntune.noise import split_warning
from nntune.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from nntune.builtin import TestResult
    from nntune.config import Config


def split_notes(metric: str, leaders: Sequence[FrozenTrial], n_val: int, n_test: int) -> list[str]:
    """Warnings when the validation split, or a test split as small, cannot separate the
    two best trials: the gap between their values is below the best value's standard error."""
    values = [float(t.value) for t in leaders[:2] if t.state == TrialState.COMPLETE and t.value is not None]
    found = [split_warning(metric, values, n_val, "validation"), split_warning(metric, values, n_test, "test")]
    if all(found) and n_test == n_val:
        # The same standard error over as many samples: the full line again (the default
        # task's 359 and 359) would repeat the first word for word, the advice included.
        found[1] = f"the test split ({n_test} samples) is as small, so its look cannot separate them either"
    return [f"warning: {w}" for w in found if w]


def metric_notes(cfg: Config, splits: Any, test: TestResult | None) -> list[str]:
    """The notes' advice on the metric: accuracy on imbalanced classes, and a recall won by
    calling nearly everything positive (read off the test look's confusion matrix)."""
    if splits.task_type != "classification":
        return []
    notes = []
    imbalance = imbalance_warning(cfg.task.trained_metric, splits.y_train.numpy(), splits.n_classes,
                                  splits.info.get("classes") or ())
    if imbalance:
        notes.append(f"warning: {imbalance}")
    if test is not None:
        finding = all_positive_finding(cfg.task.trained_metric, test.metrics.get("confusion_matrix") or [],
                                       cfg.task.positive_index)
        if finding:
            notes.append(f"finding (predicts_all_positive): {finding}")
    return notes


def first_failure(trials: Sequence[FrozenTrial]) -> str | None:
    """``trial N: <its error>`` for the lowest-numbered failed trial, ``None`` when none failed."""
    failed = sorted((t for t in trials if t.state == TrialState.FAILED), key=lambda t: t.number)
    if not failed:
        return None
    return f"trial {failed[0].number}: {failed[0].error or 'no error recorded'}"


def held_already(done: int, asked: int) -> str:
    """Why a resumed study runs no trial: it holds ``done`` finished trials, ``asked``
    (``search.trials``) or more. The count is the study's own; the asked total is added when
    it differs, so that ``--trials 2`` on a study of 3 does not read as a study of 2."""
    held = f"the study already holds {counted(done, 'finished trial')}"
    return held if done == asked else f"{held} (search.trials: {asked})"


def still_training(name: str, history: Sequence[FrozenTrial]) -> str | None:
    """Why this search leaves the test split shut when another search of the study still
    trains trials (they count against the budget, so this one can end first): the best
    trial may yet change, and a look now would be spent on a trial that search passes by.
    The search that ends last looks. None when no other search trains."""
    running = running_elsewhere(history)
    if not running:
        return None
    numbers = ", ".join(str(t.number) for t in running[:5]) + (", ..." if len(running) > 5 else "")
    return (f"{name} is still being tuned (trial{'s' if len(running) > 1 else ''} {numbers} running in another "
            "search): its best trial may yet change, so the test split stays sealed here; the search that ends "
            "last looks at it")
