"""The dashboard's JSON API over a real SQLite storage, served by uvicorn in a thread."""

from __future__ import annotations

import importlib.util
import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from nntune.dashboard import RunningServer, create_app
from nntune.dashboard.app import STATIC, plotly_js
from nntune.dashboard.live import MIN_REFRESH
from nntune.storage import SQLStorage
from nntune.trial import TrialState


def _report_fixtures() -> Any:
    """The report tests' study of every kind of trial (tests/report/conftest.py)."""
    path = Path(__file__).parents[1] / "report" / "conftest.py"
    spec = importlib.util.spec_from_file_location("nntune_report_test_study", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_study = _report_fixtures().build_study


def get(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as res:
            body, code, head = res.read(), res.status, dict(res.headers)
    except urllib.error.HTTPError as err:
        body, code, head = err.read(), err.code, dict(err.headers)
    is_json = head.get("content-type", "").startswith("application/json")
    return code, json.loads(body) if is_json else body, {k.lower(): v for k, v in head.items()}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Built once for the module; tests that write use a study of their own."""
    s = SQLStorage(f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.db'}")
    build_study(s, "demo", n=30)
    build_study(s, "other", n=12, seed=1)
    return s


@pytest.fixture(scope="module")
def server(store):
    with RunningServer(create_app(store)) as srv:
        yield srv


def test_studies_pages_and_assets(server):
    code, data, head = get(f"{server.url}/api/studies")
    assert code == 200 and [s["name"] for s in data["studies"]][:2] == ["demo", "other"]
    assert data["studies"][0]["n_trials"] == 30 and data["control"] is False
    assert "default-src 'self'" in head["content-security-policy"]
    # Each page loads the shared script first and its own last (that one starts the page), and
    # only what it needs; every script in the package is one some page loads.
    loaded: set[str] = set()
    for page, own in (("/", "studies.js"), ("/study?study=demo", "study.js"),
                      ("/compare?study=demo&study=other", "compare.js")):
        code, body, _ = get(server.url + page)
        scripts = re.findall(r'<script src="/static/([^"]+)"></script>', body.decode())
        assert code == 200 and scripts[0] == "common.js" and scripts[-1] == own, (page, scripts)
        assert not {"studies.js", "study.js", "compare.js"} - {own} & set(scripts), (page, scripts)
        loaded.update(scripts)
        for name in scripts:
            code, text, head = get(f"{server.url}/static/{name}")
            assert code == 200 and "javascript" in head["content-type"] and text == (STATIC / name).read_bytes()
    assert loaded == {p.name for p in STATIC.glob("*.js")}
    code, body, _ = get(f"{server.url}/static/plotly.min.js")
    assert code == 200 and body == plotly_js().read_bytes()


def test_no_script_or_style_from_another_origin():
    for path in STATIC.iterdir():
        text = path.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path.name
        assert "cdn" not in text.lower(), path.name


def test_poll_returns_only_what_changed(server, store):
    sid = store.create_study("followed", "maximize")
    store.finish_trial(sid, store.create_trial(sid), TrialState.COMPLETE, 0.5)
    code, first, _ = get(f"{server.url}/api/poll?study=followed&since=-1")
    assert code == 200 and first["status"] == "finished" and first["n_trials"] == 1
    assert first["counts"]["complete"] == 1 and first["changed"] == [] and first["best"]["value"] == 0.5
    n = store.create_trial(sid, params={"lr": 0.01}, distributions={})
    store.report(sid, n, 1, 0.5, {"train_loss": 1.0, "val_loss": 1.1, "lr": 0.01})
    time.sleep(MIN_REFRESH)
    code, later, _ = get(f"{server.url}/api/poll?study=followed&since={first['version']}")
    assert later["version"] > first["version"] and later["status"] == "running"
    assert [r["number"] for r in later["changed"]] == [n] and later["changed"][0]["epochs"] == 1
    code, trial, _ = get(f"{server.url}/api/trial?study=followed&number={n}")
    assert trial["state"] == "running" and trial["curve"]["val_loss"] == [1.1] and trial["curve"]["lr"] == [0.01]
    store.finish_trial(sid, n, TrialState.COMPLETE, 0.99)
    time.sleep(MIN_REFRESH)
    code, done, _ = get(f"{server.url}/api/poll?study=followed&since={later['version']}")
    assert [(r["number"], r["state"]) for r in done["changed"]] == [(n, "complete")]
    assert done["best"]["number"] == n
    # Queued trials show as waiting as soon as they are stored, and so does one put back in the queue.
    queued = store.create_trial(sid, state=TrialState.WAITING)
    store.claim_trial(sid, number=queued)
    again = store.create_trial(sid, state=TrialState.WAITING)
    time.sleep(MIN_REFRESH)
    code, waiting, _ = get(f"{server.url}/api/poll?study=followed&since={done['version']}")
    assert [(r["number"], r["state"]) for r in waiting["changed"]] == [(queued, "running"), (again, "waiting")]
    store.recover_trial(sid, queued, "worker lost", max_retries=1)
    time.sleep(MIN_REFRESH)
    code, back, _ = get(f"{server.url}/api/poll?study=followed&since={waiting['version']}")
    assert [(r["number"], r["state"]) for r in back["changed"]] == [(queued, "waiting")]
    assert back["counts"]["waiting"] == 2 and back["counts"]["running"] == 0 and back["status"] == "running"
    code, table, _ = get(f"{server.url}/api/trials?study=followed&state=waiting")
    assert [r["number"] for r in table["rows"]] == [queued, again]


def test_trials_overview_compare(server):
    code, page, _ = get(f"{server.url}/api/trials?study=demo&state=complete&sort=value&order=desc&size=5")
    assert code == 200 and page["size"] == 5 and len(page["rows"]) == 5
    values = [r["value"] for r in page["rows"]]
    assert values == sorted(values, reverse=True) and {r["state"] for r in page["rows"]} == {"complete"}
    code, ov, _ = get(f"{server.url}/api/overview?study=demo")
    assert code == 200 and {"history", "intermediate", "parallel", "slices", "importance", "diagnosis", "test",
                            "lineage", "stages"} <= set(ov)
    assert ov["test"]["looks"] == 1 and ov["lineage"]["nodes"] and ov["stages"] == []
    code, cmp_, _ = get(f"{server.url}/api/compare?study=demo&study=other")
    assert [s["name"] for s in cmp_["studies"]] == ["demo", "other"]


@pytest.mark.parametrize("query, field", [
    ("trials?study=demo&sort=bogus", "sort"), ("trials?study=demo&order=up", "order"),
    ("trials?study=demo&page=-1", "page"), ("trials?study=demo&size=100000", "size"),
    ("trials?study=demo&state=lost", "state"), ("trials?study=demo&range=lr", "range"),
    ("trials?study=demo&range=lr:x:1", "range"), ("trials?study=demo&value_min=abc", "value_min"),
    ("trials?sort=value", "study"), ("poll?study=demo&since=soon", "since"),
    ("trial?study=demo&number=x", "number"), ("compare", "study"), ("trials?study=demo&page=1&page=2", "page"),
])
def test_bad_parameters_get_a_400_with_one_line(server, query, field):
    code, body, _ = get(f"{server.url}/api/{query}")
    assert code == 400 and body["error"].startswith(f"{field}: ") and "\n" not in body["error"]
    assert "Traceback" not in body["error"]


def test_unknown_study_or_trial_is_a_404(server):
    assert get(f"{server.url}/api/poll?study=nope")[0] == 404
    code, body, _ = get(f"{server.url}/api/trial?study=demo&number=999")
    assert code == 404 and "999" in body["error"]


def test_read_only_unless_control_is_allowed_and_then_with_the_token(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'control.db'}")
    store.create_study("doomed", "minimize")
    with RunningServer(create_app(store)) as srv:
        code, body, _ = get(f"{srv.url}/api/delete?study=doomed", "POST")
        assert code == 403 and "--allow-control" in body["error"]
    with RunningServer(create_app(store, allow_control=True, token="s3cret")) as srv:
        assert get(f"{srv.url}/api/delete?study=doomed", "POST")[0] == 403
        assert get(f"{srv.url}/api/delete?study=doomed", "POST", {"X-NNTune-Token": "wrong"})[0] == 403
        evil = {"X-NNTune-Token": "s3cret", "Origin": "http://evil.example"}
        code, body, _ = get(f"{srv.url}/api/delete?study=doomed", "POST", evil)
        assert code == 403 and body["error"].startswith("origin: ")
        own = {"X-NNTune-Token": "s3cret", "Origin": srv.url}
        code, body, _ = get(f"{srv.url}/api/delete?study=doomed", "POST", own)
        assert code == 200 and store.load_study("doomed") is None
        assert get(f"{srv.url}/api/poll?study=doomed")[0] == 404


def test_a_deletion_names_the_checkpoint_folders_it_leaves_on_disk(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'ckpt.db'}")
    runs = tmp_path / "runs"
    store.create_study("pbt", "minimize", attrs={"config": {"search": {"checkpoint_dir": str(runs)}}})
    (runs / "pbt").mkdir(parents=True)
    (runs / "pbt" / "trial-0.pt").write_bytes(b"weights")
    store.create_study("plain", "minimize")
    with RunningServer(create_app(store, allow_control=True)) as srv:
        code, body, _ = get(f"{srv.url}/api/delete?study=pbt", "POST")
        assert code == 200 and body["deleted"] == "pbt" and body["checkpoints_left"] == [str(runs / "pbt")]
        assert body["note"] == (f"deleted study pbt; its checkpoints stay in {runs / 'pbt'} "
                                "(remove the folder when they are no longer needed)")
        assert (runs / "pbt" / "trial-0.pt").exists() and store.load_study("pbt") is None
        code, body, _ = get(f"{srv.url}/api/delete?study=plain", "POST")
        assert code == 200 and body == {"deleted": "plain", "checkpoints_left": [], "note": "deleted study plain"}
        code, body, _ = get(f"{srv.url}/api/delete?study=plain", "POST")
        assert code == 404 and body["error"] == "study: no study named 'plain'"


def test_a_loopback_dashboard_answers_only_to_its_own_names(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'hosts.db'}")
    with RunningServer(create_app(store, hosts=["127.0.0.1", "localhost"])) as srv:
        assert get(f"{srv.url}/api/studies")[0] == 200
        assert get(f"{srv.url}/api/studies", headers={"Host": "attacker.example"})[0] == 400


def test_trial_controls_write_the_same_rows_as_the_cli_and_refuse_bad_requests(tmp_path):
    from nntune.space import Float

    store = SQLStorage(f"sqlite:///{tmp_path / 'trialctl.db'}")
    sid = store.create_study("s", "maximize")
    n = store.create_trial(sid)
    store.set_trial_params(sid, n, {"lr": 0.01}, {"lr": Float(1e-4, 0.1, log=True)})
    store.report(sid, n, 1, 0.5, {"train_loss": 1.0})
    url = "/api/trial/control?study=s&number=0"
    with RunningServer(create_app(store)) as srv:
        code, body, _ = get(f"{srv.url}{url}&action=stop", "POST")
        assert code == 403 and "--allow-control to change trials" in body["error"]
    with RunningServer(create_app(store, allow_control=True)) as srv:
        code, body, _ = get(f"{srv.url}{url}&action=set&lr=3e-4&dropout=0.3", "POST")
        assert code == 200 and body["changes"] == [{"param": "lr", "new": 3e-4}, {"param": "dropout", "new": 0.3}]
        for bad, message in (("action=set&lr=0.5", "lr: 0.5 is outside"), ("action=set&units=8", "units: cannot"),
                             ("action=jump", "action: unknown 'jump'"),
                             ("action=fork&epoch=1", "study: study 's' was not started by nntune babysit")):
            code, body, _ = get(f"{srv.url}{url}&{bad}", "POST")
            assert code == 400 and body["error"].startswith(message), body
        assert get(f"{srv.url}{url}&action=stop", "POST")[0] == 200
        store.take_param_changes(sid, n, 1, {"lr": 0.01, "dropout": 0.0})
        code, body, _ = get(f"{srv.url}/api/trial?study=s&number=0")
        assert code == 200 and body["changes"] == [  # the marks the trial's curves draw
            {"epoch": 1, "param": "lr", "old": 0.01, "new": 3e-4, "who": "user", "status": "applied", "carried_to": None},
            {"epoch": 1, "param": "dropout", "old": 0.0, "new": 0.3, "who": "user", "status": "applied",
             "carried_to": None}]
        store.add_param_changes(sid, n, {"lr": 1e-3}, who="user")  # asked, then the trial fails untaken
        store.finish_trial(sid, n, TrialState.FAILED, error="killed")
        code, body, _ = get(f"{srv.url}/api/trial?study=s&number=0")
        assert body["changes"][-1]["status"] == "dropped" and body["changes"][-1]["epoch"] is None
    assert [(c.param, c.new) for c in store.get_param_changes(sid)] == [("lr", 3e-4), ("dropout", 0.3), ("stop", True),
                                                                        ("lr", 1e-3)]
    assert len(store.get_trials(sid)) == 1


def mixed_objective(trial) -> float:  # noqa: ANN001
    """The tester's study: a choice of five kinds (None, an int, a string, a float, a bool)."""
    c = trial.suggest_categorical("c", [None, 1, "a", 2.5, True])
    d = trial.suggest_categorical("d", [None, "x"])
    trial.report(0.1, 1)
    return {None: 0.0, 1: 1.0, "a": 2.0, 2.5: 3.0, True: 4.0}.get(c, 5.0) + (0 if d is None else 0.5)


@pytest.fixture(scope="module")
def views(store):
    """Studies made with nntune's API on the served storage: ``mixed`` (mixed_objective) and
    ``mo`` (accuracy maximized, cost minimized, named)."""
    import nntune

    mixed = nntune.create_study(study_name="mixed", storage=store.url, sampler=nntune.samplers.RandomSampler(seed=0))
    mixed.optimize(mixed_objective, n_trials=12)
    mo = nntune.create_study(study_name="mo", storage=store.url, directions=["maximize", "minimize"],
                             sampler=nntune.samplers.RandomSampler(seed=0))
    mo.set_metric_names(["acc", "cost"])
    mo.optimize(lambda t: (t.suggest_float("x", 0.0, 1.0), 2.0 * t.params["x"]), n_trials=3)
    return {"mixed": mixed, "mo": mo}


def test_a_choice_of_mixed_kinds_sorts_either_way_with_none_last(server, views):
    cs = [t.params["c"] for t in views["mixed"].trials]
    assert {type(c) for c in cs} == {type(None), int, str, float, bool}
    present = [c for c in cs if c is not None]
    # Numbers by value, then the other kinds by their type's name (bool, str), missing last.
    expected = (sorted(c for c in present if not isinstance(c, (bool, str)))
                + [c for c in present if isinstance(c, bool)] + sorted(c for c in present if isinstance(c, str)))
    orders = {}
    for order in ("asc", "desc"):
        code, page, _ = get(f"{server.url}/api/trials?study=mixed&sort=param:c&order={order}&size=50")
        assert code == 200, page
        orders[order] = [r["params"]["c"] for r in page["rows"]]
        assert orders[order][len(present):] == [None] * (len(cs) - len(present))
    assert orders["asc"][:len(present)] == expected and orders["desc"][:len(present)] == expected[::-1]


def test_none_choices_keep_their_points_in_the_slices(server, views):
    code, overview, _ = get(f"{server.url}/api/overview?study=mixed")
    assert code == 200
    for s in overview["slices"]:
        assert None not in s["x"] and "None" in s["x"] and set(s["x"]) <= set(s["categories"])


def test_a_missing_trial_number_is_a_400_naming_it(server, views, store):
    code, body, _ = get(f"{server.url}/api/trial?study=mixed")
    assert code == 400 and body["error"] == "number: missing"
    with RunningServer(create_app(store, allow_control=True)) as srv:
        code, body, _ = get(f"{srv.url}/api/trial/control?study=mixed&action=stop", "POST")
    assert code == 400 and body["error"] == "number: missing"


def test_rows_and_a_trial_carry_every_objective(server, views):
    trials = views["mo"].trials
    code, page, _ = get(f"{server.url}/api/trials?study=mo")
    assert code == 200 and [r["values"] for r in page["rows"]] == [t.values for t in trials]
    code, one, _ = get(f"{server.url}/api/trial?study=mo&number=1")
    assert code == 200 and one["values"] == trials[1].values and one["value"] == trials[1].values[0]
    code, single, _ = get(f"{server.url}/api/trials?study=mixed&size=1")
    assert single["rows"][0]["values"] == [single["rows"][0]["value"]]


def test_a_study_of_several_objectives_polls_its_objectives_and_front_not_one_best(server, views):
    code, poll, _ = get(f"{server.url}/api/poll?study=mo")
    assert code == 200
    assert poll["objectives"] == [{"name": "acc", "direction": "maximize"}, {"name": "cost", "direction": "minimize"}]
    assert poll["front"] == [t.number for t in views["mo"].best_trials]
    code, single, _ = get(f"{server.url}/api/poll?study=mixed")
    assert single["objectives"] is None and single["front"] is None and single["best"] is not None


def test_the_studies_list_gives_a_study_of_several_objectives_its_objectives_and_front(server, views):
    code, data, _ = get(f"{server.url}/api/studies")
    rows = {s["name"]: s for s in data["studies"]}
    assert rows["mo"]["objectives"] == {"names": ["acc", "cost"], "directions": ["maximize", "minimize"],
                                        "front": len(views["mo"].best_trials)}
    assert rows["mixed"]["objectives"] is None


def test_the_history_of_a_study_of_several_objectives_follows_each_in_its_own_direction(server, views):
    trials = views["mo"].trials
    code, data, _ = get(f"{server.url}/api/history?study=mo")
    assert code == 200 and [o["name"] for o in data["objectives"]] == ["acc", "cost"]
    acc, cost = (o["history"] for o in data["objectives"])
    assert acc["value"] == [t.values[0] for t in trials] and cost["value"] == [t.values[1] for t in trials]
    assert acc["best_value"][-1] == max(t.values[0] for t in trials)
    assert cost["best_value"][-1] == min(t.values[1] for t in trials)
    assert "objectives" not in get(f"{server.url}/api/history?study=mixed")[1]


def test_a_range_filter_takes_a_parameter_whose_name_holds_colons(server, store):
    sid = store.create_study("colons", "minimize")
    for x in (0.1, 0.5, 0.9):
        n = store.create_trial(sid, params={"encoder:lr": x}, distributions={})
        store.finish_trial(sid, n, TrialState.COMPLETE, x)
    code, page, _ = get(f"{server.url}/api/trials?study=colons&range=encoder:lr:0.2:1")
    assert code == 200, page
    assert [r["params"]["encoder:lr"] for r in page["rows"]] == [0.5, 0.9]
    code, body, _ = get(f"{server.url}/api/trials?study=colons&range=encoder:0.2")
    assert code == 400 and body["error"] == "range: expected NAME:LOW:HIGH, got 'encoder:0.2'"


def test_compare_names_the_objective_a_study_of_several_is_drawn_by(server, views):
    code, data, _ = get(f"{server.url}/api/compare?study=mo&study=mixed")
    assert code == 200 and [s["objective"] for s in data["studies"]] == ["acc", None]
    assert data["studies"][0]["history"]["value"] == [t.values[0] for t in views["mo"].trials]


def test_a_range_over_a_choice_that_is_not_numbers_is_refused_not_an_empty_table(server, views, store):
    code, body, _ = get(f"{server.url}/api/trials?study=mixed&range=d::")
    assert code == 400 and body["error"] == "range: parameter 'd' takes values that are not numbers"
    code, body, _ = get(f"{server.url}/api/trials?study=mixed&range=nope:0:1")
    assert code == 400 and body["error"] == "range: no parameter 'nope' in study 'mixed'"
    sid = store.create_study("choices", "minimize")
    for size, kind in ((32, "adam"), (64, "sgd")):
        n = store.create_trial(sid, params={"batch_size": size, "optimizer": kind}, distributions={})
        store.finish_trial(sid, n, TrialState.COMPLETE, size / 100)
    code, page, _ = get(f"{server.url}/api/trials?study=choices&range=batch_size:50:")
    assert code == 200 and [r["params"]["batch_size"] for r in page["rows"]] == [64]
    assert page["params"] == ["batch_size", "optimizer"] and page["numeric_params"] == ["batch_size"]


def test_sorting_by_a_parameter_the_study_does_not_have_is_refused(server, views):
    code, body, _ = get(f"{server.url}/api/trials?study=mixed&sort=param:nope")
    assert code == 400 and body["error"] == "sort: no parameter 'nope' in study 'mixed'"
    assert get(f"{server.url}/api/trials?study=mixed&sort=param:c")[0] == 200
