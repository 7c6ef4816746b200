"""The recall check of a study of several objectives: each trial of the Pareto front whose
model calls nearly everything positive gets the finding the best trial gets alone."""

from __future__ import annotations

from nntune.builtin import TestResult as Look
from nntune.runner_pareto import front_findings


def test_a_front_trial_that_calls_everything_positive_is_named():
    tests = [Look(3, {"recall": 1.0, "confusion_matrix": [[2, 48], [0, 50]]}, 2),
             Look(7, {"recall": 0.9, "confusion_matrix": [[40, 10], [5, 45]]}, 2)]
    notes = front_findings("recall", None, tests)
    assert len(notes) == 1 and notes[0].startswith("finding (predicts_all_positive): trial 3 of the front predicts")
    assert front_findings("accuracy", None, tests) == []
