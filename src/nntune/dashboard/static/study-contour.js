// nntune dashboard, study page: the plots of optuna-dashboard beside the report's own: the
// value over two chosen parameters (contour) and each trial's rank over them, the empirical
// distribution of the value, the timeline of trials, and a click on a trial's point to follow
// it. The server builds their data (the builders of nntune.visualization); this draws it.
"use strict";

// The pair the contour's selects name once changed by hand; null: the server's default (the
// two most important parameters, else the first two).
let contourPair = null;
// The report's rank colours (plotly's RdYlBu from Python: plotly.js has no scale of that name),
// and the timeline's states in the colours of the page's state badges (a complete trial that
// broke the study's constraints in the grey of every plot).
const RDYLBU = ["rgb(165,0,38)", "rgb(215,48,39)", "rgb(244,109,67)", "rgb(253,174,97)", "rgb(254,224,144)", "rgb(255,255,191)",
  "rgb(224,243,248)", "rgb(171,217,233)", "rgb(116,173,209)", "rgb(69,117,180)", "rgb(49,54,149)"].map((c, i, all) => [i / (all.length - 1), c]);
const INFEASIBLE_BAR = "infeasible";
const STATE_COLORS = { [INFEASIBLE_BAR]: INFEASIBLE_COLOR, complete: "#2e7d32", pruned: "#ef6c00", failed: "#b00020", diverged: "#6a1b9a", running: "#1565c0", waiting: "#78909c" };

async function refreshContour() {
  const q = [["study", S.study]];
  if (contourPair) q.push(["x", contourPair[0]], ["y", contourPair[1]]);
  // Several objectives: the contour's and the rank's each of the objective picked beside it.
  const kc = picked("contour"), kr = picked("rank");
  // Another pair or objective picked (or the study read anew) while this one was read: its
  // own answer draws it and sets the selects, this one would put the old pair back.
  const latest = asking("contour");
  const d = await api("/api/contour", S.objectives ? [...q, ["objective", kc]] : q);
  if (!latest()) return;
  fillPairSelects(d);
  const pair = d.pair ? [["x", d.pair[0]], ["y", d.pair[1]]] : [];
  const r = kr === kc ? d : await api("/api/contour", [["study", S.study], ...pair, ["objective", kr]]);
  if (!latest()) return;
  drawContour(d, objectiveName(kc), objectiveDirection(kc));
  drawRank(r, objectiveName(kr));
}

function fillPairSelects(d) {
  const xs = $("#contour-x"), ys = $("#contour-y");
  if ([...xs.options].map((o) => o.value).join("\u0000") !== d.params.join("\u0000")) {
    for (const sel of [xs, ys]) {
      sel.replaceChildren(...d.params.map((p) => el("option", { value: p }, paramLabel(p))));
      sel.onchange = () => {
        if (xs.value === ys.value) { $("#contour-note").textContent = "Pick two different parameters."; return; }
        contourPair = [xs.value, ys.value];
        refreshContour().catch((err) => setLive(`error: ${err.message}`));
      };
    }
  }
  xs.hidden = ys.hidden = d.params.length < 2;
  if (d.pair) { xs.value = d.pair[0]; ys.value = d.pair[1]; }
}

function pairAxis(a) {
  // A choice's axis lists its labels in the space's order (32, 64, 128), as plot_contour's does.
  if (a.categorical) return { title: { text: paramLabel(a.name) }, type: "category", categoryorder: "array", categoryarray: a.categories || [] };
  return Object.assign({ title: { text: paramLabel(a.name) }, type: a.log ? "log" : "linear" }, a.reversed ? { autorange: "reversed" } : {});
}

// Why a pair has nothing to draw, or null.
function nothingOver(d) {
  const c = d.contour;
  if (c && c.value.length) return null;
  return !c ? `A contour needs two parameters; this study has ${d.params.length}.` : "No complete trial has both parameters yet.";
}

