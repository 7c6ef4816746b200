"""The dashboard's trial table sorted and filtered by value, with trials valued inf or -inf
(complete trials, as in Optuna): they sort as the numbers they are (-inf below every
value, inf above) and fall in a value range like any value, instead of being treated as
trials without a value (always last, never in a range)."""

from __future__ import annotations

import math

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.report.browse import TrialQuery, query_trials
from nntune.storage import SQLStorage

from tests.dashboard.test_api import get

VALUES = [3.0, -math.inf, 1.0, math.inf, 2.0]


def valued(**options) -> nntune.Study:
    study = nntune.create_study(direction="minimize", **options)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), VALUES[t.number])[1], n_trials=len(VALUES))
    trial = study.ask()  # pruned without a value: the one trial a value sort puts last
    study.tell(trial, state=nntune.trial.TrialState.PRUNED)
    return study


def numbers(trials, **query) -> list[int]:
    return [r["number"] for r in query_trials(trials, TrialQuery(**query))["rows"]]


@pytest.mark.parametrize(("descending", "expected"), [(False, [1, 2, 4, 0, 3, 5]), (True, [3, 0, 4, 2, 1, 5])])
def test_a_value_sort_places_infinite_values_as_numbers_and_no_value_last(descending, expected):
    assert numbers(valued().trials, sort="value", descending=descending) == expected


@pytest.mark.parametrize(("low", "high", "expected"), [(None, 1.5, [1, 2]), (1.5, None, [0, 3, 4]),
                                                       (-math.inf, math.inf, [0, 1, 2, 3, 4])])
def test_a_value_range_holds_the_infinite_values_beyond_its_bounds(low, high, expected):
    assert numbers(valued().trials, value_min=low, value_max=high) == expected


def test_the_table_api_sorts_and_filters_infinite_values(tmp_path):
    url = f"sqlite:///{tmp_path / 'infs.db'}"
    valued(study_name="infs", storage=url)
    with RunningServer(create_app(SQLStorage(url))) as server:
        code, table, _ = get(f"{server.url}/api/trials?study=infs&sort=value&order=asc")
        assert code == 200 and [r["number"] for r in table["rows"]] == [1, 2, 4, 0, 3, 5]
        assert [r["value"] for r in table["rows"]][:2] == ["-inf", 1.0]
        code, table, _ = get(f"{server.url}/api/trials?study=infs&value_max=1.5")
        assert code == 200 and [r["number"] for r in table["rows"]] == [1, 2] and table["total"] == 2
