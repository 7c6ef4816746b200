// nntune dashboard, study page: the optimization history and the overview's plot sections.
"use strict";

function drawHistory(h, m, complete) {
  // Failed and running trials have no value to draw: empty axes would look like a plot gone wrong.
  if (h.n_complete || h.pruned_number.length) {
    // Trials that broke the study's constraints are no points of the value trace: a grey trace
    // of their own, drawn last, as plot_optimization_history and the report draw them (their
    // value never counts for the Best Value line).
    const met = h.feasible || h.number.map(() => true), keep = (xs) => xs.filter((_, i) => met[i]);
    return draw("history-plot", [
      { x: keep(h.number), y: keep(h.value), mode: "markers", name: "complete", marker: { color: COLORS.complete, size: 6 } },
      { x: h.pruned_number, y: h.pruned_value, mode: "markers", name: "pruned", marker: { color: COLORS.pruned, symbol: "x", size: 6 } },
      // The best so far named as plot_optimization_history and the report name it.
      { x: h.best_number, y: h.best_value, mode: "lines", name: "Best Value", line: { shape: "hv", color: "#c62828" } },
      ...(h.infeasible_number && h.infeasible_number.length ? [{ x: h.infeasible_number, y: h.infeasible_value, mode: "markers",
        name: "Infeasible Trial", marker: { color: INFEASIBLE_COLOR, size: 6 } }] : [])],
      { xaxis: trialAxis(h.n_trials), yaxis: { title: { text: m } } });
  }
  // Pruned trials that stopped before any report have no value either: "no pruned trial" would be untrue.
  return emptyNote("history-plot", allInfinite(complete) || "No trial has finished with a value yet.");
}

// Complete trials valued inf or -inf (Optuna takes them) are left out of the plots, as
// Optuna's plots leave them out; the notes say so, instead of "no complete trial yet" over a
// study that has some. ``complete`` counts the complete trials of the same read as the plot
// (a running study's poll is ahead of it), ``drawn`` those with a finite value.
function allInfinite(complete) {
  return complete ? `${complete === 1 ? "The complete trial has" : `All ${complete} complete trials have`} an infinite value: there is nothing to draw.` : "";
}
function infiniteNote(complete, drawn) {
  const n = Math.max(0, (complete || 0) - drawn);
  return n ? ` ${counted(n, "complete trial")} with an infinite value ${n === 1 ? "is" : "are"} left out.` : "";
}
// The complete trials of the read a body of the overview (its summary) or of /api/plots came from.
const completeOf = (d) => (d.summary ? d.summary.counts.complete : d.complete);

async function refreshHistory() {
  // Read again since (an objective picked, the study changed) and that read came back first:
  // this older one would draw the history without the trials since.
  const latest = asking("history");
  const d = await api("/api/history", [["study", S.study]]);
  if (!latest()) return;
  // Several objectives: the history of the one picked, its best so far in its own direction.
  const pick = $("#history-objective");
  // Compared by their texts, not their count: names given by set_metric_names after the page
  // first read the study ("objective 0") replace the old ones.
  const labels = d.objectives ? d.objectives.map((o) => `${o.name} (${o.direction})`) : [];
  if (d.objectives && [...pick.options].map((o) => o.text).join("\u0000") !== labels.join("\u0000")) {
    const keep = Number(pick.value) || 0;
    pick.replaceChildren(...labels.map((text, i) => el("option", { value: i }, text)));
    pick.value = String(keep < labels.length ? keep : 0);
    pick.onchange = () => { S.historyKey = null; refreshHistory(); };
  }
  pick.hidden = !d.objectives;
  const shown = d.objectives ? d.objectives[Number(pick.value) || 0] : { history: d.history, name: S.metric };
  // A new epoch of a running trial leaves the history as it was: no redraw (thousands of points).
  const key = JSON.stringify([shown.history, shown.name, d.complete]);
  if (key === S.historyKey) return;
  S.historyKey = key;
  await drawHistory(shown.history, shown.name, d.complete);
}

