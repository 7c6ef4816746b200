"""The study page's lineage section names the PBT members stopped before any trial started
from them, in the report's words: no line leaves them and some are not drawn at all, so
without a word the figure read as the whole population."""

from __future__ import annotations

import re
from typing import Any

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.report import render_html
from nntune.report.data import build_report_data
from nntune.schedulers import PBT, run_pbt
from nntune.storage import SQLStorage
from nntune.trial import TrialState
from tests.dashboard.test_browser import watch_console
from tests.report.test_report_lineage_stopped import EPOCHS, objective_factory

pytestmark = pytest.mark.slow


def report_lineage_text(url: str, name: str) -> str:
    page = render_html(build_report_data(url, name))
    found = re.search(r'<section id="lineage">(.*?)</section>', page, re.S)
    assert found is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1)))


def drawn(page: Any) -> None:
    """Wait for the lineage figure, drawn once it comes in sight."""
    page.wait_for_selector("#lineage-plot", state="attached", timeout=15000)
    page.locator("#lineage-section").scroll_into_view_if_needed()
    page.wait_for_selector("#lineage-plot .main-svg", timeout=15000)


@pytest.mark.parametrize(("population", "ending"), [
    # Founders stopped at their first ready step: in no node of the figure.
    (4, "3 members were stopped before any trial started from them (trials 1, 2 and 3): PBT's replacements "
        "continue better members, never a stopped one, so no line leaves them; they continued no other trial "
        "either, so they are not drawn."),
    # Trial 2, a copy of trial 0, stopped in its turn: drawn, at the end of its line.
    (2, "2 members were stopped before any trial started from them (trials 1 and 2): PBT's replacements "
        "continue better members, never a stopped one, so no line leaves them; the 1 that continued no other "
        "trial either is not drawn."),
])
def test_a_pbt_run_names_its_stopped_members_as_the_report_does(browser_context, tmp_path, population, ending):
    url = f"sqlite:///{tmp_path / 'pbt.db'}"
    study = nntune.create_study(storage=url, study_name="pbt", seed=1,
                                pruner=PBT(population=population, ready_epochs=2, seed=0, max_resource=EPOCHS))
    for lr in (0.1, 0.05, 1e-4, 2e-4)[:population]:  # the poor ones meet the good ones at step 2 and stop
        study.enqueue_trial({"lr": lr})
    run_pbt(study, objective_factory({}), n_trials=12)
    assert ending in report_lineage_text(url, "pbt")  # the report's sentence, which the page must repeat
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=pbt")
        drawn(page)
        assert page.inner_text("#lineage-stopped") == ending
        assert errors == []


def test_a_study_of_forks_says_nothing_of_stopped_members(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'forks.db'}")
    sid = store.create_study("forks", "minimize")
    for n in range(3):  # trial 2 a fork of trial 0; trial 1 pruned by a scheduler, no member of a population
        number = store.create_trial(sid)
        if n == 2:
            store.set_trial_system_attr(sid, number, "parent", 0)
            store.set_trial_system_attr(sid, number, "parent_step", 1)
        store.report(sid, number, 1, float(n))
        store.finish_trial(sid, number, TrialState.PRUNED if n == 1 else TrialState.COMPLETE, float(n))
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=forks")
        drawn(page)
        assert not page.is_visible("#lineage-stopped")
        assert "stopped" not in page.inner_text("#lineage")
        assert errors == []


def test_a_pbt_study_with_no_member_stopped_says_nothing_of_stopped_members(browser_context, tmp_path):
    # Trial 1 continued founder 0 and both ran to the end: a lineage, and no member stopped.
    store = SQLStorage(f"sqlite:///{tmp_path / 'pbt.db'}")
    sid = store.create_study("pbt", "maximize", {"config": {"search": {"scheduler": "pbt"}}})
    for n in range(2):
        number = store.create_trial(sid)
        store.set_trial_user_attrs(sid, number, {"pbt_parent": 0, "pbt_parent_step": 2} if n else {"pbt_founder": True})
        store.report(sid, number, 2, float(n))
        store.finish_trial(sid, number, TrialState.COMPLETE, float(n))
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=pbt")
        drawn(page)
        assert not page.is_visible("#lineage-stopped")
        assert "stopped" not in page.inner_text("#lineage")
        assert errors == []


def test_the_sentence_follows_the_running_study_before_and_after_the_first_exploit(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'pbt.db'}")
    sid = store.create_study("pbt", "maximize", {"config": {"search": {"scheduler": "pbt"}}})
    for value in (0.5, 0.7):  # founders as nntune tune starts them, none stopped yet
        number = store.create_trial(sid)
        store.set_trial_user_attr(sid, number, "pbt_founder", True)
        store.report(sid, number, 1, value)
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        errors = watch_console(page)
        page.goto(f"{server.url}/study?study=pbt")
        page.wait_for_selector("#lineage p.empty", timeout=15000)
        assert "stopped" not in page.inner_text("#lineage")
        # Trial 0 stopped before its replacement starts: named under the note of no lineage yet.
        store.finish_trial(sid, 0, TrialState.PRUNED, 0.5)
        page.wait_for_selector("#lineage-stopped", timeout=15000)
        sentence = ("1 member was stopped before any trial started from it (trial 0): PBT's replacements continue "
                    "better members, never a stopped one, so no line leaves it; it continued no other trial "
                    "either, so it is not drawn.")
        assert page.inner_text("#lineage-stopped") == sentence
        # Its replacement copies trial 1: the figure is drawn and the sentence stays above it.
        child = store.create_trial(sid)
        store.set_trial_user_attrs(sid, child, {"pbt_parent": 1, "pbt_parent_step": 1})
        store.report(sid, child, 2, 0.8)
        drawn(page)
        assert page.inner_text("#lineage-stopped") == sentence
        assert errors == []
