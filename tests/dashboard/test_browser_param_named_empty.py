"""A parameter named "" (Optuna allows it): its column's header was blank and a click on it
asked for ``sort=param:``, refused as no parameter name; a range over it and a contour over it
were refused too (``range=:0:0.5``, ``x=``). It now shows as a quoted "" and sorts, filters and
plots as any other parameter."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

from tests.dashboard.test_api import get
from tests.dashboard.test_browser import column, watch_console

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Any:
    url = f"sqlite:///{tmp_path_factory.mktemp('empty') / 'empty.db'}"
    study = nntune.create_study("empty", url, sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("", 0.0, 1.0) + t.suggest_int("n", 1, 5), n_trials=12)
    with RunningServer(create_app(SQLStorage(url))) as srv:
        yield srv, {t.number: t.params[""] for t in study.trials}


def test_the_api_sorts_filters_and_plots_by_the_parameter_named_empty(server):
    srv, xs = server
    code, body, _ = get(f"{srv.url}/api/trials?study=empty&sort=param:&order=asc")
    assert code == 200 and [r["number"] for r in body["rows"]] == sorted(xs, key=xs.get)
    assert body["params"] == ["", "n"] and body["numeric_params"] == ["", "n"]
    code, body, _ = get(f"{srv.url}/api/trials?study=empty&range=:0:0.5")
    assert code == 200 and {r["number"] for r in body["rows"]} == {n for n, x in xs.items() if x <= 0.5}
    code, body, _ = get(f"{srv.url}/api/contour?study=empty&x=&y=n")
    assert code == 200 and body["pair"] == ["", "n"] and body["contour"]["x"]["name"] == ""
    assert get(f"{srv.url}/api/trials?study=empty&range=:1:0")[1]["error"] == "range: low 1 is above high 0 for ''"


def test_the_page_shows_and_sorts_the_parameter_named_empty(browser_context, server):
    srv, xs = server
    page = browser_context.new_page()
    errors = watch_console(page)
    page.goto(f"{srv.url}/study?study=empty")
    page.wait_for_selector("#trial-table tbody tr", timeout=15000)
    head = page.locator("#trial-table thead th[data-sort='param:']")
    assert head.inner_text() == '""'
    head.click()  # ascending
    page.wait_for_selector("#trial-table thead th.sorted-asc[data-sort='param:']", timeout=10000)
    assert [int(n) for n in column(page, 1)] == sorted(xs, key=xs.get)
    assert page.is_hidden("#filter-error")
    # A range over it: the select's option is the quoted "", not the "(none)" beside it.
    page.select_option("#range-param", label='""')
    page.fill("#range-high", "0.5")
    page.click("#trials button[type=submit]")
    want = sorted((n for n, x in xs.items() if x <= 0.5), key=xs.get)
    page.wait_for_function(f"() => document.querySelectorAll('#trial-table tbody tr').length === {len(want)}", timeout=10000)
    assert [int(n) for n in column(page, 1)] == want
    # The contour over it, picked by hand.
    page.evaluate("document.getElementById('contour').scrollIntoView()")
    page.wait_for_function("() => document.getElementById('contour-x').options.length === 2", timeout=20000)
    page.select_option("#contour-x", label='""')
    page.select_option("#contour-y", label="n")
    page.wait_for_function("""() => { const p = document.getElementById('contour-plot');
        return p.layout && p.layout.xaxis.title.text === '""' && p.layout.yaxis.title.text === 'n'; }""", timeout=20000)
    page.wait_for_function("() => document.getElementById('trial-info').textContent.includes('Parameters: \"\"=')",
                           timeout=10000)
    assert not errors