// A slice's x axis: a choice's in the order of its choices (32, 64, 128), not in the order trials
// drew them; a Beta's 1 - b by decades, reversed so that beta grows to the right.
function sliceAxis(s) {
  if (s.categorical) return { type: "category", categoryorder: "array", categoryarray: s.categories || [] };
  if (s.beta) return { type: "log", autorange: "reversed" };
  return { type: s.log ? "log" : "linear" };
}

function drawOverview(d) {
  // The curves are what trials reported, one per trial whatever the objectives (named by the first).
  const m = objectiveName(0);
  const iv = d.intermediate;
  if (iv.curves.length) {
    const traces = [];
    for (const [q, name] of [["q10", "10%"], ["q50", "median"], ["q90", "90%"]]) traces.push({ x: iv.band_steps, y: iv.band[q], name: `${name} of all`, mode: "lines", line: { color: "#999", dash: q === "q50" ? "dash" : "dot" } });
    // All curves of a kind in one trace, split by gaps: plotly's cost grows with the number of traces.
    const kind = (name, color) => ({ x: [], y: [], text: [], name, mode: "lines", hoverinfo: "x+y+text", line: { width: 1, color } });
    const ran = kind("trials", "rgba(31,119,180,.45)"), stopped = kind("stopped early", "rgba(239,108,0,.55)");
    // A trial that broke the study's constraints grey whatever its state, as plot_intermediate_values
    // and the report draw it.
    const broke = kind("Infeasible Trial", INFEASIBLE_COLOR);
    const ends = { x: [], y: [], text: [], name: "stopped here", mode: "markers", hoverinfo: "x+y+text", marker: { symbol: "x", color: COLORS.pruned, size: 8 } };
    // A curve of one reported value has no line to draw: a dot instead.
    const lone = { x: [], y: [], text: [], name: "one value", mode: "markers", hoverinfo: "x+y+text", showlegend: false, marker: { color: [], size: 5 } };
    for (const c of iv.curves) {
      const infeasible = c.feasible === false;
      if (c.steps.length === 1 && c.state !== "pruned") {
        lone.x.push(c.steps[0]); lone.y.push(c.values[0]); lone.text.push(`#${c.number} ${c.state}`);
        lone.marker.color.push(infeasible ? INFEASIBLE_COLOR : "rgba(31,119,180,.6)");
      }
      const pruned = c.state === "pruned", t = infeasible ? broke : pruned ? stopped : ran, label = `#${c.number} ${c.state}`;
      for (let i = 0; i < c.steps.length; i++) { t.x.push(c.steps[i]); t.y.push(c.values[i]); t.text.push(label); }
      t.x.push(null); t.y.push(null); t.text.push("");
      if (pruned) { ends.x.push(c.steps[c.steps.length - 1]); ends.y.push(c.values[c.values.length - 1]); ends.text.push(`#${c.number} stopped early`); }
    }
    // The grey curves first, under the others; a trace without curves is no legend entry.
    traces.push(...(broke.x.length ? [broke] : []), ran, stopped, ends, lone);
    const shown = iv.n_shown < iv.n_trials ? ` (${iv.n_shown} of ${counted(iv.n_trials, "trial")} drawn, the best among them; the band is over all)` : "";
    later("intermediate-plot", [iv, m], () => draw("intermediate-plot", traces, { title: { text: shown, font: { size: 11 } }, xaxis: { title: { text: "epoch" } }, yaxis: { title: { text: m } }, height: 360 }));
  } else emptyNote("intermediate-plot", "No intermediate values reported yet.");
  // Parallel coordinates, slices, importance, EDF: drawOverviewPlots, each of the objective it picks.
  $("#diagnosis-list").replaceChildren(...(d.diagnosis.length ? d.diagnosis.map((t) => el("div", {},
    el("h3", {}, `Trial #${t.number} (${t.state}, ${S.objectives ? S.objectives[0].name : "value"} ${fmt(t.value)})`),
    ...(t.findings.length ? t.findings.map(findingNode) : [el("p", { class: "empty" }, "No finding.")]))) : [el("p", { class: "empty" }, "No ranked trial yet.")]));
  const test = d.test;
  $("#test-statement").textContent = test.statement;
  $("#test-table").replaceChildren(test.evaluations.length ? el("table", {}, el("tr", {}, el("th", {}, "Look"), el("th", {}, "Trial"), el("th", {}, "When (UTC)"), el("th", {}, "Metrics")),
    ...test.evaluations.map((e, i) => el("tr", {}, el("td", {}, i + 1), el("td", {}, e.trial), el("td", {}, e.time),
      el("td", {}, Object.entries(e.metrics).map(([k, v]) => `${k} ${fmt(v)}`).join(", "))))) : el("span"));
  drawLineage(d.lineage);
  drawStages(d.stages);
  drawPareto(d.pareto);
  // The timeline lists every trial (1 MB at 10,000): read only when it comes in sight. A read
  // slower than the study's next change may come back after the newer one: it is dropped.
  later("timeline-plot", d.version, () => {
    const latest = asking("timeline");
    return api("/api/timeline", [["study", S.study]]).then((tl) => (latest() ? drawTimeline(tl) : undefined))
      .catch((err) => setLive(`error: ${err.message}`));
  });
}

