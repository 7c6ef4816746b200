"""nntune tune with several objectives and constraints: the Pareto front among feasible
trials, one test look per trial of it, and the same front in --json, show and the report."""

from __future__ import annotations

import json

import pytest

from nntune.config import parse_config
from nntune.report import build_report_data, render_html
from nntune.exceptions import ConfigError
from nntune.runner import look_again, prepare, run_tune
from nntune.samplers import is_feasible
from nntune.show import show_data
from nntune.study import load_study
from nntune.trial import TrialState, dominates

SPACE = {"units": {"type": "int", "low": 4, "high": 128, "log": True},
         "layers": {"type": "int", "low": 1, "high": 2},
         "lr": {"type": "float", "low": 1e-2, "high": 1e-1, "log": True}}
MAX_PARAMS = 2000


def config(tmp_path, search=None, **task):
    return parse_config({"study": "mo", "storage": f"sqlite:///{tmp_path / 's.db'}",
                         "task": {"data": "digits", "train_size": 400, **task},
                         "search": search or {"sampler": "nsga2", "trials": 8, "seed": 1,
                                              "sampler_options": {"population_size": 4}},
                         "space": SPACE, "fixed": {"epochs": 2}})


@pytest.mark.slow
def test_the_front_is_chosen_among_feasible_trials_and_each_is_looked_at_once(tmp_path):
    cfg = config(tmp_path, metric=["accuracy", "params"], constraints={"params": {"max": MAX_PARAMS}})
    summary = run_tune(prepare(cfg))
    study = load_study("mo", cfg.storage)
    trials = study.get_trials()
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(done) == 8 and study.directions == ["maximize", "minimize"]
    for t in done:  # each value pair measured, each constraint value stored
        assert t.values[1] == t.user_attrs["params"]
        assert t.system_attrs["constraints"] == [pytest.approx(t.user_attrs["params"] - MAX_PARAMS)]
    feasible = [t for t in done if is_feasible(t)]
    assert any(not is_feasible(t) for t in done), "the space should hold networks above the bound"
    numbers = [t.number for t in summary.front]
    assert numbers and all(is_feasible(t) for t in summary.front)
    for t in summary.front:  # nothing feasible dominates a front trial; every other feasible one is dominated
        assert not any(dominates(o.values, t.values, ["maximize", "minimize"]) for o in feasible)
    assert all(any(dominates(f.values, t.values, ["maximize", "minimize"]) for f in summary.front)
               for t in feasible if t.number not in numbers)
    looks = study.storage.get_test_evaluations(study.id)
    assert sorted(look["trial"] for look in looks) == numbers
    assert all(look["metrics"]["params"] == t.user_attrs["params"] for look, t in zip(looks, summary.front))
    assert summary.best is None and summary.test is None

    out = summary.to_json()
    assert out["objectives"] == ["accuracy", "params"] and out["test_evaluations"] == len(numbers)
    assert [f["trial"] for f in out["front"]] == numbers
    assert all(0 <= f["test"]["accuracy"] <= 1 for f in out["front"])
    json.dumps(out)

    again = run_tune(prepare(cfg))  # the study is complete: the recorded looks are shown, the split stays shut
    assert len(study.storage.get_test_evaluations(study.id)) == len(numbers)
    assert all(r.recorded for r in again.front_tests)

    shown = show_data(cfg.storage, "mo")["front"]
    assert [r["number"] for r in shown["rows"]] == numbers and shown["names"] == ["accuracy", "params"]
    assert shown["infeasible"] == len(done) - len(feasible)
    assert all(r["test"]["accuracy"] == f["test"]["accuracy"] for r, f in zip(shown["rows"], out["front"]))
    data = build_report_data(cfg.storage, "mo")
    assert data["pareto"]["rows"] == show_data(cfg.storage, "mo")["front"]["rows"]
    assert sum(data["pareto"]["points"]["pareto"]) == len(numbers)
    page = render_html(data)
    assert 'id="pareto-front"' in page and "plot-pareto" in page
    with pytest.raises(ConfigError, match="Pareto front was looked at once"):
        look_again(prepare(cfg))  # no single best trial for a deliberate new look


