"""A study of several objectives: each single-objective plot of the study page (contour, rank,
parallel coordinates, slices, importance, EDF) shows the objective the page picks, named by
``set_metric_names``, valued and ranked in that objective's own direction; ``objective=K``
travels in the plot API's query and a bad one is a one-line 400."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.report.study_data import edf_data
from nntune.storage import SQLStorage
from nntune.trial import TrialState
from nntune.visualization._data import value_ranks

from tests.dashboard.test_api import build_study, get


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``mo``: accuracy (maximized) and cost (minimized) over x and y, which rank the trials
    differently; ``one``: a study of one objective."""
    store = SQLStorage(f"sqlite:///{tmp_path_factory.mktemp('objectives') / 'o.db'}")
    mo = nntune.create_study(study_name="mo", storage=store.url, directions=["maximize", "minimize"],
                             sampler=nntune.samplers.RandomSampler(seed=0))
    mo.set_metric_names(["acc", "cost"])
    mo.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), (t.suggest_float("y", 0.0, 1.0) - 0.3) ** 2 + t.params["x"]),
                n_trials=14)
    build_study(store, "one", n=12)
    with RunningServer(create_app(store)) as srv:
        yield store, srv.url


def complete(store, name):
    return [t for t in store.get_trials(store.load_study(name).id) if t.state == TrialState.COMPLETE]


def test_the_contour_and_rank_show_the_objective_asked_for_in_its_direction(served):
    store, url = served
    done = {t.number: t.values for t in complete(store, "mo")}
    code, first, _ = get(f"{url}/api/contour?study=mo&x=x&y=y")
    assert code == 200 and first["objective"] == {"index": 0, "name": "acc", "direction": "maximize"}
    code, second, _ = get(f"{url}/api/contour?study=mo&x=x&y=y&objective=1")
    assert code == 200 and second["objective"] == {"index": 1, "name": "cost", "direction": "minimize"}
    for body, k, direction in ((first, 0, "maximize"), (second, 1, "minimize")):
        c = body["contour"]
        assert c["value"] == [done[n][k] for n in c["number"]]
        assert c["rank"] == value_ranks(c["value"], direction)
    # Objective 1's surface is of its own values: not the first one's.
    assert second["contour"]["grid"]["z"] != first["contour"]["grid"]["z"]


def test_the_overview_plots_of_another_objective_come_from_api_plots(served):
    store, url = served
    trials = complete(store, "mo")
    code, body, _ = get(f"{url}/api/plots?study=mo&objective=1")
    assert code == 200 and body["objective"]["name"] == "cost"
    costs = sorted(t.values[1] for t in trials)
    assert body["edf"]["value"] == costs and body["edf"] != edf_data(trials)
    assert sorted(body["parallel"]["value"]) == costs
    assert {s["name"] for s in body["slices"]} == {"x", "y"} and sorted(body["slices"][0]["value"]) == costs
    # cost grows with x alone plus y's distance from 0.3: both parameters explain some of it.
    assert set(body["importance"]["importance"]) == {"x", "y"}
    # The first objective's plots are the overview's.
    code, overview, _ = get(f"{url}/api/overview?study=mo")
    assert sorted(overview["edf"]["value"]) == sorted(t.values[0] for t in trials)


@pytest.mark.parametrize(("path", "query", "message"), [
    ("contour", "study=mo&objective=2", "objective: no objective 2 (the study has 2, numbered from 0 to 1)"),
    ("contour", "study=mo&objective=-1", "objective: no objective -1 (the study has 2, numbered from 0 to 1)"),
    ("plots", "study=mo&objective=one", "objective: expected an integer, got 'one'"),
    ("plots", "study=mo&objective=0&objective=1", "objective: given more than once"),
    ("contour", "study=one&objective=1", "objective: no objective 1 (the study has 1, numbered from 0 to 0)"),
    ("plots", "study=one", "objective: the study has one objective: its plots are in /api/overview"),
])
def test_a_bad_objective_is_a_one_line_400(served, path, query, message):
    _, url = served
    code, body, _ = get(f"{url}/api/{path}?{query}")
    assert (code, body) == (400, {"error": message})


def test_a_study_of_one_objective_takes_objective_0_as_no_choice(served):
    _, url = served
    assert get(f"{url}/api/contour?study=one&objective=0")[1] == get(f"{url}/api/contour?study=one")[1]


def test_another_objectives_plots_are_built_again_no_more_often_than_the_overview(tmp_path):
    """Their importance costs as much as the overview's: while trials keep completing, a page
    asking at each overview gets the last body until it is old enough for what it cost."""
    store = SQLStorage(f"sqlite:///{tmp_path / 'busy.db'}")
    study = nntune.create_study(study_name="busy", storage=store.url, directions=["minimize", "minimize"],
                                sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(t):  # noqa: ANN001, ANN202
        return t.suggest_float("x", 0.0, 1.0), t.suggest_float("y", 0.0, 1.0)
    study.optimize(objective, n_trials=10)
    now = [1000.0]
    with RunningServer(create_app(store, clock=lambda: now[0])) as srv:
        first = get(f"{srv.url}/api/plots?study=busy&objective=1")[1]
        assert first["edf"]["n_complete"] == 10
        study.optimize(objective, n_trials=1)
        now[0] += 0.5  # the trials are read again (MIN_REFRESH), the plots are not built again
        assert get(f"{srv.url}/api/poll?study=busy")[1]["version"] > first["version"]
        assert get(f"{srv.url}/api/plots?study=busy&objective=1")[1] == first
        now[0] += 600
        again = get(f"{srv.url}/api/plots?study=busy&objective=1")[1]
        assert again["version"] > first["version"] and again["edf"]["n_complete"] == 11