// Several objectives: which one each plot shows, picked beside its title (as optuna-dashboard
// picks it per plot, named by set_metric_names); the first until picked. The overview's plots
// are the first objective's; another's come from /api/plots, the contour's and rank's from
// /api/contour, each with objective=K.
const OBJECTIVE_PLOTS = ["parallel", "slices", "importance", "contour", "rank", "edf"];
const picked = (plot) => (S.objectives ? Number($(`#${plot}-objective`).value) || 0 : 0);
const objectiveName = (k) => (S.objectives ? S.objectives[k].name : S.metric);
const objectiveDirection = (k) => (S.objectives ? S.objectives[k].direction : S.direction);

function fillObjectivePickers() {
  const names = S.objectives ? S.objectives.map((o) => o.name) : [];
  for (const plot of OBJECTIVE_PLOTS) {
    const sel = $(`#${plot}-objective`);
    if ([...sel.options].map((o) => o.text).join("\u0000") !== names.join("\u0000")) {
      const keep = Number(sel.value) || 0;
      sel.replaceChildren(...names.map((n, i) => el("option", { value: i }, n)));
      sel.value = String(keep < names.length ? keep : 0);
      sel.onchange = () => (plot === "contour" || plot === "rank" ? refreshContour() : drawOverviewPlots(S.overview))
        .catch((err) => setLive(`error: ${err.message}`));
    }
    sel.hidden = !S.objectives;
  }
}

// The plots of one objective each, from the overview ``d`` (the first objective's) or /api/plots.
async function drawOverviewPlots(d) {
  if (!d) return;
  // The picks as they are now; a plot whose pick changed while a body was read is drawn by
  // that change, not over it.
  const picks = Object.entries({ parallel: drawParallelSection, slices: drawSlices, importance: drawImportance,
    edf: (b, m) => drawEdf(b.edf, m, completeOf(b)) }).map(([plot, drawIt]) => [plot, picked(plot), drawIt]);
  // Drawn again since (another pick, the overview read anew) from what is newer: a body read
  // before it would put back plots of fewer trials.
  const latest = asking("plots");
  const bodies = new Map([[0, d]]);
  for (const k of new Set(picks.map(([, k]) => k))) {
    if (k > 0) bodies.set(k, await api("/api/plots", [["study", S.study], ["objective", k]]));
  }
  if (!latest()) return;
  for (const [plot, k, drawIt] of picks) if (picked(plot) === k) drawIt(bodies.get(k), objectiveName(k), objectiveDirection(k));
}

function drawParallelSection(d, m, direction) {
  const pc = d.parallel;
  if (pc.value.length >= 2 && pc.dimensions.length) {
    const dims = pc.dimensions.map(parallelDimension);
    dims.push({ label: axisLabel(m), values: pc.value });
    later("parallel-plot", [pc, m, direction], () => drawParallel(dims, pc.value, direction, pc.feasible));
  } else emptyNote("parallel-plot", pc.value.length >= 2 ? "The complete trials have no parameter to draw."
    : `Two complete trials are needed.${infiniteNote(completeOf(d), pc.value.length)}`);
}

const SLICE_KINDS = { complete: { name: "complete", color: COLORS.complete }, pruned: { name: "pruned", color: COLORS.pruned },
  infeasible: { name: "Infeasible Trial", color: INFEASIBLE_COLOR } };

