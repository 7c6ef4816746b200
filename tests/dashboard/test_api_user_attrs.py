"""User attributes that are NaN or infinite: the report showed NaN as "-" (a missing cell's
mark), and the dashboard's JSON, strict, carried NaN, inf and -inf as null, which the trial
panel showed as "–", a None as "–" too, and a nested NaN as null. Both now show each
attribute as one text, as optuna-dashboard does: ``nan``, ``inf``, ``-inf``, ``null``, and
a list or dict as JSON with ``NaN``/``Infinity`` in it."""

from __future__ import annotations

import html
import math
import re

from nntune.dashboard import RunningServer, create_app
from nntune.report import render_html
from nntune.report.data import build_report_data
from nntune.storage import InMemoryStorage
from nntune.trial import TrialState

from tests.dashboard.test_api import get

ATTRS = {"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "none": None, "flag": True, "text": "nan",
         "nested": {"a": math.nan, "b": [math.inf, -math.inf], "c": None}}
SHOWN = {"nan": "nan", "inf": "inf", "ninf": "-inf", "none": "null", "flag": "True", "text": "nan",
         "nested": '{"a": NaN, "b": [Infinity, -Infinity], "c": null}'}


def test_non_finite_attributes_read_the_same_in_the_report_and_the_dashboard():
    store = InMemoryStorage()
    sid = store.create_study("attrs", "minimize")
    number = store.create_trial(sid)
    store.set_trial_user_attrs(sid, number, ATTRS)
    store.finish_trial(sid, number, TrialState.COMPLETE, 0.5)
    page = render_html(build_report_data(store, "attrs"))
    cells = re.findall(r'<tr><td>([^<]*)</td><td class="attr">([^<]*)</td>', page)
    assert {k: html.unescape(v) for k, v in cells} == SHOWN
    with RunningServer(create_app(store)) as server:
        code, trial, _ = get(f"{server.url}/api/trial?study=attrs&number=0")
    assert code == 200 and trial["user_attrs"] == SHOWN
