"""The report's content as plain data: what each section holds, read in bulk."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from nntune.report import build_report_data
from nntune.report.data import MAX_CURVES
from nntune.storage import InMemoryStorage, StudyNotFoundError


class CountingStorage(InMemoryStorage):
    """Counts the reads the report makes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def get_trials(self, *args: Any, **kwargs: Any) -> Any:
        self._count("get_trials" + ("_with_metrics" if kwargs.get("with_metrics") else ""))
        return super().get_trials(*args, **kwargs)

    def get_trial(self, *args: Any, **kwargs: Any) -> Any:
        self._count("get_trial")
        return super().get_trial(*args, **kwargs)


def test_every_section_is_plain_json_data(storage, make_study):
    make_study(storage)
    data = build_report_data(storage, "demo")
    assert set(data) == {"summary", "history", "learning_curves", "intermediate", "parallel", "slices",
                         "importance", "priorities", "best_region", "test", "diagnosis", "trials", "split_warning",
                         "pareto", "lineage"}
    json.dumps(data, allow_nan=False)  # plain data, no NaN
    s = data["summary"]
    assert (s["study"], s["direction"], s["metric"], s["n_trials"]) == ("demo", "maximize", "accuracy", 30)
    assert s["counts"] == {"complete": 21, "pruned": 6, "failed": 0, "diverged": 3, "running": 0, "waiting": 0}


def test_history_is_the_best_value_so_far(storage, make_study):
    make_study(storage)
    h = build_report_data(storage, "demo")["history"]
    assert h["n_complete"] == 21 == len(h["number"])
    best = [max(h["value"][: i + 1]) for i in range(len(h["value"]))]
    steps = dict(zip(h["best_number"], h["best_value"]))
    for number, b in zip(h["number"], best):
        assert steps.get(number, b) == b
    assert h["best_value"] == sorted(h["best_value"])  # never gets worse when maximizing
    assert h["pruned_number"] == [3, 7, 11, 15, 23, 27] and h["n_trials"] == 30


def test_learning_curves_and_diagnoses_cover_the_top_trials_only(storage, make_study):
    make_study(storage)
    data = build_report_data(storage, "demo", top_k=3)
    top = [c["number"] for c in data["learning_curves"]]
    assert len(top) == 3 and top == [d["number"] for d in data["diagnosis"]]
    assert data["learning_curves"][0]["value"] == data["summary"]["best"]["value"]
    c = data["learning_curves"][0]
    assert len(c["epoch"]) == len(c["train_loss"]) == len(c["val_metric"]) == 8
    assert set(c["layers"]) == {"fc1", "head"} and len(c["layers"]["fc1"]["grad_norm"]) == 8


def test_intermediate_values_mark_pruned_trials_and_summarize_beyond_the_cap(storage, make_study):
    make_study(storage, n=300, epochs=3)
    it = build_report_data(storage, "demo")["intermediate"]
    assert it["n_trials"] == 270 and it["n_shown"] == len(it["curves"]) == MAX_CURVES
    assert {c["state"] for c in it["curves"]} == {"complete", "pruned"} and it["n_pruned"] == 60
    assert it["band_steps"] == [1, 2, 3] and it["band_counts"] == [270, 270, 210]
    assert all(lo <= mid <= hi for lo, mid, hi in zip(it["band"]["q10"], it["band"]["q50"], it["band"]["q90"]))


