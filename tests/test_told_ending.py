"""How a told trial ends (``nntune._values.told_ending``), the rule ``Study.tell`` applies."""

from __future__ import annotations

import math

import pytest

from nntune._values import tell_problem, told_ending
from nntune.trial import TrialState


@pytest.mark.parametrize(("state", "returned", "n", "expected"), [
    (None, 0.5, 1, (TrialState.COMPLETE, [0.5], None)),
    (None, (1, 2), 2, (TrialState.COMPLETE, [1.0, 2.0], None)),
    (None, math.inf, 1, (TrialState.COMPLETE, [math.inf], None)),  # a value, as Optuna's
    (None, (1, -math.inf), 2, (TrialState.COMPLETE, [1.0, -math.inf], None)),
    (None, math.nan, 1, (TrialState.DIVERGED, [math.nan], "objective returned nan")),
    (None, None, 1, (TrialState.FAILED, None, "objective returned no value")),
    (None, (1, 2), 1, (TrialState.FAILED, None, "objective returned 2 values for a study of 1 objective")),
    (None, 0.5, 2, (TrialState.FAILED, None, "objective returned 1 value for a study of 2 objectives")),
    (None, "abc", 1, (TrialState.FAILED, None, "objective returned 'abc', which is not a number")),
    (TrialState.PRUNED, None, 1, (TrialState.PRUNED, None, None)),
    (TrialState.PRUNED, math.nan, 1, (TrialState.PRUNED, [math.nan], None)),  # a pruned trial keeps what it had
    (TrialState.FAILED, None, 1, (TrialState.FAILED, None, None)),
])
def test_a_told_trial_ends_as_optunas_would(state, returned, n, expected):
    got = told_ending(state, returned, n, None)
    assert got[0] == expected[0] and got[2] == expected[2]
    assert (got[1] is None) == (expected[1] is None)
    if got[1] is not None:
        assert all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(got[1], expected[1]))


def test_an_error_given_is_kept_over_the_rule_s_own():
    assert told_ending(None, None, 1, "boom") == (TrialState.FAILED, None, "boom")


@pytest.mark.parametrize(("n_values", "n_objectives", "problem"), [
    (1, 2, "got 1 value for a study of 2 objectives"),
    (3, 1, "got 3 values for a study of 1 objective"),
    (2, 2, None),
])
def test_a_tell_of_the_wrong_count_says_each_count_in_its_number(n_values, n_objectives, problem):
    assert tell_problem(TrialState.COMPLETE, n_values, n_objectives) == problem
