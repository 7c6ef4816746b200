"""The study page's timeline, EDF, contour, rank and Pareto front over a real SQLite storage:
the JSON the page draws is what ``nntune.visualization``'s builders make of the same study."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import numpy as np
import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.dashboard.live import MIN_REFRESH
from nntune.dashboard.plots import chosen_pair, default_pair, value_ranks
from nntune.dashboard.query import BadQuery
from nntune.report.study_data import edf_data, timeline_data
from nntune.storage import SQLStorage
from nntune.trial import TrialState
from nntune.visualization import _data

from tests.dashboard.test_api import build_study, get


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``demo`` (the report tests' study: complete, pruned and diverged trials, a Beta and a
    choice among its parameters, one trial left running) and ``mo`` (two objectives, named)."""
    store = SQLStorage(f"sqlite:///{tmp_path_factory.mktemp('plots') / 'plots.db'}")
    sid = build_study(store, "demo", n=30)
    store.create_trial(sid, params={"lr": 1e-3, "units": 32, "dropout": 0.1, "optimizer": "sgd", "beta1": 0.9})
    mo = nntune.create_study(study_name="mo", storage=store.url, directions=["maximize", "minimize"],
                             sampler=nntune.samplers.RandomSampler(seed=0))
    mo.set_metric_names(["acc", "cost"])
    mo.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), (t.suggest_float("y", 0.0, 1.0) - t.params["x"]) ** 2),
                n_trials=12)
    app = create_app(store)
    with RunningServer(app) as srv:
        yield store, srv.url, app.state.dashboard


def test_the_timeline_is_each_started_trial_from_its_start_to_its_end(served):
    store, url, _ = served
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    code, timeline, _ = get(f"{url}/api/timeline?study=demo")
    trials = store.get_trials(store.load_study("demo").id)
    assert code == 200 and timeline["rows"] == timeline_data(trials)["rows"]
    rows = {r["number"]: r for r in timeline["rows"]}
    assert sorted(rows) == [t.number for t in trials]
    for t in trials:
        assert rows[t.number]["start"] == t.datetime_start.isoformat() and rows[t.number]["state"] == t.state.value
        assert rows[t.number]["end"] == (None if t.datetime_complete is None else t.datetime_complete.isoformat())
    assert [r["state"] for r in rows.values()].count("running") == 1 and rows[30]["end"] is None
    # The running trial's bar ends when the server read it: after every start.
    now = datetime.fromisoformat(timeline["now"])
    assert abs((now - before).total_seconds()) < 60 and all(now >= datetime.fromisoformat(r["start"]) for r in rows.values())


def test_a_running_trial_ends_on_the_wall_clock_the_dashboard_is_given(served):
    store, _, _ = served
    app = create_app(store)
    app.state.dashboard.live.wall = lambda: datetime(2030, 1, 2, 3, 4, 5)
    with RunningServer(app) as srv:
        timeline = get(f"{srv.url}/api/timeline?study=demo")[1]
    assert timeline["now"] == "2030-01-02T03:04:05"


def test_the_edf_is_the_sorted_values_of_the_complete_trials(served):
    store, url, _ = served
    trials = store.get_trials(store.load_study("demo").id)
    edf = get(f"{url}/api/overview?study=demo")[1]["edf"]
    done = sorted(t.value for t in trials if t.state == TrialState.COMPLETE)
    assert edf == edf_data(trials) and edf["value"] == done and edf["n_complete"] == len(done)
    assert edf["share"] == [(i + 1) / len(done) for i in range(len(done))]


def test_the_contour_defaults_to_the_two_most_important_numeric_parameters(served):
    store, url, _ = served
    overview = get(f"{url}/api/overview?study=demo")[1]
    code, body, _ = get(f"{url}/api/contour?study=demo")
    assert code == 200 and body["params"] == ["lr", "units", "dropout", "optimizer", "beta1"]  # the choice too
    ranked = [n for n in overview["importance"]["importance"] if n in body["params"] and n != "optimizer"]
    assert len(ranked) >= 2 and body["pair"] == ranked[:2]
    study = nntune.load_study("demo", store.url)
    x, y = body["pair"]
    shown = [n if n != "beta1" else "1 - beta1" for n in (x, y)]
    assert _json(_data.contours(study, [x, y], None)["cells"][tuple(shown)], ()) == _json(body["contour"], ("rank",))


def _json(cell, drop):
    """A cell as JSON carries it: a plain dict, without the keys only one side has."""
    import json

    out = json.loads(nntune._json.dumps(cell))
    for axis in ("x", "y"):
        for key in drop:
            out[axis].pop(key, None)
    return {k: v for k, v in out.items() if k not in drop}