@pytest.mark.slow
def test_latency_as_an_objective_and_a_bound_on_one_objective(tmp_path):
    cfg = config(tmp_path, {"sampler": "random", "trials": 5, "seed": 1}, metric="accuracy",
                 constraints={"params": {"max": 2000}})
    summary = run_tune(prepare(cfg))
    trials = load_study("mo", cfg.storage).get_trials()
    assert summary.best is not None and summary.best.user_attrs["params"] <= 2000
    better_but_too_big = [t for t in trials if t.value is not None and t.value > summary.best.value]
    assert all(t.user_attrs["params"] > 2000 for t in better_but_too_big)
    assert summary.to_json()["front"][0]["trial"] == summary.best.number
    shown = show_data(cfg.storage, "mo")
    assert shown["best"] == summary.best.number and shown["front"] is None  # one objective: no front
    assert build_report_data(cfg.storage, "mo")["summary"]["best"]["number"] == summary.best.number
    assert {r["number"] for r in shown["trials"] if not r["feasible"]} == {t.number for t in better_but_too_big} | {
        t.number for t in trials if t.user_attrs["params"] > 2000}

    (tmp_path / "lat").mkdir()
    lat = config(tmp_path / "lat", {"sampler": "tpe", "trials": 3}, metric=["accuracy", "latency_ms"])
    front = run_tune(prepare(lat)).front
    assert front and all(t.values[1] > 0 and t.values[1] == t.user_attrs["latency_ms"] for t in front)


def test_tune_prints_the_front_and_its_json_carries_it(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", "task.metric=[accuracy, params]", "--set", "task.direction=null",
                              "--set", "task.train_size=300", "--set", "fixed.epochs=1", "--trials", "3",
                              "--storage", f"sqlite:///{tmp_path / 's.db'}", "--json")
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["objectives"] == ["accuracy", "params"] and summary["best"] is None
    assert summary["front"] and summary["test_evaluations"] == len(summary["front"])
    words = " ".join(err.split())  # the console wraps long lines
    assert "Pareto front of digits-mlp" in words and "maximize validation accuracy, minimize params" in words
    assert "hyperparameters" in words  # the column, not "params", which names an objective here


def test_with_no_complete_trial_the_split_stays_sealed_and_the_front_is_empty(tmp_path):
    # Each value passes on its own; together they cannot train (batch norm needs batches of 2);
    # the model builds, so prepare's check lets them run.
    cfg = parse_config({"study": "broken", "storage": f"sqlite:///{tmp_path / 's.db'}",
                        "task": {"metric": ["accuracy", "params"], "train_size": 200},
                        "search": {"trials": 2, "enqueue": [{"batch_size": 1}, {"batch_size": 1}]},
                        "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-1},
                                  "batch_size": {"type": "choice", "values": [1, 32]}},
                        "fixed": {"epochs": 1, "batchnorm": True}})
    summary = run_tune(prepare(cfg))
    out = summary.to_json()
    assert out["trials"]["failed"] == 2 and out["front"] == [] and out["test_evaluations"] == 0
    assert out["objectives"] == ["accuracy", "params"]
    assert "no feasible trial completed, so the test split stays sealed" in summary.notes


def test_constraints_no_trial_meets_are_said_so_and_the_test_split_stays_sealed(tmp_path):
    cfg = config(tmp_path, {"sampler": "random", "trials": 2, "seed": 1}, metric="accuracy",
                 constraints={"params": {"max": 10}})  # no MLP on digits is that small
    summary = run_tune(prepare(cfg))
    assert summary.best is None and summary.test is None
    assert "2 complete trials broke task.constraints; none met them" in summary.notes
    assert "no feasible trial completed, so the test split stays sealed" in summary.notes