function drawSlices(d, m) {
  const box = $("#slices-plots");
  // A parameter no trial with a value has used (trials pruned before any report, failed ones,
  // a branch only those took) has no point to draw: left out, as the report leaves it out.
  const slices = d.slices.filter((s) => s.x.length);
  const want = slices.map((s) => `slice-${s.name}`);
  if ([...box.children].map((c) => c.id).join() !== want.join()) {
    for (const c of box.children) if (c.id) { offscreen.delete(c.id); drawnData.delete(c.id); }  // drawn again if back
    box.replaceChildren(...want.map((id) => el("div", { id })));
  }
  for (const s of slices) {
    // A trace of one marker per kind (complete, pruned, and apart in grey a complete trial that
    // broke the study's constraints, as plot_slice and the report draw it): per-point styles
    // cost plotly far more.
    const kindOf = (i) => (s.pruned[i] ? "pruned" : s.feasible && !s.feasible[i] ? "infeasible" : "complete");
    const part = (kind) => {
      const t = { x: [], y: [], text: [], mode: "markers", name: SLICE_KINDS[kind].name, showlegend: false,
        marker: { size: 6, color: SLICE_KINDS[kind].color, symbol: kind === "pruned" ? "x" : "circle" } };
      // A Beta b by decades of 1 - b, as it is searched (and as the report and the contour draw it).
      s.x.forEach((x, i) => { if (kindOf(i) === kind) { t.x.push(s.beta ? 1 - x : x); t.y.push(s.value[i]); t.text.push(`#${s.number[i]}`); } });
      return t;
    };
    const grey = part("infeasible");
    later(`slice-${s.name}`, [s, m], () => draw(`slice-${s.name}`, [part("complete"), part("pruned"), ...(grey.x.length ? [grey] : [])],
      { title: { text: s.beta ? `${paramLabel(s.name)} (axis: 1 - ${paramLabel(s.name)})` : paramLabel(s.name), font: { size: 13 } }, height: 270, xaxis: sliceAxis(s), yaxis: { title: { text: m } } }));
  }
  if (!slices.length) box.replaceChildren(el("p", { class: "empty" }, !d.slices.length ? "No parameters yet."
    : allInfinite(completeOf(d)) || "No trial has finished with a value yet."));
}

function drawImportance(d, m) {
  const imp = d.importance, names = Object.keys(imp.importance || {});
  // Several objectives: the importance for the objective picked, said so.
  const of = S.objectives ? ` of each parameter for ${m}` : "";
  $("#importance-note").textContent = names.length ? `${imp.method}${of} over ${counted(imp.n_trials, "complete trial")} (fit R² ${fmt(imp.r2)}).` : "";
  if (names.length) later("importance-plot", [imp, m], () => draw("importance-plot", [{ type: "bar", orientation: "h", x: names.map((n) => imp.importance[n]).reverse(), y: names.map(paramLabel).reverse(), error_x: { type: "data", array: names.map((n) => imp.std[n]).reverse() } }], { xaxis: { title: { text: "Hyperparameter Importance" } }, margin: { l: 120, r: 15, t: 20, b: 40 } }));
  else emptyNote("importance-plot", noImportance(d, m));
}

// Why no importance was measured: too few complete trials (the report's forest wants 8), none
// that used a parameter, or one value for all of them (an objective the search never changes).
function noImportance(d, m) {
  const n = d.importance.n_trials;
  if (n < 8) return `Importance needs at least 8 complete trials (${n} so far).${infiniteNote(completeOf(d), n)}`;
  if (!d.slices.length) return "The complete trials used no parameter.";
  return `The ${n} complete trials all have one ${m}: there is no variation for the importance to explain.`;
}

// Several objectives: every complete trial on two objectives (picked by the selects when there
// are more), the front of the feasible ones over all objectives highlighted, as the report and
// plot_pareto_front draw it; a click on a point follows its trial.
let paretoFront = null;
// Each part named as plot_pareto_front and optuna-dashboard name it: the rest "Trial", or
// "Feasible Trial" beside the infeasible ones.
const PARETO_KINDS = { front: { name: "Best Trial", color: "#d62728" }, dominated: { name: "Trial", color: "rgba(120,120,120,0.5)" },
  infeasible: { name: "Infeasible Trial", color: INFEASIBLE_COLOR } };

