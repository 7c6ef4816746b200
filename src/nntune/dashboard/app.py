"""The dashboard's web app (Starlette): three pages and the JSON API they poll.

Pages (static files of this package; plotly.js from the installed plotly package, never a
CDN): ``/`` the studies, ``/study?study=S`` one study, ``/compare?study=A&study=B``.
API: ``/api/studies``, ``/api/poll?study=S&since=V`` (status, counts and the trial rows
changed since version V), ``/api/trials`` (a filtered, sorted page), ``/api/trial`` (one trial
in full), ``/api/history`` (cheap: redrawn at every change; each objective's for several), ``/api/overview`` (the report's plot sections, lineage, stages, EDF), ``/api/contour`` (the
value over two parameters, the trials' ranks), ``/api/plots`` (the overview's plots of one of
several objectives; ``objective=K`` picks it here and in ``/api/contour``), ``/api/timeline``, ``/api/compare``,
and, only with control allowed, ``POST /api/delete`` (naming the checkpoint folders it leaves) and ``POST /api/trial/control`` (change, stop, fork). Every JSON body comes from the builders
in :mod:`nntune.report`. A bad parameter gets a 400 with one line, an unknown study a 404.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from nntune.control import change_rows
from nntune.dashboard._http import (SecurityHeaders, _bad_query, _crash, _http, _multi, _no_icon, _not_found, error,
                                    json_body, json_response)
from nntune.dashboard.live import MIN_OVERVIEW_PERIOD, OVERVIEW_COST_FACTOR, LiveStudies, LiveStudy, objectives_of
from nntune.diagnose import metric_best, study_best
from nntune.exceptions import ConfigError
from nntune.dashboard.plots import contour_body, objective_of, objective_plots, objective_trials
from nntune.dashboard.values import shown, with_values
from nntune.dashboard.query import (BadQuery, check_params, integer, numeric_params, one, required,
                                   required_integer, trial_query)
from nntune.report.browse import (
    compare_data,
    query_trials,
    studies_data,
    trial_detail,
    trial_row,
)
from nntune.report.data import history_data
from nntune.report.study_data import timeline_data
from nntune.samplers import is_feasible
from nntune.show import study_metric
from nntune.storage import Storage, StudyNotFoundError, redact_url
from nntune.trial import TrialState

STATIC = Path(__file__).parent / "static"
TOKEN_HEADER = "x-nntune-token"
MAX_COMPARE = 8
MAX_RUNNING = 200  # running trial numbers a poll lists (the newest)


def plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class Dashboard:
    """The app's state: one storage, the live studies, and who may change things. The API's
    handlers are plain functions: Starlette runs them in its thread pool, so a slow read never
    holds up the event loop."""

    def __init__(self, store: Storage, *, allow_control: bool = False, token: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.allow_control = allow_control
        self.token = token
        self.live = LiveStudies(store, clock)
        # Versions count from 0 again in a restarted dashboard: a page polling across the
        # restart tells by this that its version means nothing here.
        self.instance = secrets.token_hex(8)
        self._bodies: dict[str, tuple[Any, str]] = {}  # per study, the last overview and its JSON
        self._numeric: dict[str, tuple[Any, frozenset[str]]] = {}  # per study, its version's numeric params
        # per study, the last contour asked for ((id, version, overview version, x, y), JSON) and
        # the last timeline ((id, version), JSON). The study's id is in each key: a study deleted
        # and created again under its name counts its versions from 0 again.
        self._contours: dict[Any, tuple[Any, str]] = {}  # by (study, objective)
        self._timelines: dict[Any, tuple[Any, str]] = {}
        self._plots: dict[Any, tuple[Any, str]] = {}  # by (study, objective): /api/plots
        self._lock = threading.Lock()

    # pages ----------------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        name = {"/": "studies.html", "/study": "study.html", "/compare": "compare.html"}[request.url.path]
        return FileResponse(STATIC / name, headers={"cache-control": "no-store"})

    async def plotly(self, request: Request) -> Response:
        # Asked again at every visit (a 304 while the installed plotly is the same), so the
        # browser keeps its compiled copy of these 4 MB between visits.
        return FileResponse(plotly_js(), media_type="application/javascript", headers={"cache-control": "no-cache"})

    # API ------------------------------------------------------------------------------
    def studies(self, request: Request) -> Response:
        summaries = self.store.study_summaries()
        data = studies_data(summaries, self.store.url)
        attrs = {rec.name: rec.attrs for rec in self.store.list_studies()}
        for row, summary in zip(data["studies"], summaries):
            row["best_value"] = shown(summary.best_value)
            row["objectives"] = self._objectives(row["name"], attrs.get(row["name"], {}))
        data["control"] = self.allow_control
        data["token_required"] = self.token is not None
        return json_response(data)

    def _objectives(self, name: str, attrs: dict[str, Any]) -> dict[str, Any] | None:
        """A study of several objectives has no one best value (the first objective's would
        mislead): its objectives and the size of its Pareto front, as ``nntune studies``
        shows them; None for one objective (its trials are not read)."""
        objectives = objectives_of(attrs)
        if objectives is None:
            return None
        try:
            front = self.live.get(name).front() or []
        except StudyNotFoundError:  # deleted since the summaries were read
            return None
        return {"names": [o["name"] for o in objectives], "directions": [o["direction"] for o in objectives],
                "front": len(front)}

    def poll(self, request: Request) -> Response:
        live = self.live.get(required(_multi(request), "study"))
        since = integer(_multi(request), "since", -1, -1, 10**12)
        trials = live.ordered()
        counts = dict(live.counts)
        best = live.best()
        changed = live.changed_since(since) if since >= 0 else []
        return json_response({
            "study": live.rec.name, "study_id": live.rec.id, "direction": live.rec.direction, "storage": redact_url(self.store.url),
            "metric": live.rec.attrs.get("metric") if isinstance(live.rec.attrs.get("metric"), str) else None,
            "status": live.status(), "version": live.version, "n_trials": len(trials), "counts": counts,
            "best": None if best is None else {"number": best.number, "value": shown(best.value), "params": best.params},
            "objectives": objectives_of(live.rec.attrs), "front": live.front(),
            "changed": [with_values(trial_row(t), t) for t in changed], "read_seconds": live.last_read_seconds,
            "running": [t.number for t in trials if t.state == TrialState.RUNNING][-MAX_RUNNING:],
            "control": self.allow_control, "server": self.instance})

    def trials(self, request: Request) -> Response:
        q = _multi(request)
        live = self.live.get(required(q, "study"))
        query = trial_query(q)
        numeric = self._numeric_params(live)
        check_params(query, live.ordered(), numeric, live.rec.name)
        data = query_trials(live.ordered(), query)
        for row in data["rows"]:
            with_values(row, live.trials[row["number"]])
        data["numeric_params"] = [n for n in data["params"] if n in numeric]
        data["version"] = live.version
        return json_response(data)

    def _numeric_params(self, live: LiveStudy) -> frozenset[str]:
        """The parameters a range can filter (one scan per study version)."""
        with self._lock:
            held = self._numeric.get(live.rec.name)
        if held is None or held[0] != (live.rec.id, live.version):
            held = ((live.rec.id, live.version), numeric_params(live.ordered()))
            with self._lock:
                self._numeric[live.rec.name] = held
        return held[1]

    def trial(self, request: Request) -> Response:
        q = _multi(request)
        live = self.live.get(required(q, "study"))
        number = required_integer(q, "number", 0, 10**9)
        if number not in live.trials:
            return error(404, f"number: no trial {number} in study {live.rec.name!r}")
        full = live.read_trial(number)  # the rows served from now on show this same read
        metric = study_metric([full], live.rec.attrs)
        feasible = [t for t in live.trials.values() if is_feasible(t)]
        # The curves are the metric's: read in its direction, against its best (not the first
        # objective's), a finite one as the report's and show's (no error is measured against inf).
        direction, best_value = metric_best(live.rec.attrs, live.rec.direction, metric, feasible,
                                            study_best(feasible, live.rec.direction))
        detail = trial_detail(full, metric=metric, direction=direction, study_best=best_value)
        # Each change with what became of it (applied, pending, carried to a continuation,
        # dropped), as ``nntune trial changes`` shows it.
        changes = [{k: r[k] for k in ("epoch", "param", "old", "new", "who", "status", "carried_to")}
                   for r in change_rows(self.store, live.rec.id, number) if r["param"] != "stop"]
        return json_response({**with_values(detail, full), "changes": changes,
                              "version": live.version})

    def history(self, request: Request) -> Response:
        live = self.live.get(required(_multi(request), "study"))
        trials = live.ordered()
        # The complete trials of this read: the page says how many an infinite value left out.
        body: dict[str, Any] = {"history": history_data(trials, live.rec.direction), "version": live.version,
                                "complete": sum(t.state == TrialState.COMPLETE for t in trials)}
        objectives = objectives_of(live.rec.attrs)
        if objectives is not None:  # each objective's own history, best so far in its own direction
            body["objectives"] = [{**o, "history": history_data(objective_trials(trials, i), o["direction"])}
                                  for i, o in enumerate(objectives)]
        return json_response(body)

    def overview(self, request: Request) -> Response:
        live = self.live.get(required(_multi(request), "study"))
        data = live.overview(wait=False)
        with self._lock:
            cached = self._bodies.get(live.rec.name)
        if cached is None or cached[0] is not data:  # the same build: the same body (1 MB at 10,000 trials)
            cached = (data, json_body(data))
            with self._lock:
                self._bodies[live.rec.name] = cached
        return Response(cached[1], media_type="application/json", headers={"cache-control": "no-store"})

    def contour(self, request: Request) -> Response:
        """``/api/contour?study=S[&x=A&y=B][&objective=K]``: the value (objective K's) over two
        parameters and each point's rank (by default the two most important, as the last
        overview measured them)."""
        q = _multi(request)
        live = self.live.get(required(q, "study"))
        x, y = one(q, "x"), one(q, "y")  # "x=" names the parameter "", as Optuna allows
        objective = objective_of(q, objectives_of(live.rec.attrs))
        overview = live.last_overview()
        importance = None if overview is None else overview["importance"].get("importance")

        def build() -> dict[str, Any]:
            body = contour_body(live.ordered(), live.rec.attrs, live.rec.direction, x, y, importance, objective)
            return {**body, "version": live.version}
        # The default pair follows the importance: a new overview may change it.
        key = (live.rec.id, live.version, None if overview is None or x is not None else overview.get("version"), x, y)
        return self._cached(self._contours, (live.rec.name, objective and objective["index"]), key, build)

    def plots(self, request: Request) -> Response:
        """``/api/plots?study=S&objective=K``: the parallel coordinates, slices, importance and
        EDF of objective K of a study of several (the overview's are the first's)."""
        q = _multi(request)
        live = self.live.get(required(q, "study"))
        objective = objective_of(q, objectives_of(live.rec.attrs))
        if objective is None:
            raise BadQuery("objective", "the study has one objective: its plots are in /api/overview")
        key, now = (live.rec.name, objective["index"]), self.live.clock()
        with self._lock:
            held = self._plots.get(key)
        # Built again no more often than the overview (its importance costs as much): an older
        # version's body is answered while young for what it cost, as the overview's is.
        if held is None or held[0][:2] != (live.rec.id, live.version) and (held[0][0] != live.rec.id or now - held[0][2] >= max(
                MIN_OVERVIEW_PERIOD, OVERVIEW_COST_FACTOR * held[0][3])):
            t0, version = time.perf_counter(), live.version
            body = json_body({**objective_plots(live.ordered(), live.rec.attrs, objective), "version": version})
            held = ((live.rec.id, version, now, time.perf_counter() - t0), body)
            with self._lock:
                self._plots[key] = held
        return Response(held[1], media_type="application/json", headers={"cache-control": "no-store"})

    def timeline(self, request: Request) -> Response:
        """``/api/timeline?study=S``: each started trial's start, end and state (plot_timeline's
        data; 1 MB at 10,000 trials, so a page asks only while the plot is in sight), a running
        trial ending at ``now``."""
        live = self.live.get(required(_multi(request), "study"))
        return self._cached(self._timelines, live.rec.name, (live.rec.id, live.version), lambda: {
            **timeline_data(live.ordered()), "now": live.wall().isoformat(), "version": live.version})

    def _cached(self, cache: dict[Any, tuple[Any, str]], name: Any, key: Any, build: Callable[[], Any]) -> Response:
        """The JSON of ``build()`` for study ``name``, built again only when ``key`` changed: a
        page asks at each overview it reads, mostly for what it has already."""
        with self._lock:
            held = cache.get(name)
        if held is None or held[0] != key:
            held = (key, json_body(build()))
            with self._lock:
                cache[name] = held
        return Response(held[1], media_type="application/json", headers={"cache-control": "no-store"})

    def compare(self, request: Request) -> Response:
        names = [n for n in _multi(request).get("study", []) if n]
        if not names:
            raise BadQuery("study", "name at least one study (study=A&study=B)")
        if len(names) > MAX_COMPARE:
            raise BadQuery("study", f"at most {MAX_COMPARE} studies at once, got {len(names)}")
        lives = [self.live.get(n) for n in dict.fromkeys(names)]
        studies = compare_data([(lv.rec, lv.ordered()) for lv in lives])
        for row, lv in zip(studies, lives):  # several objectives: the first one's history, named
            objectives = objectives_of(lv.rec.attrs)
            row["objective"] = None if objectives is None else objectives[0]["name"]
        return json_response({"studies": studies})

    def _refused(self, request: Request, what: str) -> Response | None:
        """Why a control request is refused (read-only, another origin, no token), or None."""
        if not self.allow_control:
            return error(403, f"read-only dashboard: start it with --allow-control to {what}")
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
            return error(403, f"origin: a page from {origin} may not control this dashboard")
        if self.token is not None:
            given = request.headers.get(TOKEN_HEADER) or request.query_params.get("token") or ""
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return error(403, "token: missing or wrong (the token is printed when the dashboard starts)")
        return None

    def control_trial(self, request: Request) -> Response:
        """``POST /api/trial/control?study=S&number=N&action=set|stop|fork[&epoch=E]&lr=3e-4...``:
        the same rows in storage as ``nntune trial set|stop|fork``."""
        refused = self._refused(request, "change trials")
        if refused is not None:
            return refused
        from nntune.dashboard.control import act

        q = _multi(request)
        live = self.live.get(required(q, "study"))
        number = required_integer(q, "number", 0, 10**9)
        try:
            return json_response(act(self.store, live.rec, number, required(q, "action"), q))
        except ConfigError as err:
            return error(400, str(err))

    def delete(self, request: Request) -> Response:
        refused = self._refused(request, "delete studies")
        if refused is not None:
            return refused
        from nntune.dashboard.control import delete

        name = required(_multi(request), "study")
        answer = delete(self.store, name)  # with the folders of the checkpoints it leaves
        self.live.forget(name)
        with self._lock:
            self._bodies.pop(name, None)
            self._timelines.pop(name, None)
            for cache in (self._contours, self._plots):
                for key in [k for k in cache if k[0] == name]:
                    del cache[key]
        return json_response(answer)


def create_app(store: Storage, *, allow_control: bool = False, token: str | None = None,
               hosts: Sequence[str] | None = None, clock: Callable[[], float] = time.monotonic) -> Starlette:
    """The app; with ``hosts``, a request naming any other Host is refused (a page on another
    site that rebinds its name to 127.0.0.1 cannot read the studies)."""
    dash = Dashboard(store, allow_control=allow_control, token=token, clock=clock)
    routes = [
        Route("/", dash.page), Route("/study", dash.page), Route("/compare", dash.page),
        Route("/static/plotly.min.js", dash.plotly), Route("/favicon.ico", _no_icon),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/api/studies", dash.studies), Route("/api/poll", dash.poll), Route("/api/trials", dash.trials),
        Route("/api/trial", dash.trial), Route("/api/history", dash.history), Route("/api/overview", dash.overview), Route("/api/contour", dash.contour),
        Route("/api/plots", dash.plots), Route("/api/timeline", dash.timeline), Route("/api/compare", dash.compare),
        Route("/api/delete", dash.delete, methods=["POST"]),
        Route("/api/trial/control", dash.control_trial, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={
        BadQuery: _bad_query, StudyNotFoundError: _not_found, HTTPException: _http, Exception: _crash})

    app.add_middleware(SecurityHeaders)
    if hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))
    app.state.dashboard = dash
    return app
