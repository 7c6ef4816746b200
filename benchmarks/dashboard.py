"""How fast ``nntune dashboard`` shows a large study and follows it.

Builds (once, reused with ``--db``) an SQLite study of ``--trials`` trials (default 10,000)
of ``--epochs`` full per-epoch records each (default 30; the records of
``report_scale.synthetic_curve``), written in bulk into nntune's tables so that the build
takes seconds, with the last trial left running. Then, with the dashboard served by uvicorn
in this process:

- cold API: the first poll (the bulk read of every trial), a table page, the plot sections
  and the timeline (their sizes too: the timeline lists every trial), the contour of the
  default pair, then the same contour asked again with nothing changed (from the cache);
- first render in Debian's chromium (skipped without chromium or Playwright), on a fresh
  browser profile: from navigation until the trial table is drawn, until the first screen
  is (the table, the followed trial's curves, the history: "page ready"), then the plots
  below it, each drawn when scrolled near (the wait after scrolling to each, the worst, and
  the time until all are drawn); live, from a new epoch written until the page's curve shows it
  (the page polls once a second); and the first screen of a later visit, plotly.js from
  the browser's cache;
- refresh: a new epoch is written to the running trial, then one poll sees it and the page
  fetches what it redraws right away (a table page and the followed trial); the median and
  the worst of ``--refreshes`` rounds.

Goal: page ready in under 2 s and a refresh under 200 ms.

    .venv/bin/python benchmarks/dashboard.py [--trials 10000] [--epochs 30] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from collections.abc import Callable
from typing import Any

import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))  # report_scale beside this file

from report_scale import SPACE, synthetic_curve  # noqa: E402

from nntune.dashboard import RunningServer, create_app  # noqa: E402
from nntune.dashboard.live import MIN_REFRESH  # noqa: E402
from nntune.storage import SQLStorage  # noqa: E402
from nntune.storage._base import utcnow  # noqa: E402
from nntune.storage._schema import steps, trials  # noqa: E402
from nntune.trial import TrialState  # noqa: E402

STUDY = "dashboard-scale"
FIRST_SCREEN = ("() => document.querySelector('#trial-table tbody tr') !== null"
                " && document.getElementById('history-plot').data !== undefined"
                " && document.getElementById('curve-loss').data !== undefined")
LIVE_ROUNDS = 5
LAZY_PLOTS = ("intermediate-plot", "parallel-plot", "slices-plots", "importance-plot", "contour-plot", "rank-plot",
              "edf-plot", "timeline-plot")


def build(store: SQLStorage, n_trials: int, epochs: int, seed: int = 0) -> int:
    """The study in nntune's own tables, inserted in bulk; trial ``n_trials - 1`` is left running."""
    rng = np.random.default_rng(seed)
    sid = store.create_study(STUDY, "maximize", {"space": SPACE.to_json(), "metric": "accuracy"})
    dists = json.dumps({k: d.to_json() for k, d in SPACE.params.items()})
    end = utcnow()
    with store.engine.begin() as conn:
        for start in range(0, n_trials, 1000):
            trial_rows, step_rows = [], []
            for number in range(start, min(n_trials, start + 1000)):
                params = SPACE.sample(rng)
                records = synthetic_curve(params, epochs, rng)
                stop = epochs if rng.random() > 0.35 else min(epochs, int(rng.choice([1, 3, 9])))
                running = number == n_trials - 1
                # three seconds a trial, ending now: a read since the last minute finds a few
                now = end - timedelta(seconds=3 * (n_trials - 1 - number))
                state = TrialState.RUNNING if running else (TrialState.COMPLETE if stop == epochs else TrialState.PRUNED)
                trial_rows.append({"study_id": sid, "number": number, "state": state.value,
                                   "value": None if running else records[stop - 1]["value"],
                                   "params": json.dumps(params), "distributions": dists, "user_attrs": "{}",
                                   "system_attrs": "{}", "datetime_start": now, "heartbeat": now,
                                   "datetime_complete": None if running else now, "updated": now})
                step_rows.append([(r["epoch"], r["value"], json.dumps(r)) for r in records[:stop]])
            conn.execute(trials.insert(), trial_rows)
            ids = dict(conn.execute(sa.select(trials.c.number, trials.c.id).where(
                trials.c.study_id == sid, trials.c.number >= start)).all())
            conn.execute(steps.insert(), [{"trial_id": ids[start + i], "step": s, "value": v, "metrics": m}
                                          for i, rows in enumerate(step_rows) for s, v, m in rows])
    return sid


