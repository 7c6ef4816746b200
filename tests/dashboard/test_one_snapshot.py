"""The selected trial's panel and its table row come from one read: once the panel shows a
trial's final state, the table row and every later poll show it too, even while the held
snapshot of the study would not be read again (a frozen clock keeps it from refreshing)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from nntune.dashboard import RunningServer, create_app
from nntune.space import Float
from nntune.storage import SQLStorage
from nntune.trial import TrialState

FROZEN = 1000.0  # the dashboard's clock never moves: its snapshot is read once, at the first request


def record(epoch: int) -> dict[str, Any]:
    acc = 0.5 + 0.1 * epoch
    return {"epoch": epoch, "train_loss": 1 - acc, "val_loss": 1.1 - acc, "train_accuracy": acc,
            "val_accuracy": acc, "lr": 1e-3}


def running_study(tmp_path) -> tuple[SQLStorage, int]:
    """Trial 0 complete, trial 1 running after two epochs."""
    store = SQLStorage(f"sqlite:///{tmp_path / 'snap.db'}")
    sid = store.create_study("snap", "maximize")
    store.set_study_attr(sid, "metric", "accuracy")
    dist = {"lr": Float(1e-4, 1.0, log=True)}
    for number in range(2):
        n = store.create_trial(sid, params={"lr": 10 ** (-3 + number)}, distributions=dist)
        for epoch in (1, 2):
            store.report(sid, n, epoch, record(epoch)["val_accuracy"], record(epoch))
    store.finish_trial(sid, 0, TrialState.COMPLETE, 0.7)
    return store, sid


def finish(store: SQLStorage, sid: int) -> None:
    store.report(sid, 1, 3, 0.8, record(3))
    store.finish_trial(sid, 1, TrialState.COMPLETE, 0.8)


def get(url: str) -> Any:
    with urllib.request.urlopen(url) as res:
        return json.loads(res.read())


def test_the_trial_read_moves_the_rows_with_it(tmp_path):
    store, sid = running_study(tmp_path)
    with RunningServer(create_app(store, clock=lambda: FROZEN)) as server:
        first = get(f"{server.url}/api/poll?study=snap&since=-1")
        assert first["running"] == [1]
        finish(store, sid)
        held = get(f"{server.url}/api/trials?study=snap")
        assert {r["number"]: r["state"] for r in held["rows"]}[1] == "running"  # the held snapshot
        panel = get(f"{server.url}/api/trial?study=snap&number=1")
        assert (panel["state"], panel["value"], panel["epochs"]) == ("complete", 0.8, 3)
        rows = {r["number"]: r for r in get(f"{server.url}/api/trials?study=snap")["rows"]}
        assert (rows[1]["state"], rows[1]["value"], rows[1]["epochs"]) == ("complete", 0.8, 3)
        assert panel["version"] > first["version"]
        poll = get(f"{server.url}/api/poll?study=snap&since={first['version']}")
        assert poll["version"] == panel["version"] and poll["running"] == []
        assert [(r["number"], r["state"]) for r in poll["changed"]] == [(1, "complete")]
        assert poll["counts"]["complete"] == 2 and poll["counts"]["running"] == 0


# Every change of the panel's title or the table: the title's trial and state against its row's.
WATCH = """() => {
  window.__mismatch = [];
  const check = () => {
    const m = /^#(\\d+) · (\\w+)/.exec(document.getElementById('trial-title').textContent || '');
    if (!m) return;
    const badge = document.querySelector(`#trial-table tbody tr[data-number='${m[1]}'] .st`);
    if (badge && badge.textContent !== m[2]) window.__mismatch.push(`#${m[1]}: panel ${m[2]}, row ${badge.textContent}`);
  };
  new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


@pytest.mark.slow
def test_the_panel_and_its_row_never_disagree_in_the_browser(browser_context, tmp_path):
    store, sid = running_study(tmp_path)
    with RunningServer(create_app(store, clock=lambda: FROZEN)) as server:
        page = browser_context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}/study?study=snap")
        page.wait_for_function("() => (document.getElementById('trial-title').textContent || '').startsWith('#1 · running')",
                               timeout=15000)
        page.wait_for_selector("#trial-table tbody tr[data-number='1'] .st-running")
        page.evaluate(WATCH)
        finish(store, sid)
        page.click("#trial-table tbody tr[data-number='1']")  # the panel reads trial 1 again
        page.wait_for_function("() => (document.getElementById('trial-title').textContent || '').startsWith('#1 · complete')",
                               timeout=10000)
        cells = page.eval_on_selector_all("#trial-table tbody tr[data-number='1'] td", "tds => tds.map(c => c.textContent)")
        assert cells[1:4] == ["complete", "0.8000", "3"], cells
        # The next poll redraws the table from the snapshot the panel's read moved: still complete.
        page.wait_for_function("() => document.getElementById('best-line').textContent.includes('#1')", timeout=10000)
        page.wait_for_selector("#trial-table tbody tr[data-number='1'] .st-complete")
        assert page.evaluate("window.__mismatch") == []
        assert errors == []