function drawContour(d, m, goal) {
  const c = d.contour, why = nothingOver(d);
  if (why) {
    $("#contour-note").textContent = "";
    emptyNote("contour-plot", why);
    return;
  }
  const choice = c.x.categorical || c.y.categorical;
  // Over a choice, plot_contour draws the surface at its labels' places: each label's column
  // runs through its own trials, a cell of two choices holds its best value.
  $("#contour-note").textContent = counted(c.value.length, "complete trial") + (c.grid && choice ? `; ${m} interpolated between each choice's trials (their best where two choices meet).`
    : c.grid ? `; ${m} interpolated between them (nearest outside their hull).`
    : choice ? "; a surface needs two values of each parameter tried."  // the server draws one over a choice otherwise
    : c.value.length < 3 ? "; three are needed to interpolate between them." : "; their values of one parameter are all the same.");
  const { met, points, grey, layout } = pairPoints(c);
  const surface = c.grid ? [{ type: "contour", x: c.grid.x, y: c.grid.y, z: c.grid.z, name: m, hoverinfo: "x+y+z", colorscale: "Blues",
    // plotly.js's Blues runs from dark (low) to light: reversed when maximizing, so that the best
    // region is the darkest either way, as optuna-dashboard and plot_contour draw it.
    reversescale: goal === "maximize", contours: { coloring: "heatmap" }, colorbar: { title: { text: m } } }] : [];
  later("contour-plot", [c, m, goal], async () => {
    await draw("contour-plot", [...surface, points(met, "trials", { size: 6, color: "#d62728", line: { width: 1, color: "white" } }), ...grey], layout);
    followOnClick("contour-plot");
  });
}

// The trials over the pair: those that met the study's constraints, and those that broke them
// grey (and unranked, as plot_rank and optuna-dashboard draw them: a value that may be the best
// must not look so).
function pairPoints(c) {
  const feasible = c.feasible || c.number.map(() => true), all = c.number.map((_, i) => i);
  const met = all.filter((i) => feasible[i]), broke = all.filter((i) => !feasible[i]);
  const text = c.number.map((n, i) => `#${n}: ${fmt(c.value[i])}` + (feasible[i] ? "" : " (broke the constraints)"));
  const points = (idx, name, marker) => ({ x: idx.map((i) => c.x.values[i]), y: idx.map((i) => c.y.values[i]), text: idx.map((i) => text[i]),
    customdata: idx.map((i) => c.number[i]), mode: "markers", name, hoverinfo: "text", marker });
  const grey = broke.length ? [points(broke, "Infeasible Trial", { size: 7, color: INFEASIBLE_COLOR, line: { width: 1, color: "grey" } })] : [];
  return { met, points, grey, layout: { height: 460, xaxis: pairAxis(c.x), yaxis: pairAxis(c.y) } };
}

// Each trial over the pair coloured by its value's rank (0 the best), in the picked objective's direction.
function drawRank(d, m) {
  const c = d.contour, why = nothingOver(d);
  if (why) { emptyNote("rank-plot", why); return; }
  const { met, points, grey, layout } = pairPoints(c);
  const title = S.objectives ? `rank of ${m} (0 best)` : "rank (0 best)";
  later("rank-plot", [c.x, c.y, c.rank, c.number, title], async () => {
    await draw("rank-plot", [points(met, "trials", { size: 7, color: met.map((i) => c.rank[i]), cmin: 0, cmax: 1, colorscale: RDYLBU, showscale: true,
      colorbar: { title: { text: title } } }), ...grey],
      Object.assign({}, layout, { height: 400, showlegend: false }));
    followOnClick("rank-plot");
  });
}

// The share of the complete trials at or below each value (one line, as optuna-dashboard draws it for the study).
function drawEdf(e, m, complete) {
  if (!e.value.length) { $("#edf-note").textContent = ""; emptyNote("edf-plot", allInfinite(complete) || "No complete trial yet."); return; }
  $("#edf-note").textContent = `The share of the ${counted(e.n_complete, "complete trial")} with ${m} at or below each value.${infiniteNote(complete, e.n_complete)}`;
  later("edf-plot", [e, m], () => draw("edf-plot", [{ x: e.value, y: e.share, mode: "lines", name: m, line: { shape: "hv", color: COLORS.complete } }],
    { showlegend: false, xaxis: { title: { text: m } }, yaxis: { title: { text: "Cumulative Probability" }, range: [0, 1.02] } }));
}