function drawPareto(front) {
  $("#pareto-section").hidden = $("#pareto-link").hidden = !front;
  paretoFront = front;
  if (!front) return;
  const pts = front.points, names = pts.names;
  const axis = (k) => `${names[k]} (${pts.directions[k]})`;
  const goals = names.map((n, i) => `${pts.directions[i]} ${n}`).join(", ");
  $("#pareto-note").textContent = (front.rows.length ? `${counted(front.rows.length, "trial")} no other feasible trial beats on every objective (${goals}).`
    : `No feasible complete trial yet (${goals}).`)
    + (front.infeasible ? ` ${counted(front.infeasible, "complete trial")} broke the study's constraints and ${front.infeasible === 1 ? "is" : "are"} left off the front.` : "");
  const xs = $("#pareto-x"), ys = $("#pareto-y");
  if ([...xs.options].map((o) => o.text).join("\u0000") !== names.join("\u0000")) {  // renamed too, as the history's
    const same = xs.options.length === names.length;
    for (const [sel, k] of [[xs, 0], [ys, 1]]) {
      const keep = same ? sel.value : String(k);
      sel.replaceChildren(...names.map((n, i) => el("option", { value: i }, n)));
      sel.value = keep;
      sel.onchange = () => drawPareto(paretoFront);
    }
  }
  xs.hidden = ys.hidden = names.length <= 2;
  if (!pts.number.length) { emptyNote("pareto-plot", "No complete trial yet."); return; }
  const kx = Number(xs.value) || 0, ky = xs.value === ys.value ? (kx + 1) % names.length : Number(ys.value);
  // A trial that broke the study's constraints is neither on the front nor "dominated": drawn
  // apart, in light grey as optuna-dashboard draws it (where the points say which broke them).
  const kindOf = (i) => (pts.pareto[i] ? "front" : pts.feasible && !pts.feasible[i] ? "infeasible" : "dominated");
  const broke = pts.number.some((_, i) => kindOf(i) === "infeasible");
  const part = (kind) => {
    const idx = pts.number.map((_, i) => i).filter((i) => kindOf(i) === kind);
    return { x: idx.map((i) => pts.values[i][kx]), y: idx.map((i) => pts.values[i][ky]), text: idx.map((i) => `#${pts.number[i]}`),
      customdata: idx.map((i) => pts.number[i]), mode: "markers", name: kind === "dominated" && broke ? "Feasible Trial" : PARETO_KINDS[kind].name,
      marker: { size: 7, color: PARETO_KINDS[kind].color } };
  };
  const traces = ["dominated", "infeasible", "front"].map(part).filter((t) => t.name !== PARETO_KINDS.infeasible.name || t.x.length);
  later("pareto-plot", [pts, kx, ky], async () => {
    await draw("pareto-plot", traces, { height: 420, xaxis: { title: { text: axis(kx) } }, yaxis: { title: { text: axis(ky) } } });
    followOnClick("pareto-plot");
  });
}

// An axis of the parallel coordinates. A trial without the parameter (a conditional one) sits
// at a "not set" mark below the axis' values, as plot_parallel_coordinate puts it: plotly
// would draw its line off the axis (a null) or not at all (NaN), and the fallback would break it.
const NOT_SET = "not set";

// A long name cut as plot_parallel_coordinate cuts it: the axes' labels would run into each other.
const axisLabel = (name) => (name.length < 20 ? name : `${name.slice(0, 17)}...`);