def test_a_chosen_pair_with_a_beta_is_drawn_as_plot_contour_and_plot_rank_draw_it(served):
    store, url, _ = served
    code, body, _ = get(f"{url}/api/contour?study=demo&x=beta1&y=lr")
    assert code == 200 and body["pair"] == ["beta1", "lr"]
    c, study = body["contour"], nntune.load_study("demo", store.url)
    assert c["x"]["name"] == "1 - beta1" and c["x"]["reversed"] is True and c["x"]["log"] is True
    assert c["y"]["name"] == "lr" and c["y"]["reversed"] is False
    expected = _data.contours(study, ["beta1", "lr"], None)["cells"][("1 - beta1", "lr")]
    assert c["number"] == expected["number"] and c["value"] == expected["value"]
    np.testing.assert_allclose(np.array(c["grid"]["z"], dtype=float), np.array(expected["grid"]["z"], dtype=float))
    # Only complete trials are points (pruned, diverged and running ones are not), and the
    # interpolated grid spans every one of them.
    trials = store.get_trials(store.load_study("demo").id)
    assert c["number"] == [t.number for t in trials if t.state == TrialState.COMPLETE]
    for axis in ("x", "y"):
        grid = c["grid"][axis]
        assert grid[0] == pytest.approx(min(c[axis]["values"])) and grid[-1] == pytest.approx(max(c[axis]["values"]))
    assert len(c["grid"]["z"]) == len(c["grid"]["y"]) and len(c["grid"]["z"][0]) == len(c["grid"]["x"])
    # The rank colours are plot_rank's (0 the best of the maximized accuracy).
    assert c["rank"] == _data.ranks(study, ["beta1", "lr"], None)["rank"]
    assert c["value"][c["rank"].index(0.0)] == max(c["value"])


def test_a_study_of_several_objectives_draws_its_first_objective_and_its_front(served):
    store, url, _ = served
    study = nntune.load_study("mo", store.url)
    code, body, _ = get(f"{url}/api/contour?study=mo")
    assert code == 200 and body["pair"] == ["x", "y"]
    assert body["contour"]["value"] == [t.values[0] for t in study.trials]
    pareto = get(f"{url}/api/overview?study=mo")[1]["pareto"]
    front = [t.number for t in study.best_trials]
    assert [r["number"] for r in pareto["rows"]] == front
    pts = pareto["points"]
    assert [n for n, on in zip(pts["number"], pts["pareto"]) if on] == front
    assert pts["values"] == [t.values for t in study.trials] and pts["names"] == ["acc", "cost"]


def test_a_study_of_fewer_than_two_parameters_has_no_contour(served):
    store, url, _ = served
    few = nntune.create_study(study_name="few", storage=store.url, sampler=nntune.samplers.RandomSampler(seed=0))
    few.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=4)
    code, body, _ = get(f"{url}/api/contour?study=few")
    assert code == 200 and (body["params"], body["pair"], body["contour"]) == (["x"], None, None)


def test_choices_are_drawn_over_their_labels_as_plot_contour_and_plot_rank_draw_them(served):
    # KerasTuner's hp.Choice everywhere (units in [16, 32, 64]): optuna-dashboard and
    # plot_contour draw such a study; the page said it had no parameter to draw.
    store, url, _ = served
    grid = nntune.create_study(study_name="choices", storage=store.url, sampler=nntune.samplers.RandomSampler(seed=0))
    grid.optimize(lambda t: t.suggest_categorical("units", [64, 16, 32]) / 64
                  + len(t.suggest_categorical("act", ["relu", "tanh"])), n_trials=6)
    code, body, _ = get(f"{url}/api/contour?study=choices")
    assert code == 200 and body["params"] == ["units", "act"] and body["pair"] == ["units", "act"]
    c = body["contour"]
    assert c["x"]["categorical"] and c["x"]["categories"] == ["64", "16", "32"]
    # The surface over the labels' places, as plot_contour draws it (there was none): a cell
    # per pair of labels the trials used, its best (lowest) value.
    assert c["grid"]["x"] == [u for u in ["64", "16", "32"] if u in c["x"]["values"]]
    assert c["grid"]["y"] == [a for a in ["relu", "tanh"] if a in c["y"]["values"]]
    for (u, a), v in zip(zip(c["x"]["values"], c["y"]["values"]), c["value"]):
        cell = c["grid"]["z"][c["grid"]["y"].index(a)][c["grid"]["x"].index(u)]
        assert cell == min(w for uu, aa, w in zip(c["x"]["values"], c["y"]["values"], c["value"]) if (uu, aa) == (u, a))
    expected = _data.contours(grid, ["units", "act"], None)["cells"][("units", "act")]
    assert _json(expected, ()) == _json(c, ("rank",))
    # Equal values share one rank (the mean of their places), as optuna's plot_rank ranks
    # them: four trials of one value were coloured from 0.2 to 0.8.
    assert len(set(c["value"])) < len(c["value"])
    assert c["rank"] == value_ranks(c["value"], "minimize")
    for v, r in zip(c["value"], c["rank"]):
        assert {rr for vv, rr in zip(c["value"], c["rank"]) if vv == v} == {r}
    # With a number beside a choice, the number and the choice may be picked.
    code, body, _ = get(f"{url}/api/contour?study=demo&x=optimizer&y=lr")
    assert code == 200 and body["pair"] == ["optimizer", "lr"] and body["contour"]["x"]["categorical"]
    assert len(body["contour"]["grid"]["z"]) == 50 and len(body["contour"]["grid"]["z"][0]) == 2  # a column per label