// Each started trial a bar from its start to its end (a running one to when the server read
// it, /api/timeline), a trace per state: a line of gaps each, as thick as the trials leave room for,
// so that 10,000 trials cost plotly six paths, not 10,000 shapes.
function drawTimeline(tl) {
  if (!tl.rows.length) { emptyNote("timeline-plot", "No trial has started yet."); return; }
  const width = Math.max(1, Math.min(12, 260 / tl.rows.length));
  const { edge, stale } = timelineEdge(tl);
  const ends = tl.rows.map((r) => r.end || (stale.has(r.number) ? laterOf(r.start, edge) : tl.now));
  // A bar under 1/200 of the plot's span is a sliver no wider than the line's end, and one of no
  // length (a trial added by study.add_trial starts and ends at once) draws nothing: each such
  // trial gets a dot at its start too, in a trace of dots per state shown and hidden with its bars.
  const first = Math.min(...tl.rows.map((r) => utcMs(r.start))), last = Math.max(...ends.map(utcMs));
  const shortest = (last - first) / 200;
  const line = (s) => ({ x: [], y: [], text: [], name: s, legendgroup: s, hoverinfo: "x+text", line: { color: STATE_COLORS[s], width },
    marker: { color: STATE_COLORS[s], size: width + 2 } });
  // A complete trial that broke the study's constraints is a kind of bar of its own, grey, before
  // the complete ones, as plot_timeline and the report draw it (a pruned or failed one keeps its state).
  const kinds = [INFEASIBLE_BAR, ...STATES];
  const kindOf = (r) => (r.state === "complete" && r.feasible === false ? INFEASIBLE_BAR : r.state);
  // A running trial's bar may have no length yet (started at the edge): a dot at its ends shows it.
  const traces = new Map(kinds.map((s) => [s, { ...line(s), mode: s === "running" ? "lines+markers" : "lines" }]));
  const dots = new Map(kinds.map((s) => [s, { ...line(s), mode: "markers", showlegend: false }]));
  tl.rows.forEach((r, i) => {
    const kind = kindOf(r), t = traces.get(kind);
    if (!t) return;
    const label = `#${r.number} ${r.state}` + (kind === INFEASIBLE_BAR ? " (broke the constraints)" : "");
    t.x.push(r.start, ends[i], null); t.y.push(r.number, r.number, null); t.text.push(label, label, "");
    if (r.state !== "running" && !(utcMs(ends[i]) - utcMs(r.start) > shortest)) {
      const d = dots.get(kind);
      d.x.push(r.start); d.y.push(r.number); d.text.push(label);
    }
  });
  const note = stale.size ? `${counted(stale.size, "running trial")} started over five times the longest finished trial ago: drawn to the last end` : "";
  return draw("timeline-plot", [...traces.values(), ...dots.values()].filter((t) => t.x.length),
    { height: 360, title: { text: note, font: { size: 11 } }, xaxis: { type: "date", title: { text: "time (UTC)" } }, yaxis: trialAxis(tl.rows.length) });
}

// Where the bars of running trials end: now, unless every one has run for over five times the
// longest finished trial (a process killed without marking its trial): those ("stale") end at
// the last recorded end, as optuna-dashboard draws them, so that one forgotten trial does not
// squash every other bar into a sliver at the left. Times in milliseconds (UTC, as stored).
const utcMs = (iso) => Date.parse(`${iso}Z`);
const laterOf = (iso, ms) => (utcMs(iso) >= ms ? iso : new Date(ms).toISOString().slice(0, -1));

function timelineEdge(tl) {
  const ms = utcMs, now = ms(tl.now);
  const finished = tl.rows.filter((r) => r.end);
  const longest = Math.max(0, ...finished.map((r) => ms(r.end) - ms(r.start)));
  const running = tl.rows.filter((r) => !r.end);
  const stale = new Set(finished.length ? running.filter((r) => now - ms(r.start) > 5 * longest).map((r) => r.number) : []);
  if (stale.size < running.length || !finished.length) return { edge: now, stale: new Set() };
  return { edge: Math.max(...finished.map((r) => ms(r.end))), stale };
}

// A click on a trial's point follows that trial, as a click on its row in the table does.
function followOnClick(id) {
  const node = document.getElementById(id);
  if (!node || !node.on) return;
  if (node.removeAllListeners) node.removeAllListeners("plotly_click");
  node.on("plotly_click", (ev) => {
    const pt = (ev.points || []).find((p) => p.customdata !== undefined && p.customdata !== null);
    if (!pt) return;
    S.follow = false;
    $("#follow").checked = false;
    select(Number(pt.customdata)).catch((err) => setLive(`error: ${err.message}`));
  });
}