function parallelDimension(dim) {
  const label = axisLabel(paramLabel(dim.name)), have = dim.values.filter((v) => v !== null), missing = have.length < dim.values.length;
  if (dim.scale === "categorical") {
    const off = missing ? 1 : 0;
    return { label, values: dim.values.map((v) => (v === null ? 0 : v + off)),
      tickvals: [...(missing ? [0] : []), ...dim.ticktext.map((_, i) => i + off)],
      ticktext: [...(missing ? [NOT_SET] : []), ...dim.ticktext] };
  }
  if (!missing || !have.length) return { label, values: dim.values };
  const lo = Math.min(...have), hi = Math.max(...have), at = hi > lo ? lo - ((hi - lo) * 0.12) / 0.88 : lo - 1;
  const ticks = hi > lo ? [0, 1, 2, 3, 4].map((k) => lo + ((hi - lo) * k) / 4) : [lo];
  return { label, values: dim.values.map((v) => (v === null ? at : v)), range: [at, hi],
    tickvals: [at, ...ticks], ticktext: [NOT_SET, ...ticks.map(fmt)] };
}

// Parcoords needs WebGL; where plotly finds none it can use (a remote desktop, a headless
// browser) each trial is drawn as a polyline over the axes scaled to [0, 1], in five colour
// bands of the objective. ``feasible`` (null for a study without constraint values) greys the
// lines that broke the study's constraints, as the report greys them.
let webglWorks = true;

async function drawParallel(dims, value, direction, feasible) {
  const id = "parallel-plot", node = document.getElementById(id);
  if (webglWorks) {
    const line = { color: value, colorscale: "Viridis", showscale: true, reversescale: direction === "minimize" };
    await draw(id, [{ type: "parcoords", dimensions: dims, line: feasible && feasible.includes(false) ? greyedLine(value, feasible, direction) : line }],
      { height: 380, margin: { l: 60, r: 60, t: 50, b: 30 } });
    if (!node.querySelector(".no-webgl")) return;
    webglWorks = false;
    Plotly.purge(node);
    node.replaceChildren();
  }
  await draw(id, parallelLines(dims, value, direction, feasible), { height: 380, showlegend: false, xaxis: { tickvals: dims.map((_, i) => i), ticktext: dims.map((d) => d.label), range: [-0.1, dims.length - 0.9], zeroline: false }, yaxis: { title: { text: "position in each axis' range" }, range: [-0.05, 1.05], zeroline: false } });
}

// A parcoords line has one colour scale: the report's (figures._greyed_line), Viridis over the
// feasible values, below it a foot of GREY_SHARE in grey where the infeasible lines are placed.
const GREY_SHARE = 0.02;
const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];

function greyedLine(value, feasible, direction) {
  const shown = value.filter((v, i) => feasible[i] && Number.isFinite(v));
  const lo = shown.length ? Math.min(...shown) : 0, top = shown.length ? Math.max(...shown) : 1, hi = top > lo ? top : lo + 1;
  const floor = lo - ((hi - lo) * GREY_SHARE) / (1 - GREY_SHARE);
  const ramp = direction === "minimize" ? [...VIRIDIS].reverse() : VIRIDIS;  // the best value the brightest
  const colorscale = [[0, INFEASIBLE_COLOR], [GREY_SHARE, INFEASIBLE_COLOR], ...ramp.map((c, i) => [GREY_SHARE + ((1 - GREY_SHARE) * i) / (ramp.length - 1), c])];
  return { color: value.map((v, i) => (feasible[i] ? v : floor)), colorscale, cmin: floor, cmax: hi, reversescale: false, showscale: true };
}

function parallelLines(dims, value, direction, feasible) {
  const scaled = dims.map((d) => {
    const vals = d.values.filter((v) => v !== null), lo = Math.min(...vals), hi = Math.max(...vals);
    return d.values.map((v) => (v === null ? null : hi > lo ? (v - lo) / (hi - lo) : 0.5));
  });
  const met = (i) => !feasible || feasible[i];
  const banded = value.filter((_, i) => met(i));
  const lo = Math.min(...banded), hi = Math.max(...banded), bands = 5, better = direction === "maximize";
  const palette = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
  const traces = palette.map((color) => ({ x: [], y: [], mode: "lines", line: { color, width: 1 }, hoverinfo: "skip" }));
  // The grey lines first, under the coloured ones; drawn only where a line broke the constraints.
  const grey = { x: [], y: [], mode: "lines", name: "Infeasible Trial", line: { color: INFEASIBLE_COLOR, width: 1 }, hoverinfo: "skip" };
  value.forEach((v, i) => {
    let b = hi > lo ? Math.min(bands - 1, Math.floor(((v - lo) / (hi - lo)) * bands)) : bands - 1;
    if (!better) b = bands - 1 - b;
    const t = met(i) ? traces[b] : grey;
    scaled.forEach((col, j) => { t.x.push(j); t.y.push(col[i]); });
    t.x.push(null); t.y.push(null);
  });
  return grey.x.length ? [grey, ...traces] : traces;
}

