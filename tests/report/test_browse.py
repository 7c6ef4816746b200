"""The browsing builders: a page of trials, one trial in full, lineage, stages, export rows."""

from __future__ import annotations

import math

import pytest

from nntune.report.browse import (
    ParamRange,
    TrialQuery,
    compare_data,
    export_rows,
    query_trials,
    stages_data,
    studies_data,
    trial_detail,
)
from nntune.report.study_data import lineage_data
from nntune.samplers import CoarseToFineSampler
from nntune.space import Float, Space
from nntune.storage import InMemoryStorage
from nntune.trial import TrialState


@pytest.fixture
def demo(storage, make_study):
    sid = make_study(storage, "demo", n=30)
    rec = storage.load_study("demo")
    return storage, rec, storage.get_trials(sid)


def test_filters_sort_and_pages(demo):
    _, _, trials = demo
    everything = query_trials(trials, TrialQuery(size=7))
    assert everything["total"] == 30 and everything["pages"] == 5 and len(everything["rows"]) == 7
    assert [r["number"] for r in everything["rows"]] == list(range(7))
    assert set(everything["params"]) == {"lr", "units", "dropout", "optimizer", "beta1"}
    last = query_trials(trials, TrialQuery(size=7, page=4))
    assert [r["number"] for r in last["rows"]] == [28, 29]

    pruned = query_trials(trials, TrialQuery(states=frozenset({"pruned"}), size=100))
    assert pruned["total"] == sum(t.state == TrialState.PRUNED for t in trials) > 0
    assert {r["state"] for r in pruned["rows"]} == {"pruned"}

    by_value = query_trials(trials, TrialQuery(sort="value", descending=True, size=100))
    values = [r["value"] for r in by_value["rows"]]
    scored = [v for v in values if v is not None]
    assert scored == sorted(scored, reverse=True) and values[len(scored):] == [None] * (len(values) - len(scored))

    lr = query_trials(trials, TrialQuery(ranges=(ParamRange("lr", 1e-3, 1e-1),), sort="param:lr", size=100))
    got = [r["params"]["lr"] for r in lr["rows"]]
    assert got == sorted(got) and all(1e-3 <= v <= 1e-1 for v in got)
    assert lr["total"] == sum(1e-3 <= t.params["lr"] <= 1e-1 for t in trials)
    high = query_trials(trials, TrialQuery(value_min=0.9, size=100))
    assert all(r["value"] >= 0.9 for r in high["rows"]) and high["total"] < 30


def test_a_trial_in_full_has_curves_lr_and_advice(demo):
    storage, rec, _ = demo
    full = storage.get_trial(rec.id, 0, with_metrics=True)
    d = trial_detail(full, metric="accuracy", direction="maximize", study_best=0.97)
    assert d["curve"]["epoch"] == list(range(1, 9)) and len(d["curve"]["lr"]) == 8
    assert d["curve"]["lr"][0] == pytest.approx(full.params["lr"])
    assert d["intermediate"]["steps"] == list(range(1, 9))
    assert all({"kind", "severity", "advice", "summary"} <= set(f) for f in d["findings"])


def test_lineage_links_children_to_parents(demo):
    _, _, trials = demo
    lin = lineage_data(trials)
    children = [n for n in lin["nodes"] if n["parent"] is not None]
    assert lin["n_children"] == len(children) == sum(1 for t in trials if "pbt_parent" in t.user_attrs) > 0
    numbers = {n["number"] for n in lin["nodes"]}
    assert all(c["parent"] in numbers for c in children)
    assert lineage_data([t for t in trials if "pbt_parent" not in t.user_attrs])["nodes"] == []


def test_a_pbt_study_before_its_first_exploit_is_told_apart_from_a_study_without_pbt():
    # Founding members train their first ready_epochs before any copies another: the
    # lineage is empty then, but the study is a PBT study all the same.
    store = InMemoryStorage()
    sid = store.create_study("pbt", "maximize", {"config": {"search": {"scheduler": "pbt"}}})
    for value in (0.5, 0.7):
        number = store.create_trial(sid)
        store.set_trial_user_attr(sid, number, "pbt_founder", True)
        store.report(sid, number, 1, value)
    trials = store.get_trials(sid)
    lin = lineage_data(trials, store.load_study("pbt").attrs)
    assert lin["nodes"] == [] and lin["pbt"] is True
    assert lineage_data(trials)["pbt"] is True  # the founders' marks alone say so
    unmarked = store.create_study("api", "maximize", {"config": {"search": {"scheduler": "pbt"}}})
    store.report(unmarked, store.create_trial(unmarked), 1, 0.5)
    assert lineage_data(store.get_trials(unmarked), store.load_study("api").attrs)["pbt"] is True  # the config says so
    other = store.create_study("asha", "maximize", {"config": {"search": {"scheduler": "asha"}}})
    store.finish_trial(other, store.create_trial(other), TrialState.COMPLETE, 0.5)
    assert lineage_data(store.get_trials(other), store.load_study("asha").attrs)["pbt"] is False


def test_stages_redrawn_from_the_recorded_sampler():
    space = Space({"x": Float(0.0, 10.0)})
    store = InMemoryStorage()
    conf = {"seed": 1, "stages": 2, "trials_per_stage": 6, "top_k": 2, "margin": 0.0}
    sid = store.create_study("c2f", "minimize", {"space": space.to_json(), "coarse_to_fine": conf})
    sampler = CoarseToFineSampler(**conf)
    for i in range(9):
        params = sampler.suggest(space, store.get_trials(sid), number=i, direction="minimize")
        n = store.create_trial(sid, params=params, distributions=dict(space.params))
        store.finish_trial(sid, n, TrialState.COMPLETE, abs(params["x"] - 3.0))
    trials = store.get_trials(sid)
    stages = stages_data(trials, store.load_study("c2f").attrs, "minimize")
    assert [(s["stage"], s["first_trial"], s["n_trials"]) for s in stages] == [(0, 0, 6), (1, 6, 3)]
    best_first = sorted(trials[:6], key=lambda t: t.value)[:2]
    assert sorted(stages[1]["narrowed_around"]) == sorted(t.number for t in best_first)
    narrowed = stages[1]["space"]["params"]["x"]
    assert narrowed["low"] >= 0.0 and narrowed["high"] <= 10.0 and narrowed["high"] - narrowed["low"] < 10.0
    assert stages_data(trials, {}, "minimize") == []


def test_export_rows_use_optunas_columns(demo):
    _, _, trials = demo
    rows = export_rows(trials)
    assert len(rows) == 30
    cols = list(rows[0])
    assert cols[:5] == ["number", "value", "datetime_start", "datetime_complete", "duration"]
    assert cols[-1] == "state" and "params_lr" in cols and "user_attrs_pbt_parent" in cols
    assert {r["state"] for r in rows} <= {"COMPLETE", "PRUNED", "FAIL", "DIVERGED"}
    assert rows[0]["params_lr"] == trials[0].params["lr"]


def test_studies_hide_the_password_and_compare_lines_up_histories(demo):
    storage, rec, trials = demo
    data = studies_data(storage.study_summaries(), "postgresql://user:secret@db.example/nntune")
    assert "secret" not in str(data) and data["studies"][0]["name"] == "demo"
    both = compare_data([(rec, trials), (rec, trials[:10])])
    assert [c["history"]["n_trials"] for c in both] == [30, 10]
    assert all(math.isfinite(v) for v in both[0]["history"]["best_value"])