def test_slices_parallel_coordinates_and_importance_use_each_parameters_scale(storage, make_study):
    make_study(storage, n=60)
    data = build_report_data(storage, "demo")
    slices = {s["name"]: s for s in data["slices"]}
    assert slices["lr"]["log"] and slices["units"]["log"] and not slices["dropout"]["log"]
    assert slices["optimizer"]["categorical"] and slices["optimizer"]["categories"] == ["sgd", "adam"]
    assert sum(slices["lr"]["pruned"]) == 12 and len(slices["lr"]["x"]) == 54  # pruned trials too, marked
    dims = {d["name"]: d for d in data["parallel"]["dimensions"]}
    assert set(dims) == {"log10 lr", "log10 units", "dropout", "optimizer", "log10(1 - beta1)"}
    assert slices["beta1"]["beta"] and not slices["beta1"]["log"]
    assert all(-3.01 <= v <= math.log10(0.5) + 1e-9 for v in dims["log10(1 - beta1)"]["values"])  # Beta(0.5, 0.999)
    assert all(-5 <= v <= 0 for v in dims["log10 lr"]["values"])
    imp = data["importance"]["importance"]
    assert max(imp, key=imp.get) == "lr"  # the synthetic curves depend on lr alone
    region = data["best_region"]
    assert region["space"]["params"]["lr"]["log"] is True and len(region["top_trials"]) == 10


def test_trials_table_carries_scheduler_rungs_and_pbt_parents(storage, make_study):
    make_study(storage)
    table = build_report_data(storage, "demo")["trials"]
    assert table["scheduler_columns"] == ["rung", "parent"]
    rows = {r["number"]: r for r in table["rows"]}
    assert rows[3]["scheduler"] == {"rung": 0} and rows[6]["scheduler"] == {"parent": 5}


def test_the_test_section_counts_every_look(storage, make_study):
    make_study(storage, test_looks=2)
    t = build_report_data(storage, "demo")["test"]
    assert t["looks"] == 2 and t["statement"] == "The test split of this study has been evaluated 2 times."
    assert t["confusion_matrix"] == [[9, 1], [0, 10]] and t["residuals"] is None
    assert t["evaluations"][0]["metrics"] == {"accuracy": 0.95, "f1": 0.94}


def test_regression_studies_get_residuals_and_an_unopened_test_split_says_so(storage, make_study):
    make_study(storage, "reg", metric="mae")
    data = build_report_data(storage, "reg")
    assert data["summary"]["metric"] == "mae" and data["test"]["confusion_matrix"] is None
    assert len(data["test"]["residuals"]["predicted"]) == 50
    make_study(storage, "sealed", test_looks=0)
    storage.set_study_attr(storage.load_study("sealed").id, "config", {"study": "sealed"})  # trained by nntune
    assert build_report_data(storage, "sealed")["test"]["statement"].endswith("has never been evaluated.")


def test_define_by_run_studies_without_records_or_declared_space(storage, make_study):
    make_study(storage, "dbr", with_records=False)
    data = build_report_data(storage, "dbr")
    assert data["learning_curves"] == [] and data["summary"]["metric"] == "value"
    assert {s["name"] for s in data["slices"]} == {"lr", "units", "dropout", "optimizer", "beta1"}  # inferred
    assert data["intermediate"]["n_trials"] == 27


def test_the_study_is_read_in_bulk_plus_one_read_per_top_trial(make_study):
    store = CountingStorage()
    make_study(store, n=100)
    build_report_data(store, "demo", top_k=5)
    assert store.calls == {"get_trials": 1, "get_trial": 5}


def test_a_missing_study_is_an_error(storage):
    with pytest.raises(StudyNotFoundError):
        build_report_data(storage, "nope")


def test_standard_errors_and_the_notes_order(storage, make_study):
    make_study(storage)
    sid = storage.load_study("demo").id
    data = build_report_data(storage, "demo")
    assert all(r["std_error"] is None for r in data["trials"]["rows"])  # the split's size is not stored
    storage.set_study_attr(sid, "n_val", 40)
    data = build_report_data(storage, "demo")
    row = data["trials"]["rows"][0]
    assert row["std_error"] == pytest.approx(math.sqrt(row["value"] * (1 - row["value"]) / 40))
    names = [r["name"] for r in data["priorities"]]
    assert names == list(data["importance"]["importance"]) and "lr" in names
    assert next(r for r in data["priorities"] if r["name"] == "lr")["notes_tier"] == 1