function drawLineage(lin) {
  const box = $("#lineage");
  // The members PBT stopped before any trial started from them: no line leaves them, and some
  // are not drawn at all, so the figure alone reads as the whole population. (The server words
  // it as the report does; "" when none was stopped.)
  const stopped = lin.stopped_text || "";
  if (!lin.nodes.length) {
    box.replaceChildren(el("p", { class: "empty" }, lin.pbt ? "No member has copied a better one yet: each exploit adds a line here."
      : "This study has no population-based training."), ...(stopped ? [el("p", { id: "lineage-stopped", class: "note" }, stopped)] : []));
    return;
  }
  // The note is rewritten in place: the plot stays, redrawn only when its data changes.
  if (!box.querySelector("#lineage-plot")) box.replaceChildren(el("p", { id: "lineage-stopped", class: "note" }), el("div", { id: "lineage-plot", class: "plot" }));
  const note = $("#lineage-stopped");
  note.textContent = stopped;
  note.hidden = !stopped;
  const byNumber = new Map(lin.nodes.map((n) => [n.number, n]));
  const ex = [], ey = [];
  for (const n of lin.nodes) if (n.parent !== null && byNumber.has(n.parent)) { ex.push(n.parent, n.number, null); ey.push(byNumber.get(n.parent).value, n.value, null); }
  later("lineage-plot", [lin, S.metric], () => draw("lineage-plot", [{ x: ex, y: ey, mode: "lines", name: "copied from", line: { color: "#aaa" } },
    { x: lin.nodes.map((n) => n.number), y: lin.nodes.map((n) => n.value), mode: "markers", name: "member",
      text: lin.nodes.map((n) => (n.parent === null ? `#${n.number}` : `#${n.number} from #${n.parent} at epoch ${n.parent_step}`)),
      marker: { color: lin.nodes.map((n) => COLORS[n.state] || "#777"), size: 8 } }], { xaxis: { title: { text: "trial" } }, yaxis: { title: { text: S.metric } } }));
}

function drawStages(stages) {
  const box = $("#stages");
  if (!stages.length) { box.replaceChildren(el("p", { class: "empty" }, "This study does not search coarse to fine.")); return; }
  box.replaceChildren(el("table", {}, el("tr", {}, ...["Stage", "First trial", "Trials", "Best", "Narrowed around", "Ranges"].map((h) => el("th", {}, h))),
    ...stages.map((s) => el("tr", {}, el("td", {}, s.stage), el("td", {}, s.first_trial), el("td", {}, s.n_trials),
      el("td", {}, s.best ? `#${s.best.number}: ${fmt(s.best.value)}` : "–"), el("td", {}, s.narrowed_around.map((n) => `#${n}`).join(" ")),
      el("td", {}, Object.entries((s.space && s.space.params) || s.space || {}).map(([k, v]) => `${paramLabel(k)} ${v.low !== undefined ? `[${fmt(v.low)}, ${fmt(v.high)}]` : JSON.stringify(v.values || v)}`).join("; "))))));
}

async function refreshOverview() {
  const d = await api("/api/overview", [["study", S.study]]);
  S.overviewVersion = d.version;
  if (d.summary && d.summary.metric) S.metric = d.summary.metric;
  // The terminator's last reading (search.terminator or a TerminatorCallback), in words.
  $("#terminator-line").textContent = (d.summary && d.summary.terminator && d.summary.terminator.text) || "";
  // The population executor's stacks: how many members, why, how full (as nntune show says it).
  $("#population-line").textContent = (d.summary && d.summary.population && d.summary.population.text) || "";
  S.overviewAt = Date.now();
  S.overview = d;
  fillObjectivePickers();
  drawOverview(d);
  await drawOverviewPlots(d);
  // The contour's default pair follows the importance just read; its trials, the version.
  await refreshContour();
}
