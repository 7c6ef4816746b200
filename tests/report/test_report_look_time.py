"""The test-result table gives each look's time to the second, in UTC as stored, from every
storage (a datetime, or a journal's ISO text), not with its microseconds."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from nntune.report import render_html
from nntune.report import data as report_data
from nntune.report.data import build_report_data
from nntune.report.study_data import look_time
from nntune.storage import InMemoryStorage


@pytest.mark.parametrize("stored", [datetime(2026, 12, 7, 17, 53, 40, 496289), "2026-12-07T17:53:40.496289",
                                    "2026-12-07 17:53:40.496289"])
def test_a_look_time_is_shown_to_the_second(stored):
    assert look_time(stored) == "2026-12-07 17:53:40"


def test_a_time_that_is_no_time_is_shown_as_stored():
    assert look_time("yesterday") == "yesterday" and look_time(None) == ""


def test_the_test_table_has_no_microseconds(make_study):
    storage = InMemoryStorage()
    make_study(storage, n=6, test_looks=2)
    data = build_report_data(storage, "demo")
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", e["time"]) for e in data["test"]["evaluations"])
    page = render_html(data)
    assert "<th>time (UTC)</th>" in page
    assert report_data.test_data([{"trial": 0, "time": datetime(2026, 1, 2, 3, 4, 5, 6), "metrics": {}}])["evaluations"][0][
        "time"] == "2026-01-02 03:04:05"
