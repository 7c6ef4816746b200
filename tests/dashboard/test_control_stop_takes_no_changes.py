"""A stop asked with changes beside it: the API refuses it in one line naming the change
(the change was dropped without a word before), writes nothing, and the page's stop button
sends no changes, whatever is typed in the box for the next change or fork. A change typed
as one of the request's own fields ("number=0") is refused on the page: it was sent as that
field, and changed another trial than the one shown."""

from __future__ import annotations


import pytest

from nntune.dashboard import RunningServer, create_app
from nntune.space import Float
from nntune.storage import SQLStorage
from nntune.trial import TrialState

from tests.dashboard.test_api import get


def running_trial(tmp_path) -> tuple[SQLStorage, int]:
    store = SQLStorage(f"sqlite:///{tmp_path / 'stop.db'}")
    sid = store.create_study("s", "maximize")
    n = store.create_trial(sid)
    store.set_trial_params(sid, n, {"lr": 0.01}, {"lr": Float(1e-4, 0.1, log=True)})
    store.report(sid, n, 1, 0.5, {"train_loss": 1.0})
    return store, sid


def test_a_stop_with_changes_and_a_change_named_twice_are_refused_and_write_nothing(tmp_path):
    store, sid = running_trial(tmp_path)
    url = "/api/trial/control?study=s&number=0"
    with RunningServer(create_app(store, allow_control=True)) as server:
        for query, message in (("action=stop&lr=0.001", "lr: a stop takes no changes"),
                               ("action=set&lr=0.001&lr=0.002", "lr: given more than once"),
                               ("action=set&epoch=1&lr=0.001", "epoch: only a fork starts from an epoch")):
            code, body, _ = get(f"{server.url}{url}&{query}", "POST")
            assert code == 400 and body["error"].startswith(message), body
        assert store.get_param_changes(sid) == []
        assert get(f"{server.url}{url}&action=stop", "POST")[0] == 200
    assert [(c.param, c.new) for c in store.get_param_changes(sid)] == [("stop", True)]


@pytest.mark.slow
def test_the_stop_button_stops_whatever_is_typed_for_a_change(browser_context, tmp_path):
    store, sid = running_trial(tmp_path)
    with RunningServer(create_app(store, allow_control=True)) as server:
        page = browser_context.new_page()
        page.goto(f"{server.url}/study?study=s")
        page.wait_for_selector("#trial-control input[type=text]", timeout=15000)
        page.fill("#trial-control input[type=text]", "lr=3e-4 dropout=")
        page.click("#trial-control button.danger")
        page.wait_for_function("() => document.getElementById('control-result').textContent.trim() !== ''",
                               polling=100, timeout=10000)
        assert page.inner_text("#control-result").strip().startswith("trial 0 stops when")
    assert [(c.param, c.new) for c in store.get_param_changes(sid)] == [("stop", True)]
    assert store.get_trial(sid, 0).state == TrialState.RUNNING  # until its next epoch boundary takes the stop


@pytest.mark.slow
def test_a_change_naming_the_requests_own_fields_is_refused_on_the_page(browser_context, tmp_path):
    store, sid = running_trial(tmp_path)
    store.create_trial(sid)  # trial 1, running: the page follows it
    with RunningServer(create_app(store, allow_control=True)) as server:
        page = browser_context.new_page()
        page.goto(f"{server.url}/study?study=s")
        page.wait_for_selector("#trial-control input[type=text]", timeout=15000)
        assert page.inner_text("#trial-control b").startswith("trial #1")
        page.fill("#trial-control input[type=text]", "lr=3e-4 number=0")  # trial 0 would have taken it
        page.click("#trial-control button:has-text('change')")
        page.wait_for_function("() => document.getElementById('control-result').textContent.trim() !== ''",
                               polling=100, timeout=10000)
        assert page.inner_text("#control-result").strip().startswith("error: number: not a hyperparameter")
    assert store.get_param_changes(sid) == []
