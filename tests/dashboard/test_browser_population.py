"""The study page of population-based training in a real browser (Debian's chromium): what
its lineage section says before and after the first exploit."""

from __future__ import annotations

import pytest

from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage
from nntune.trial import TrialState

pytestmark = pytest.mark.slow


def test_a_pbt_study_before_its_first_exploit_is_not_called_a_study_without_pbt(browser_context, tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'pbt.db'}")
    sid = store.create_study("pbt", "maximize", {"config": {"search": {"scheduler": "pbt"}}})
    for value in (0.5, 0.7):  # founders that have reported, none copied yet
        number = store.create_trial(sid)
        store.set_trial_user_attr(sid, number, "pbt_founder", True)
        store.report(sid, number, 1, value)
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        page.goto(f"{server.url}/study?study=pbt")
        page.wait_for_selector("#lineage p.empty", timeout=15000)
        assert "no population-based training" not in page.inner_text("#lineage")
        assert "No member has copied" in page.inner_text("#lineage")
        # The first exploit: the section draws the lineage.
        store.finish_trial(sid, 0, TrialState.PRUNED, 0.5)
        child = store.create_trial(sid)
        store.set_trial_user_attrs(sid, child, {"pbt_parent": 1, "pbt_parent_step": 1})
        store.report(sid, child, 2, 0.8)
        page.wait_for_selector("#lineage-plot", timeout=15000)


def test_the_study_page_says_how_the_population_executor_filled_its_stacks(browser_context, tmp_path):
    from nntune.executors._members import Occupancy
    from nntune.show import population_data

    store = SQLStorage(f"sqlite:///{tmp_path / 'pop.db'}")
    sid = store.create_study("pop", "maximize")
    store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 0.5)
    figures = Occupancy(4, rounds=3, member_epochs=10, slot_epochs=12, stack_epochs=3).to_json()
    store.set_study_attr(sid, "population", figures)
    with RunningServer(create_app(store)) as server:
        page = browser_context.new_page()
        page.goto(f"{server.url}/study?study=pop")
        page.wait_for_function("() => document.getElementById('population-line').textContent !== ''", timeout=15000)
        assert page.inner_text("#population-line") == population_data(figures)["text"]