def test_a_trial_that_broke_the_constraints_is_left_unranked(served):
    # plot_rank and optuna-dashboard draw such a trial grey: ranked with the others, the best
    # value of an infeasible trial was coloured as the best (rank 0).
    store, url, _ = served
    sampler = nntune.samplers.TPESampler(seed=0, n_startup_trials=20,
                                         constraints_func=lambda t: [t.params["x"] - 0.5])
    con = nntune.create_study(study_name="constrained", storage=store.url, direction="maximize", sampler=sampler)
    con.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) + t.suggest_float("y", 0.0, 0.1), n_trials=10)
    c = get(f"{url}/api/contour?study=constrained")[1]["contour"]
    trials = {t.number: t for t in con.trials}
    assert c["feasible"] == [trials[n].params["x"] <= 0.5 for n in c["number"]]
    assert 0 < sum(c["feasible"]) < len(c["number"])
    met = [v for v, ok in zip(c["value"], c["feasible"]) if ok]
    assert [r for r in c["rank"] if r is not None] == value_ranks(met, "maximize")
    assert [r is None for r in c["rank"]] == [not ok for ok in c["feasible"]]
    assert c["value"][c["rank"].index(0.0)] == con.best_value


@pytest.mark.parametrize(("query", "message"), [
    ("x=lr", "y: missing (give both x and y, or neither)"),
    ("y=lr", "x: missing (give both x and y, or neither)"),
    ("x=lr&y=lr", "y: must differ from x ('lr')"),
    ("x=lr&y=nope", "y: no parameter 'nope' (expected one of lr, units, dropout, optimizer, beta1)"),
    ("x=lr&x=units&y=dropout", "x: given more than once"),
])
def test_a_bad_pair_is_a_400_naming_the_field(served, query, message):
    _, url, _ = served
    code, body, _ = get(f"{url}/api/contour?study=demo&{query}")
    assert code == 400 and body == {"error": message}


def test_the_contour_and_the_timeline_are_built_once_per_version(served):
    store, url, dash = served
    sid = store.load_study("demo").id
    get(f"{url}/api/contour?study=demo&x=lr&y=units")
    get(f"{url}/api/timeline?study=demo")
    contour, timeline = dash._contours["demo", None], dash._timelines["demo"]
    time.sleep(MIN_REFRESH)
    get(f"{url}/api/poll?study=demo&since=0")
    assert get(f"{url}/api/contour?study=demo&x=lr&y=units")[1]["version"] == contour[0][1]
    assert get(f"{url}/api/timeline?study=demo")[1]["version"] == timeline[0][1]
    # Nothing changed: the same bodies, not built again.
    assert dash._contours["demo", None] is contour and dash._timelines["demo"] is timeline
    # A trial that completes is a new version: both are built again and show it.
    number = store.create_trial(sid, params={"lr": 0.01, "units": 64, "dropout": 0.2, "optimizer": "adam", "beta1": 0.8})
    store.finish_trial(sid, number, TrialState.COMPLETE, 0.5)
    time.sleep(MIN_REFRESH)
    body = get(f"{url}/api/contour?study=demo&x=lr&y=units")[1]
    assert dash._contours["demo", None] is not contour and body["version"] > contour[0][1] and number in body["contour"]["number"]
    rows = get(f"{url}/api/timeline?study=demo")[1]["rows"]
    assert dash._timelines["demo"] is not timeline and rows[-1]["number"] == number and rows[-1]["state"] == "complete"


def test_the_default_pair_and_the_ranks_are_pure_rules():
    assert default_pair(["a", "b", "c"], {"c": 0.6, "z": 0.3, "a": 0.1}) == ("c", "a")
    assert default_pair(["a", "b", "c"], None) == ("a", "b")
    assert default_pair(["a"], {"a": 1.0}) is None
    assert chosen_pair(["a", "b"], None, None, None) == ("a", "b")
    with pytest.raises(BadQuery, match="^x: no parameter 'c'"):
        chosen_pair(["a", "b"], "c", "a", None)
    # A choice is picked by default only where fewer than two numbers are left.
    assert default_pair(["a", "c", "b"], {"c": 0.9, "b": 0.1}, numeric=["a", "b"]) == ("b", "a")
    assert default_pair(["a", "c"], {"c": 0.9}, numeric=["a"]) == ("c", "a")
    assert value_ranks([3.0, 1.0, 2.0, 1.0], "minimize") == [1.0, 1 / 6, 2 / 3, 1 / 6]  # ties share their mean place
    assert value_ranks([3.0, 1.0, 2.0], "maximize") == [0.0, 1.0, 0.5]
    assert value_ranks([], "minimize") == [] and value_ranks([5.0], "minimize") == [0.0]
    assert value_ranks([1.0, 1.0], "minimize") == [0.5, 0.5]
    assert value_ranks([0.9, 1.0, 1.0, 0.8], "maximize") == [2 / 3, 1 / 6, 1 / 6, 1.0]
