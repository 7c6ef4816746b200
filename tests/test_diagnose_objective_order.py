"""A study of several objectives whose trained metric is not the first (``metric: [params,
accuracy]``): the curves are read in the metric's own direction against its own best, so
the diagnosis is the one the same curves get where the metric comes first."""

from __future__ import annotations

import math

import pytest

from nntune.report.data import build_report_data
from nntune.show import show_data
from nntune.storage import InMemoryStorage, Storage
from nntune.trial import TrialState

# Two digits MLPs of 8 epochs: a 16-unit one that fits (97%), and one stuck at 55% on both
# splits with its loss flat (underfitting, whichever objective comes first).
FITS = [(2.0 * math.exp(-0.8 * e) + 0.05, 2.0 * math.exp(-0.8 * e) + 0.1, 0.99 - 0.6 * math.exp(-0.8 * e),
         0.97 - 0.6 * math.exp(-0.8 * e)) for e in range(1, 9)]
STUCK = [(1.4 + 0.3 * math.exp(-e), 1.42 + 0.3 * math.exp(-e), 0.56 - 0.2 * math.exp(-e), 0.55 - 0.2 * math.exp(-e))
         for e in range(1, 9)]


def stored(storage: Storage, names: list[str], directions: list[str]) -> None:
    sid = storage.create_study("s", directions[0], {"directions": directions, "metric_names": names,
                                                   "metrics": names, "metric": "accuracy"})
    for curves, params in ((FITS, 2000.0), (STUCK, 700.0)):
        number = storage.create_trial(sid, params={}, distributions={})
        for epoch, (tl, vl, ta, va) in enumerate(curves, start=1):
            storage.report(sid, number, epoch, va, {"epoch": epoch, "train_loss": tl, "val_loss": vl,
                                                    "train_accuracy": ta, "val_accuracy": va, "value": va})
        values = [params if n == "params" else curves[-1][3] for n in names]
        storage.set_trial_system_attr(sid, number, "values", values)
        storage.finish_trial(sid, number, TrialState.COMPLETE, values[0])


@pytest.mark.parametrize("names,directions", [(["accuracy", "params"], ["maximize", "minimize"]),
                                              (["params", "accuracy"], ["minimize", "maximize"])])
def test_the_diagnosis_does_not_depend_on_the_order_of_the_objectives(names, directions):
    storage = InMemoryStorage()
    stored(storage, names, directions)
    rows = {r["number"]: r for r in show_data(storage, "s")["trials"]}
    assert rows[0]["findings"] == [] and rows[1]["findings"] == ["underfitting"]
    assert rows[1]["diagnosis"][0]["evidence"]["best_error"] == pytest.approx(1 - FITS[-1][3])
    report = {d["number"]: [f["kind"] for f in d["findings"]] for d in build_report_data(storage, "s")["diagnosis"]}
    assert report == {0: [], 1: ["underfitting"]}


def test_the_dashboard_reads_the_followed_trial_as_show_does(tmp_path):
    import json
    import urllib.request

    from nntune.dashboard import RunningServer, create_app
    from nntune.storage import SQLStorage

    storage = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    stored(storage, ["params", "accuracy"], ["minimize", "maximize"])
    with RunningServer(create_app(storage)) as server:
        with urllib.request.urlopen(f"{server.url}/api/trial?study=s&number=1") as res:
            trial = json.loads(res.read())
    assert [f["kind"] for f in trial["findings"]] == ["underfitting"]