def timed_get(url: str) -> tuple[float, Any]:
    seconds, body, _ = timed_get_sized(url)
    return seconds, body


def timed_get_sized(url: str) -> tuple[float, Any, int]:
    """The seconds a GET took, its JSON and its size in bytes."""
    t0 = time.perf_counter()
    with urllib.request.urlopen(url) as res:
        raw = res.read()
    return time.perf_counter() - t0, json.loads(raw), len(raw)


def browser_first_render(url: str, follow: Callable[[Any], None]) -> dict[str, float] | None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "dashboard"))
    try:
        from conftest import CHROMIUM_ARGS, chromium_path
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    exe = chromium_path()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=exe, headless=True, args=CHROMIUM_ARGS,
                                                    viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        page.goto(f"{url}/static/style.css")  # the browser itself started, outside the timing
        t0 = time.perf_counter()
        page.goto(f"{url}/study?study={STUDY}", wait_until="commit")
        page.wait_for_selector("#trial-table tbody tr", timeout=60000)
        table = time.perf_counter() - t0
        page.wait_for_function(FIRST_SCREEN, polling=20, timeout=60000)
        first_screen = time.perf_counter() - t0
        # The plots below the first screen are drawn as they come near it: scroll to each in turn.
        page.wait_for_function("() => document.getElementById('importance-note').textContent !== ''", polling=20,
                               timeout=120000)
        worst_scroll, each = 0.0, {}
        for plot in LAZY_PLOTS:
            t1 = time.perf_counter()
            page.evaluate(f"document.getElementById('{plot}').scrollIntoView()")
            page.wait_for_function(f"() => document.getElementById('{plot}').data !== undefined"
                                   f" || document.getElementById('{plot}').querySelector('.js-plotly-plot') !== null",
                                   polling=20, timeout=60000)
            each[f"scrolled_to_{plot.split('-')[0]}_s"] = time.perf_counter() - t1
            worst_scroll = max(worst_scroll, each[f"scrolled_to_{plot.split('-')[0]}_s"])
        everything = time.perf_counter() - t0
        # Live: a new epoch of the followed trial, until the page's curve shows it (a poll a second).
        lags = []
        for _ in range(LIVE_ROUNDS):
            n = page.evaluate("document.getElementById('curve-loss').data[0].x.length")
            follow(page)
            t1 = time.perf_counter()
            page.wait_for_function(f"() => document.getElementById('curve-loss').data[0].x.length > {n}",
                                   polling=20, timeout=30000)
            lags.append(time.perf_counter() - t1)
        # A later visit: plotly.js from the browser's cache, compiled code included after two visits.
        again = []
        for _ in range(2):
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(f"{url}/study?study={STUDY}", wait_until="commit")
            page.wait_for_function(FIRST_SCREEN, polling=20, timeout=60000)
            again.append(time.perf_counter() - t0)
            page.close()
        ctx.close()
    return {"table_ready_s": table, "first_screen_ready_s": first_screen,
            "plot_after_scrolling_to_it_worst_s": worst_scroll, "all_plots_scrolled_through_s": everything,
            "first_screen_later_visit_s": min(again), "new_epoch_on_page_median_s": statistics.median(lags),
            "new_epoch_on_page_worst_s": max(lags), **each}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Prints the timings, last as one JSON line; returns them."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=10_000)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--refreshes", type=int, default=20)
    ap.add_argument("--db", type=Path, default=None, help="SQLite file to build once and reuse")
    ap.add_argument("--no-browser", action="store_true", help="API timings only")
    args = ap.parse_args(argv)
    tmp = tempfile.TemporaryDirectory()
    db = args.db or Path(tmp.name) / "dashboard.db"
    store = SQLStorage(f"sqlite:///{db}")
    rec = store.load_study(STUDY)
    if rec is None:
        t0 = time.perf_counter()
        build(store, args.trials, args.epochs)
        print(f"built {args.trials} trials x {args.epochs} epochs in {time.perf_counter() - t0:.1f}s ({db})")
        rec = store.load_study(STUDY)
    n_trials = len(store.get_trials(rec.id))
    running = max(t.number for t in store.get_trials(rec.id, [TrialState.RUNNING]))
    out: dict[str, Any] = {"trials": n_trials, "epochs": args.epochs}

    with RunningServer(create_app(store)) as srv:
        api = f"{srv.url}/api"
        out["cold_poll_s"], first = timed_get(f"{api}/poll?study={STUDY}&since=-1")
        out["table_page_s"], _ = timed_get(f"{api}/trials?study={STUDY}&sort=number&order=desc&size=50")
        out["sorted_filtered_page_s"], _ = timed_get(
            f"{api}/trials?study={STUDY}&state=complete&sort=param:lr&order=asc&size=50&range=lr:0.001:0.1")
        out["overview_s"], _, size = timed_get_sized(f"{api}/overview?study={STUDY}")
        out["overview_kb"] = round(size / 1024)
        out["timeline_s"], _, size = timed_get_sized(f"{api}/timeline?study={STUDY}")
        out["timeline_kb"] = round(size / 1024)
        out["contour_s"], _ = timed_get(f"{api}/contour?study={STUDY}")
        out["contour_unchanged_s"], _ = timed_get(f"{api}/contour?study={STUDY}")
        rounds, version = [], first["version"]
        step = max(store.get_trial(rec.id, running).intermediate_values, default=0)
        for _ in range(args.refreshes):
            step += 1
            store.report(rec.id, running, step, 0.5, {"epoch": step, "train_loss": 1.0, "val_loss": 1.1,
                                                       "val_accuracy": 0.5, "train_accuracy": 0.55, "lr": 0.01})
            time.sleep(MIN_REFRESH)
            t0 = time.perf_counter()
            _, polled = timed_get(f"{api}/poll?study={STUDY}&since={version}")
            assert [r["number"] for r in polled["changed"]] == [running], polled["changed"]
            version = polled["version"]
            timed_get(f"{api}/trials?study={STUDY}&sort=number&order=desc&size=50")
            timed_get(f"{api}/trial?study={STUDY}&number={running}")
            rounds.append(time.perf_counter() - t0)
        out["refresh_median_s"] = statistics.median(rounds)
        out["refresh_max_s"] = max(rounds)
        if not args.no_browser:
            def new_epoch(_page: Any) -> None:
                nonlocal step
                step += 1
                store.report(rec.id, running, step, 0.5, {"epoch": step, "train_loss": 1.0, "val_loss": 1.1,
                                                           "val_accuracy": 0.5, "train_accuracy": 0.55, "lr": 0.01})
            rendered = browser_first_render(srv.url, new_epoch)
            out.update(rendered or {"browser": "skipped: chromium or playwright missing"})
    out["load_average_1min"] = round(os.getloadavg()[0], 2)  # others' work on this machine slows every figure
    width = max(map(len, out))
    for key, value in out.items():
        shown = f"{value * 1000:8.0f} ms" if key.endswith("_s") else str(value)
        print(f"{key:{width}s}  {shown}")
    print("goal: page ready < 2000 ms, refresh < 200 ms")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
