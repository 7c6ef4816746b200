"""The dashboard in a real browser (Debian's chromium) while a study runs in another process:
the table gains rows and the followed trial's curve gains points without a reload, nothing
is logged to the console as an error, filters and sorting work, and a trial queued by hand
shows as waiting; started with control allowed, the studies page deletes a study and says
where its checkpoints stay."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage
from nntune.trial import TrialState

WRITER = Path(__file__).with_name("_writer.py")
pytestmark = pytest.mark.slow


FOLLOWED_CURVE_GROWS = """() => {
  const node = document.getElementById('curve-loss');
  const m = /#(\\d+)/.exec(document.getElementById('trial-title').textContent || '');
  if (!m || !node || !node.data || !node.data.length) return false;
  const n = node.data[0].x.length;
  window.__seen = window.__seen || {};
  const before = window.__seen[m[1]];
  window.__seen[m[1]] = n;
  return before !== undefined && n > before;
}"""


def _writer() -> Any:
    spec = importlib.util.spec_from_file_location("nntune_dashboard_writer", WRITER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_for_study(store: SQLStorage, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while store.load_study(name) is None:
        assert time.monotonic() < deadline, "the writer never created its study"
        time.sleep(0.1)


def watch_console(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def column(page: Any, index: int) -> list[str]:
    return page.eval_on_selector_all(f"#trial-table tbody tr td:nth-child({index})",
                                     "cells => cells.map(c => c.textContent)")


def test_study_page_follows_a_running_study(browser_context, tmp_path, screenshots):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    # 0.6 s an epoch: at 0.25 a trial lasted 1.5 s, and with the page polling each second
    # under a busy start of the suite it saw each trial's curve once at most, never growing.
    writer = subprocess.Popen([sys.executable, str(WRITER), url, "live", "5", "6", "0.6"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        store = SQLStorage(url)
        wait_for_study(store, "live")
        # The terminator's last reading, as a TerminatorCallback stores it, is shown under the best trial.
        reading = {"n_complete": 20, "improvement": 0.05, "error": 0.008, "terminate": False,
                   "improvement_by": "a Gaussian process's bound on the regret", "error_by": "a fixed threshold"}
        store.set_study_attr(store.load_study("live").id, "terminator", reading)
        with RunningServer(create_app(store)) as server:
            page = browser_context.new_page()
            errors = watch_console(page)
            page.goto(f"{server.url}/study?study=live")
            page.evaluate("window.__no_reload = 1")
            page.wait_for_selector("#trial-table tbody tr", timeout=15000)
            rows_at_start = page.locator("#trial-table tbody tr").count()
            page.wait_for_function(FOLLOWED_CURVE_GROWS, polling=200, timeout=20000)
            page.screenshot(path=str(screenshots / "study-running.png"), full_page=False)
            page.wait_for_function(f"() => document.querySelectorAll('#trial-table tbody tr').length > {rows_at_start}",
                                   polling=200, timeout=20000)
            page.wait_for_function("() => document.getElementById('status').textContent === 'finished'",
                                   polling=250, timeout=40000)
            assert page.evaluate("window.__no_reload") == 1, "the page reloaded"
            assert writer.wait(timeout=10) == 0
            page.wait_for_function("() => document.querySelectorAll('#trial-table tbody tr').length === 5", timeout=5000)
            page.wait_for_function("() => document.getElementById('history-plot').data !== undefined", timeout=10000)
            # The plots below the first screen are drawn once scrolled near (their data came with the overview).
            page.wait_for_function("() => S.overviewVersion === S.version", polling=200, timeout=20000)
            page.locator("#intermediate-plot").scroll_into_view_if_needed()
            page.wait_for_function("() => (document.getElementById('intermediate-plot').data || []).length > 0",
                                   timeout=10000)
            page.locator("#importance").scroll_into_view_if_needed()
            page.wait_for_function("() => document.querySelectorAll('#slices-plots .js-plotly-plot').length === 2",
                                   timeout=10000)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(screenshots / "study-finished.png"), full_page=True)
            assert page.text_content("#terminator-line").startswith("the terminator's last check, after 20 complete")

            states = column(page, 2)
            n_complete = states.count("complete")
            assert n_complete >= 1 and len(states) == 5
            page.check("#state-boxes input[value=complete]")
            page.wait_for_function(f"() => document.querySelectorAll('#trial-table tbody tr').length === {n_complete}")
            assert set(column(page, 2)) == {"complete"}
            page.uncheck("#state-boxes input[value=complete]")
            page.wait_for_function("() => document.querySelectorAll('#trial-table tbody tr').length === 5")

            page.click("th[data-sort=value]")
            page.wait_for_selector("th.sorted-asc[data-sort=value]")
            ascending = [float(v) for v in column(page, 3)]
            assert ascending == sorted(ascending)
            page.click("th[data-sort=value]")
            page.wait_for_selector("th.sorted-desc[data-sort=value]")
            descending = [float(v) for v in column(page, 3)]
            assert descending == sorted(ascending, reverse=True)

            page.fill("#value-min", f"{(descending[0] + descending[1]) / 2}")
            page.click("#filters button[type=submit]")
            page.wait_for_function("() => document.querySelectorAll('#trial-table tbody tr').length === 1")
            assert float(column(page, 3)[0]) == descending[0]

            # A trial queued by hand shows as waiting as soon as it is stored, and the study runs again.
            page.click("#clear-filters")
            store.create_trial(store.load_study("live").id, state=TrialState.WAITING)
            page.wait_for_selector("#trial-table tbody tr[data-number='5'] .st-waiting", timeout=10000)
            page.wait_for_function("() => document.getElementById('status').textContent === 'running'", timeout=10000)

            studies = browser_context.new_page()
            errors += watch_console(studies)
            studies.goto(f"{server.url}/")
            studies.wait_for_selector("tr[data-study=live]")
            studies.screenshot(path=str(screenshots / "studies.png"))
            compare = browser_context.new_page()
            errors += watch_console(compare)
            compare.goto(f"{server.url}/compare?study=live")
            compare.wait_for_function("() => (document.getElementById('compare-plot').data || []).length === 2")
            compare.screenshot(path=str(screenshots / "compare.png"))
            assert errors == []
        with RunningServer(create_app(store, allow_control=True)) as control:
            page = browser_context.new_page()
            errors = watch_console(page)
            page.on("dialog", lambda dialog: dialog.accept())
            # The trial page's controls: a change goes through the API and its answer is shown
            # (taken at the next epoch, or refused because the trial has finished meanwhile).
            page.goto(f"{control.url}/study?study=live")
            page.click("#trial-table tbody tr[data-number='4']")
            page.wait_for_selector("#trial-control input[type=text]")
            page.fill("#trial-control input[type=text]", "epochs=9")
            page.click("#trial-control button:has-text('change')")
            page.wait_for_function("() => (document.getElementById('control-result') || {}).textContent")
            answer = page.text_content("#control-result").strip()
            assert answer.startswith(("taken at trial", "error: trial: trial")), answer
            if answer.startswith("error:"):  # a refusal is a 400, which the browser logs
                assert len(errors) == 1 and "400" in errors[0], errors
                errors.clear()
            page.screenshot(path=str(screenshots / "trial-control.png"))
            page.goto(f"{control.url}/")
            page.click("tr[data-study=live] button.danger")
            page.wait_for_selector("tr[data-study=live]", state="detached", timeout=10000)
            assert store.load_study("live") is None and errors == []
    finally:
        writer.kill()
        writer.wait()


def test_a_narrow_window_scrolls_wide_tables_inside_their_section_and_stacks_the_curves(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'narrow.db'}"
    # The finished study is written before the dashboard starts: in this process, which spares
    # a process start (the running study of the first test is the one written from outside).
    _writer().main(url, "a study with a rather long name", 2, 3, 0)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.set_viewport_size({"width": 400, "height": 800})
        page.goto(f"{server.url}/")
        page.wait_for_selector("#studies tbody tr")
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        page.goto(f"{server.url}/study?study=a%20study%20with%20a%20rather%20long%20name")
        page.wait_for_function("() => (document.getElementById('curve-loss').data || []).length > 0", timeout=15000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        assert page.evaluate("document.getElementById('curve-loss').getBoundingClientRect().width") > 300
        assert errors == []


def test_the_compare_page_follows_the_studies_started_and_deleted_while_it_is_open(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'compare.db'}")
    for name in ("first", "second"):
        sid = store.create_study(name, "minimize")
        store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 0.5)
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/compare?study=first&study=second")
        page.wait_for_function("() => (document.getElementById('compare-plot').data || []).length === 4")
        sid = store.create_study("started later", "minimize")
        store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 0.4)
        page.wait_for_selector("#pick input[value='started later']", timeout=10000)
        page.check("#pick input[value='started later']")
        page.wait_for_function("() => (document.getElementById('compare-plot').data || []).length === 6", timeout=10000)
        store.delete_study("second")
        page.wait_for_function("() => (document.getElementById('compare-plot').data || []).length === 4", timeout=10000)
        names = page.evaluate("document.getElementById('compare-plot').data.map(t => t.name)")
        assert names[0].startswith("first") and names[2].startswith("started later")
        assert page.locator("#pick input[value='second']").count() == 0 and errors == []


def test_a_study_page_for_a_name_the_storage_lacks_says_so_in_its_heading(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'missing.db'}")
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        page.goto(f"{server.url}/study?study=typo")
        page.wait_for_function("() => document.getElementById('status').textContent === 'not found'", timeout=10000)
        assert page.inner_text("#study-line").startswith("study: no study named 'typo' in this storage")
        sid = store.create_study("typo", "minimize")  # made after all: the page follows it
        store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 0.5)
        page.wait_for_function("() => document.getElementById('status').textContent === 'finished'", timeout=10000)
        assert page.inner_text("#study-line").startswith("minimize value · 1 trial · ")  # not "1 trials"


def test_a_page_open_across_a_restart_of_the_dashboard_reads_the_study_again(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'restart.db'}")
    sid = store.create_study("s", "minimize")
    store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 0.5)
    page = browser_context.new_page()
    with RunningServer(create_app(store)) as first:
        port = first.port
        page.goto(f"{first.url}/study?study=s")
        page.wait_for_function("() => document.querySelectorAll('#trial-table tbody tr').length === 1")
        assert page.evaluate("S.version") == 1
    # Changed while no dashboard ran: the restarted one reads it all at its own version 1.
    store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 0.25)
    with RunningServer(create_app(store), port=port):
        page.wait_for_function("() => document.querySelectorAll('#trial-table tbody tr').length === 2", timeout=10000)
        page.wait_for_function("() => document.getElementById('best-line').textContent.includes('#1')")


def test_deleting_a_study_on_the_studies_page_says_where_its_checkpoints_stay(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'ckpt.db'}")
    runs = tmp_path / "runs"
    store.create_study("pbt", "minimize", attrs={"config": {"search": {"checkpoint_dir": str(runs)}}})
    (runs / "pbt").mkdir(parents=True)
    (runs / "pbt" / "trial-0.pt").write_bytes(b"weights")
    with RunningServer(create_app(store, allow_control=True)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{server.url}/")
        page.click("tr[data-study=pbt] button.danger")
        page.wait_for_selector("#delete-note:not([hidden])", timeout=10000)
        page.wait_for_selector("tr[data-study=pbt]", state="detached", timeout=10000)
        assert page.inner_text("#delete-note") == (f"deleted study pbt; its checkpoints stay in {runs / 'pbt'} "
                                                   "(remove the folder when they are no longer needed)")
        assert (runs / "pbt" / "trial-0.pt").exists() and errors == []