def test_stored_curve_predictions_are_drawn_for_the_best_and_the_latest_stopped(storage, make_study):
    from nntune.report import figures
    from nntune.report.data import MAX_PREDICTIONS

    sid = make_study(storage)
    trials = storage.get_trials(sid)

    def predict(t, step):
        steps = list(range(step + 1, 9))
        mean = [t.intermediate_values[step] + 0.01 * (s - step) for s in steps]
        return {"horizon": 8, "step": step, "steps": steps, "mean": mean, "low": [m - 0.02 for m in mean],
                "high": [m + 0.02 for m in mean], "p_beat": 0.01, "target": 0.9, "finals": [[step, mean[-1], 0.02, 0.01]]}

    for t in trials:
        if t.state.value in ("complete", "pruned") and t.last_step:
            storage.set_trial_system_attr(sid, t.number, "curve", predict(t, min(t.last_step, 7) - 1 or 1))
    data = build_report_data(storage, "demo")
    drawn = data["intermediate"]["predictions"]
    assert len(drawn) == MAX_PREDICTIONS
    assert drawn[0]["number"] == data["summary"]["best"]["number"]
    # After the best three, the latest stopped trials, newest first.
    tail = [p["number"] for p in drawn[MAX_PREDICTIONS // 2:]]
    assert all(p["state"] == "pruned" for p in drawn[MAX_PREDICTIONS // 2:]) and tail == sorted(tail, reverse=True)
    shown = {p["number"] for p in drawn}
    assert all(t.number in shown for t in trials if t.state.value == "pruned" and t.number > min(tail))
    for p in drawn:
        assert len(p["steps"]) == len(p["mean"]) == len(p["low"]) == len(p["high"]) and p["value"] is not None
    json.dumps(data["intermediate"], allow_nan=False)
    fig = figures.intermediate_figure(data["intermediate"], "accuracy")
    dashed = [tr for tr in fig.data if tr.name and "predicted at epoch" in tr.name]
    assert len(dashed) == MAX_PREDICTIONS and all(tr.line.dash == "dash" for tr in dashed)
    bands = [tr for tr in fig.data if tr.fill == "toself" and str(tr.legendgroup).startswith("prediction-")]
    assert len(bands) == MAX_PREDICTIONS
    from nntune.report.browse import trial_detail

    first = storage.get_trial(sid, drawn[0]["number"], with_metrics=True)
    assert trial_detail(first, metric="accuracy", direction="maximize", study_best=None)["prediction"]["steps"] \
        == drawn[0]["steps"]


def test_a_real_hyperband_study_shows_each_trials_bracket_and_rung(storage):
    # A study stores where Hyperband left each trial under system_attrs["scheduler"]; the
    # report's table and the dashboard's rows read it there.
    import nntune
    from nntune.report.browse import query_trials, TrialQuery
    from nntune.schedulers import Hyperband

    study = nntune.create_study("hb", storage, direction="maximize", seed=0,
                                scheduler=Hyperband(min_resource=1, max_resource=4, reduction_factor=2, seed=0))

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(1, 5):
            trial.report(x * step, step)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return x * 4

    study.optimize(objective, n_trials=8)
    table = build_report_data(storage, "hb")["trials"]
    assert {"bracket", "rung", "rung step"} <= set(table["scheduler_columns"])
    stored = {t.number: t.system_attrs["scheduler"] for t in study.get_trials()}
    for row in table["rows"]:
        assert row["scheduler"]["bracket"] == stored[row["number"]]["bracket"]
        assert row["scheduler"].get("rung") == stored[row["number"]].get("rung")
    page = query_trials(study.get_trials(), TrialQuery(size=50))
    assert {"bracket", "rung"} <= set(page["scheduler_columns"])
    assert all(r["scheduler"]["bracket"] == stored[r["number"]]["bracket"] for r in page["rows"])
