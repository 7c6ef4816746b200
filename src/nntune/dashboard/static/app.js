// nntune dashboard: the three pages, polling the JSON API; plotly draws the figures.
"use strict";

const $ = (sel) => document.querySelector(sel);
const STATES = ["complete", "pruned", "failed", "diverged", "running", "waiting"];
const POLL_MS = 1000;
const PLOT_CONFIG = { displaylogo: false, responsive: true };
const COLORS = { complete: "#1f77b4", pruned: "#ef6c00", failed: "#b00020", diverged: "#6a1b9a", running: "#1565c0", waiting: "#757575" };

async function api(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of params || []) url.searchParams.append(k, v);
  const res = await fetch(url, { cache: "no-store" });
  const body = await res.json();
  if (!res.ok) throw Object.assign(new Error(body.error || res.statusText), { status: res.status });
  return body;
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3) && v !== 0 ? v.toExponential(3) : v.toPrecision(4);
  return String(v);
}

// A parameter's cell: a None choice reads "None"; "–" is for a trial without the parameter.
function paramText(params, name) {
  if (!(name in params)) return "–";
  return params[name] === null ? "None" : fmt(params[name]);
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c === null || c === undefined ? "" : String(c)));
  return node;
}

function stateBadges(counts) {
  const span = el("span");
  for (const s of STATES) if (counts[s]) span.append(el("span", { class: `st st-${s}`, title: s }, `${counts[s]} ${s}`));
  return span;
}

function setLive(text) { const n = $("#live"); if (n) n.textContent = text; }

// plotly.js (4 MB) loads after the page's own script, so the table shows before it is parsed.
let plotlyLoad = null;
function plotlyReady() {
  if (!plotlyLoad) plotlyLoad = new Promise((resolve, reject) => {
    const script = el("script", { src: "/static/plotly.min.js" });
    script.addEventListener("load", resolve);
    script.addEventListener("error", () => reject(new Error("plotly.min.js did not load")));
    document.head.append(script);
  });
  return plotlyLoad;
}

async function draw(id, traces, layout) {
  const node = document.getElementById(id);
  if (!node) return;
  try {
    await plotlyReady();
    for (const note of node.querySelectorAll(":scope > p.empty")) note.remove();
    await Plotly.react(node, traces, Object.assign({ margin: { l: 55, r: 15, t: 30, b: 40 }, height: 330, legend: { orientation: "h", y: -0.3, yanchor: "top" } }, layout), PLOT_CONFIG);
  } catch (err) { setLive(`error: ${err.message}`); }
}

// Plots below the first screen are drawn when they come near it, and redrawn only while near
// it and only when their data changed: plotly takes a few hundred milliseconds for each large
// figure, and the page of a study of 10,000 trials should be ready, and follow it, at once.
const offscreen = new Map();  // id -> the draw waiting for its plot to come near the screen
const drawnData = new Map();  // id -> the data it was last drawn from
const near = new Set();
let nearScreen = null;
function later(id, data, drawIt) {
  const node = document.getElementById(id);
  if (!node) return;
  const key = JSON.stringify(data);
  if (drawnData.get(id) === key) { offscreen.delete(id); return; }
  const run = () => { drawnData.set(id, key); return drawIt(); };
  if (!("IntersectionObserver" in window)) { run(); return; }
  if (!nearScreen) nearScreen = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) { near.delete(e.target.id); continue; }
      near.add(e.target.id);
      const pending = offscreen.get(e.target.id);
      offscreen.delete(e.target.id);
      if (pending) pending();
    }
  }, { rootMargin: "200px 0px" });
  if (!node.dataset.observed) { node.dataset.observed = "1"; nearScreen.observe(node); }
  if (near.has(id)) { offscreen.delete(id); run(); } else offscreen.set(id, run);
}

async function emptyNote(id, text) {
  offscreen.delete(id);
  drawnData.delete(id);
  const node = document.getElementById(id);
  if (!node) return;
  if (window.Plotly) Plotly.purge(node);
  node.replaceChildren(el("p", { class: "empty" }, text));
}

function every(ms, fn) {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try { await fn(); setLive(`live · updated ${new Date().toLocaleTimeString()}`); } catch (err) { setLive(`error: ${err.message}`); }
    busy = false;
  };
  tick();
  return setInterval(tick, ms);
}

// ---------------------------------------------------------------- studies
function studiesPage() {
  every(2000, async () => {
    const data = await api("/api/studies");
    $("#storage").textContent = `storage ${data.storage}`;
    const checked = new Set([...document.querySelectorAll("#studies input:checked")].map((c) => c.value));
    const rows = data.studies.map((s) => el("tr", { "data-study": s.name },
      el("td", {}, el("input", Object.assign({ type: "checkbox", value: s.name }, checked.has(s.name) ? { checked: "" } : {}))),
      el("td", {}, el("a", { href: `/study?study=${encodeURIComponent(s.name)}` }, s.name)),
      el("td", {}, objectivesText(s) || s.direction), el("td", {}, stateBadges(s.counts)), el("td", { class: "num" }, s.n_trials),
      el("td", { class: "num" }, s.objectives ? `front of ${s.objectives.front}` : fmt(s.best_value)), el("td", {}, s.last_activity ? s.last_activity.replace("T", " ") : "–"),
      el("td", {}, data.control ? el("button", { type: "button", class: "danger", onclick: () => deleteStudy(s, data.token_required) }, "delete") : "")));
    $("#studies tbody").replaceChildren(...rows);
    $("#empty").hidden = data.studies.length > 0;
  });
  $("#compare-selected").addEventListener("click", () => {
    const names = [...document.querySelectorAll("#studies input:checked")].map((c) => c.value);
    const url = new URL("/compare", window.location.origin);
    for (const n of names) url.searchParams.append("study", n);
    window.location.href = url.toString();
  });
}

// A study of several objectives has no one direction or best value: each objective with its
// direction, and its Pareto front's size in the best column (as nntune studies prints them).
function objectivesText(s) {
  const o = s.objectives;
  return o ? `${o.names.length} objectives: ${o.names.map((n, i) => `${o.directions[i]} ${n}`).join(", ")}` : "";
}

// Only offered when the dashboard was started with --allow-control.
async function deleteStudy(study, tokenRequired) {
  if (!window.confirm(`Delete study ${study.name} and its ${study.n_trials} trials? This cannot be undone.`)) return;
  const headers = {};
  if (tokenRequired) {
    const token = window.prompt("Control token (printed when the dashboard started):");
    if (!token) return;
    headers["X-NNTune-Token"] = token;
  }
  const res = await fetch(`/api/delete?study=${encodeURIComponent(study.name)}`, { method: "POST", headers });
  const body = await res.json();
  setLive(res.ok ? `deleted ${body.deleted}` : `error: ${body.error}`);
}

// ---------------------------------------------------------------- one study
const S = { study: "", version: -1, sort: "number", order: "desc", page: 0, selected: null, follow: true,
  overviewVersion: -1, overviewAt: 0, params: [], metric: "value", direction: "minimize", objectives: null };

function tableQuery() {
  const q = [["study", S.study], ["sort", S.sort], ["order", S.order], ["page", S.page], ["size", $("#page-size").value]];
  const states = [...document.querySelectorAll("#state-boxes input:checked")].map((c) => c.value);
  if (states.length) q.push(["state", states.join(",")]);
  if ($("#value-min").value.trim()) q.push(["value_min", $("#value-min").value.trim()]);
  if ($("#value-max").value.trim()) q.push(["value_max", $("#value-max").value.trim()]);
  const p = $("#range-param").value;
  if (p) q.push(["range", `${p}:${$("#range-low").value.trim()}:${$("#range-high").value.trim()}`]);
  return q;
}

function header(params, sched) {
  // Several objectives: a column for each, named (the first sorts as the value; the others cannot be sorted).
  const values = S.objectives ? S.objectives.map((o, i) => [i === 0 ? "value" : null, o.name]) : [["value", "Value"]];
  const cols = [["number", "#"], ["state", "State"], ...values, ["epochs", "Epochs"], ["duration", "Seconds"], ["start", "Started (UTC)"]]
    .concat(params.map((p) => [`param:${p}`, p]));
  const tr = el("tr");
  for (const [key, label] of cols) {
    if (key === null) { tr.append(el("th", {}, label)); continue; }
    const cls = "sortable" + (S.sort === key ? ` sorted-${S.order}` : "");
    tr.append(el("th", { class: cls, "data-sort": key, onclick: () => { S.order = S.sort === key && S.order === "asc" ? "desc" : "asc"; S.sort = key; S.page = 0; refreshTable(); } }, label));
  }
  for (const c of sched) tr.append(el("th", {}, c));
  return tr;
}

async function refreshTable() {
  let data;
  try { data = await api("/api/trials", tableQuery()); $("#filter-error").hidden = true; } catch (err) {
    $("#filter-error").textContent = err.message; $("#filter-error").hidden = false; return;
  }
  // Only the parameters a range can filter (numbers): a choice of strings would match nothing.
  if (data.numeric_params.join() !== S.params.join()) {
    S.params = data.numeric_params;
    const sel = $("#range-param"), keep = sel.value;
    sel.replaceChildren(el("option", { value: "" }, "(none)"), ...data.numeric_params.map((p) => el("option", { value: p }, p)));
    sel.value = keep;
  }
  $("#trial-table thead").replaceChildren(header(data.params, data.scheduler_columns));
  $("#trial-table tbody").replaceChildren(...data.rows.map((r) => {
    const tr = el("tr", { "data-number": r.number, class: r.number === S.selected ? "selected" : "",
      onclick: () => { S.follow = false; $("#follow").checked = false; select(r.number); } },
      el("td", { class: "num" }, r.number), el("td", {}, el("span", { class: `st st-${r.state}` }, r.state)),
      ...objectiveValues(r).map((v) => el("td", { class: "num" }, fmt(v))), el("td", { class: "num" }, r.epochs), el("td", { class: "num" }, fmt(r.duration)),
      el("td", {}, r.start ? r.start.replace("T", " ") : "–"));
    for (const p of data.params) tr.append(el("td", { class: "num" }, paramText(r.params, p)));
    for (const c of data.scheduler_columns) tr.append(el("td", {}, fmt(r.scheduler[c])));
    return tr;
  }));
  $("#page-info").textContent = `page ${data.page + 1} of ${data.pages} · ${data.total} matching of ${data.n_trials} trials`;
  $("#prev").disabled = data.page === 0;
  $("#next").disabled = data.page + 1 >= data.pages;
}

// A trial's value, or each of its values in a study of several objectives (none before it completes).
function objectiveValues(t) {
  if (!S.objectives) return [t.value];
  return S.objectives.map((_, i) => (t.values && i < t.values.length ? t.values[i] : null));
}

function valuesText(t) {
  if (!S.objectives) return `value ${fmt(t.value)}`;
  const v = objectiveValues(t);
  return S.objectives.map((o, i) => `${o.name} ${fmt(v[i])}`).join(", ");
}

// The table row of the trial the panel shows, brought to the panel's read of it in the same
// step as the panel's title (the table itself is redrawn at the next poll).
function showRow(t) {
  const tr = document.querySelector(`#trial-table tbody tr[data-number='${t.number}']`);
  const v = objectiveValues(t);
  if (!tr || tr.cells.length < 4 + v.length) return;
  tr.cells[1].replaceChildren(el("span", { class: `st st-${t.state}` }, t.state));
  v.forEach((x, i) => { tr.cells[2 + i].textContent = fmt(x); });
  tr.cells[2 + v.length].textContent = t.epochs;
  tr.cells[3 + v.length].textContent = fmt(t.duration);
}

async function select(number) {
  S.selected = number;
  for (const tr of document.querySelectorAll("#trial-table tbody tr")) tr.classList.toggle("selected", Number(tr.dataset.number) === number);
  await refreshTrial();
}

async function refreshTrial() {
  if (S.selected === null) { $("#trial-title").textContent = "(none yet)"; return; }
  const t = await api("/api/trial", [["study", S.study], ["number", S.selected]]);
  $("#trial-title").textContent = `#${t.number} · ${t.state} · ${valuesText(t)} · ${t.epochs} epochs`;
  showRow(t);
  const c = t.curve, hasRecords = c.epoch.length > 0;
  const line = (y, name, dash) => ({ x: c.epoch, y, name, mode: "lines+markers", line: { dash: dash || "solid" } });
  const drawn = [];
  // A dotted line after each epoch that took a change (nntune trial set, a fork, PBT), named on hover.
  const taken = (t.changes || []).filter((m) => m.epoch !== null);
  const marks = {
    shapes: taken.map((m) => ({ type: "line", xref: "x", yref: "paper", x0: m.epoch + 0.5, x1: m.epoch + 0.5, y0: 0, y1: 1, line: { dash: "dot", width: 1, color: "#888" } })),
    annotations: taken.map((m, i) => ({ xref: "x", yref: "paper", x: m.epoch + 0.5, y: 1 - 0.08 * (i % 4), text: `${m.param} ${fmt(m.old)}→${fmt(m.new)}`, showarrow: false, font: { size: 9 }, hovertext: `after epoch ${m.epoch}, by ${m.who}` })),
  };
  if (hasRecords) {
    // A study of the validation loss: its metric panel shows the metric logged beside the loss,
    // and a predicted curve of the value belongs with the loss.
    const m = c.metric || t.metric, ofLoss = m !== t.metric;
    drawn.push(draw("curve-loss", [line(c.train_loss, "training loss"), line(c.val_loss, "validation loss", "dot"), ...(ofLoss ? predicted(t.prediction) : [])], { title: { text: "loss", font: { size: 13 } }, xaxis: { title: { text: "epoch" } }, ...marks }));
    drawn.push(draw("curve-metric", [line(c.train_metric, `training ${m}`), line(c.val_metric, `validation ${m}`, "dot"), ...(ofLoss ? [] : predicted(t.prediction))], { title: { text: m, font: { size: 13 } }, xaxis: { title: { text: "epoch" } }, ...marks }));
    // An objective of the user's own may record no learning rate: a note, not empty log axes.
    if (c.lr.some((v) => v !== null)) drawn.push(draw("curve-lr", [line(c.lr, "learning rate")], { title: { text: "learning rate", font: { size: 13 } }, xaxis: { title: { text: "epoch" } }, yaxis: { type: "log" }, ...marks }));
    else emptyNote("curve-lr", "No learning rate recorded.");
  } else {
    drawn.push(draw("curve-loss", [{ x: t.intermediate.steps, y: t.intermediate.values, name: "reported value", mode: "lines+markers" }, ...predicted(t.prediction)], { title: { text: "intermediate values", font: { size: 13 } }, xaxis: { title: { text: "step" } } }));
    emptyNote("curve-metric", "This trial reports no per-epoch records (loss, metric).");
    emptyNote("curve-lr", "No learning rate recorded.");
  }
  $("#trial-info").replaceChildren(...trialInfo(t));
  const box = $("#trial-findings");
  box.replaceChildren(...(t.findings.length ? t.findings.map(findingNode) : [el("p", { class: "empty" }, t.error ? "No finding." : "No finding: the curves look healthy.")]));
  renderControls(t);
  await Promise.all(drawn);
}

// The trial's error, parameters and user attributes (the set_user_attr values), as Optuna's
// dashboard lists them; the attributes fold away, and stay open across the live redraws.
function trialInfo(t) {
  const out = [];
  if (t.error) out.push(el("p", { class: "error" }, `error: ${t.error}`));
  const names = Object.keys(t.params || {});
  out.push(el("p", {}, el("b", {}, "Parameters: "), names.length ? names.map((k) => `${k}=${paramText(t.params, k)}`).join(", ") : "none"));
  const attrs = Object.entries(t.user_attrs || {});
  if (attrs.length) {
    const details = el("details", { ontoggle: (e) => { S.attrsOpen = e.target.open; } }, el("summary", {}, `User attributes (${attrs.length})`),
      el("table", {}, ...attrs.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", { class: "attr" }, v !== null && typeof v === "object" ? JSON.stringify(v) : fmt(v))))));
    details.open = Boolean(S.attrsOpen);
    out.push(details);
  }
  return out;
}

// Change, stop and fork controls: only offered when the dashboard was started with --allow-control.
// A stored learning-curve prediction (scheduler curve): dashed mean in a one-sd band.
function predicted(p) {
  if (!p || !p.steps || !p.steps.length) return [];
  const back = (a) => [...a].reverse();
  const chance = p.p_beat == null ? "" : `, P(beats the best) ${fmt(p.p_beat)}`;
  return [
    { x: [...p.steps, ...back(p.steps)], y: [...p.high, ...back(p.low)], fill: "toself", fillcolor: "rgba(214,39,40,0.15)", line: { width: 0 }, hoverinfo: "skip", showlegend: false },
    { x: p.steps, y: p.mean, mode: "lines", name: `predicted at epoch ${p.step}${chance}`, line: { dash: "dash", color: "#d62728" } },
  ];
}

function renderControls(t) {
  const box = $("#trial-control");
  if (!box) return;
  box.hidden = !S.control;
  if (!S.control || box.dataset.number === String(t.number)) return;
  box.dataset.number = String(t.number);
  const changes = el("input", { type: "text", placeholder: "lr=3e-4 weight_decay=1e-4", size: 28 });
  const epoch = el("input", { type: "number", min: 1, placeholder: "epoch", size: 5 });
  const token = el("input", { type: "password", placeholder: "token (if asked)", size: 12 });
  const go = (action) => controlTrial(t.number, action, changes.value, epoch.value, token.value);
  box.replaceChildren(el("b", {}, `trial #${t.number}: `), changes,
    el("button", { type: "button", onclick: () => go("set") }, "change"),
    el("button", { type: "button", class: "danger", onclick: () => go("stop") }, "stop"),
    " · fork from epoch ", epoch, el("button", { type: "button", onclick: () => go("fork") }, "fork"), " ", token,
    el("span", { id: "control-result", class: "note" }));
}

async function controlTrial(number, action, changes, epoch, token) {
  const url = new URL("/api/trial/control", window.location.origin);
  for (const [k, v] of [["study", S.study], ["number", number], ["action", action]]) url.searchParams.set(k, v);
  if (action === "fork") url.searchParams.set("epoch", epoch);
  for (const pair of changes.split(/\s+/).filter(Boolean)) {
    const i = pair.indexOf("=");
    url.searchParams.set(i > 0 ? pair.slice(0, i) : pair, i > 0 ? pair.slice(i + 1) : "");
  }
  const res = await fetch(url, { method: "POST", headers: token ? { "X-NNTune-Token": token } : {} });
  const body = await res.json();
  $("#control-result").textContent = res.ok ? ` ${body.note}` : ` error: ${body.error}`;
}

function findingNode(f) {
  return el("div", { class: `finding sev-${f.severity}` }, el("b", {}, f.severity), el("strong", {}, f.kind.replace(/_/g, " ")),
    el("div", {}, f.summary), el("div", {}, `Advice: ${f.advice}`));
}

// Trial numbers are whole: a step of one where plotly would put ticks between them.
function trialAxis(n) {
  return Object.assign({ title: { text: "trial" }, tickformat: "d", zeroline: false }, n <= 12 ? { dtick: 1 } : {});
}

function drawHistory(h, m) {
  if (h.n_trials) {
    return draw("history-plot", [
      { x: h.number, y: h.value, mode: "markers", name: "complete", marker: { color: COLORS.complete, size: 6 } },
      { x: h.pruned_number, y: h.pruned_value, mode: "markers", name: "pruned", marker: { color: COLORS.pruned, symbol: "x", size: 6 } },
      { x: h.best_number, y: h.best_value, mode: "lines", name: "best so far", line: { shape: "hv", color: "#c62828" } }],
      { xaxis: trialAxis(h.n_trials), yaxis: { title: { text: m } } });
  }
  return emptyNote("history-plot", "No finished trial yet.");
}

async function refreshHistory() {
  const d = await api("/api/history", [["study", S.study]]);
  // Several objectives: the history of the one picked, its best so far in its own direction.
  const pick = $("#history-objective");
  if (d.objectives && pick.options.length !== d.objectives.length) {
    pick.replaceChildren(...d.objectives.map((o, i) => el("option", { value: i }, `${o.name} (${o.direction})`)));
    pick.onchange = () => { S.historyKey = null; refreshHistory(); };
  }
  pick.hidden = !d.objectives;
  const shown = d.objectives ? d.objectives[Number(pick.value) || 0] : { history: d.history, name: S.metric };
  // A new epoch of a running trial leaves the history as it was: no redraw (thousands of points).
  const key = JSON.stringify([shown.history, shown.name]);
  if (key === S.historyKey) return;
  S.historyKey = key;
  await drawHistory(shown.history, shown.name);
}

function drawOverview(d) {
  // The plots of a study of several objectives show its first objective's values: named so.
  const m = S.objectives ? S.objectives[0].name : S.metric;
  const iv = d.intermediate;
  if (iv.curves.length) {
    const traces = [];
    for (const [q, name] of [["q10", "10%"], ["q50", "median"], ["q90", "90%"]]) traces.push({ x: iv.band_steps, y: iv.band[q], name: `${name} of all`, mode: "lines", line: { color: "#999", dash: q === "q50" ? "dash" : "dot" } });
    // All curves of a kind in one trace, split by gaps: plotly's cost grows with the number of traces.
    const kind = (name, color) => ({ x: [], y: [], text: [], name, mode: "lines", hoverinfo: "x+y+text", line: { width: 1, color } });
    const ran = kind("trials", "rgba(31,119,180,.45)"), stopped = kind("stopped early", "rgba(239,108,0,.55)");
    const ends = { x: [], y: [], text: [], name: "stopped here", mode: "markers", hoverinfo: "x+y+text", marker: { symbol: "x", color: COLORS.pruned, size: 8 } };
    // A curve of one reported value has no line to draw: a dot instead.
    const lone = { x: [], y: [], text: [], name: "one value", mode: "markers", hoverinfo: "x+y+text", showlegend: false, marker: { color: "rgba(31,119,180,.6)", size: 5 } };
    for (const c of iv.curves) {
      if (c.steps.length === 1 && c.state !== "pruned") { lone.x.push(c.steps[0]); lone.y.push(c.values[0]); lone.text.push(`#${c.number} ${c.state}`); }
      const pruned = c.state === "pruned", t = pruned ? stopped : ran, label = `#${c.number} ${c.state}`;
      for (let i = 0; i < c.steps.length; i++) { t.x.push(c.steps[i]); t.y.push(c.values[i]); t.text.push(label); }
      t.x.push(null); t.y.push(null); t.text.push("");
      if (pruned) { ends.x.push(c.steps[c.steps.length - 1]); ends.y.push(c.values[c.values.length - 1]); ends.text.push(`#${c.number} stopped early`); }
    }
    traces.push(ran, stopped, ends, lone);
    const shown = iv.n_shown < iv.n_trials ? ` (${iv.n_shown} of ${iv.n_trials} trials drawn, the best among them; the band is over all)` : "";
    later("intermediate-plot", [iv, m], () => draw("intermediate-plot", traces, { title: { text: shown, font: { size: 11 } }, xaxis: { title: { text: "epoch" } }, yaxis: { title: { text: m } }, height: 360 }));
  } else emptyNote("intermediate-plot", "No intermediate values reported yet.");
  const pc = d.parallel;
  if (pc.value.length >= 2 && pc.dimensions.length) {
    const dims = pc.dimensions.map((dim) => dim.scale === "categorical"
      ? { label: dim.name, values: dim.values, tickvals: dim.ticktext.map((_, i) => i), ticktext: dim.ticktext }
      : { label: dim.name, values: dim.values });
    dims.push({ label: m, values: pc.value });
    later("parallel-plot", [pc, m, S.direction], () => drawParallel(dims, pc.value));
  } else emptyNote("parallel-plot", "Two complete trials are needed.");
  const box = $("#slices-plots");
  const want = d.slices.map((s) => `slice-${s.name}`);
  if ([...box.children].map((c) => c.id).join() !== want.join()) box.replaceChildren(...want.map((id) => el("div", { id })));
  for (const s of d.slices) {
    // Two traces of one marker each (complete, pruned): per-point styles cost plotly far more.
    const part = (pruned) => {
      const t = { x: [], y: [], text: [], mode: "markers", name: pruned ? "pruned" : "complete", showlegend: false,
        marker: { size: 6, color: pruned ? COLORS.pruned : COLORS.complete, symbol: pruned ? "x" : "circle" } };
      s.x.forEach((x, i) => { if (s.pruned[i] === pruned) { t.x.push(x); t.y.push(s.value[i]); t.text.push(`#${s.number[i]}`); } });
      return t;
    };
    later(`slice-${s.name}`, [s, m], () => draw(`slice-${s.name}`, [part(false), part(true)],
      // A choice's axis in the order of its choices (32, 64, 128), not in the order trials drew them.
      { title: { text: s.name, font: { size: 13 } }, height: 270, xaxis: s.categorical ? { type: "category", categoryorder: "array", categoryarray: s.categories || [] } : { type: s.log ? "log" : "linear" }, yaxis: { title: { text: m } } }));
  }
  if (!d.slices.length) box.replaceChildren(el("p", { class: "empty" }, "No parameters yet."));
  const imp = d.importance, names = Object.keys(imp.importance || {});
  $("#importance-note").textContent = names.length ? `${imp.method} over ${imp.n_trials} complete trials (fit R² ${fmt(imp.r2)}).` : "";
  if (names.length) later("importance-plot", imp, () => draw("importance-plot", [{ type: "bar", orientation: "h", x: names.map((n) => imp.importance[n]).reverse(), y: names.slice().reverse(), error_x: { type: "data", array: names.map((n) => imp.std[n]).reverse() } }], { xaxis: { title: { text: "share of importance" } }, margin: { l: 120, r: 15, t: 20, b: 40 } }));
  else emptyNote("importance-plot", "Importance needs at least 8 complete trials.");
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
}

// Several objectives: every complete trial on the first two (or three) objectives, the front
// of the feasible ones highlighted, as the report and plot_pareto_front draw it.
function drawPareto(front) {
  $("#pareto-section").hidden = $("#pareto-link").hidden = !front;
  if (!front) return;
  const pts = front.points, names = pts.names, three = names.length >= 3;
  const axis = (k) => `${names[k]} (${pts.directions[k]})`;
  $("#pareto-note").textContent = `${front.rows.length} trials no other feasible trial beats on every objective (${names.map((n, i) => `${pts.directions[i]} ${n}`).join(", ")}).`
    + (front.infeasible ? ` ${front.infeasible} complete trials broke the study's constraints and are left off the front.` : "");
  if (!pts.number.length) { emptyNote("pareto-plot", "No complete trial yet."); return; }
  const part = (onFront) => {
    const idx = pts.pareto.map((p, i) => (p === onFront ? i : -1)).filter((i) => i >= 0);
    const col = (k) => idx.map((i) => pts.values[i][k]);
    return Object.assign({ x: col(0), y: col(1), text: idx.map((i) => `#${pts.number[i]}`), mode: "markers", name: onFront ? "Pareto front" : "dominated",
      marker: { size: three ? 4 : 7, color: onFront ? "#d62728" : "rgba(120,120,120,0.5)" } }, three ? { type: "scatter3d", z: col(2) } : {});
  };
  const layout = three ? { height: 460, scene: { xaxis: { title: { text: axis(0) } }, yaxis: { title: { text: axis(1) } }, zaxis: { title: { text: axis(2) } } } }
    : { height: 420, xaxis: { title: { text: axis(0) } }, yaxis: { title: { text: axis(1) } } };
  later("pareto-plot", pts, () => draw("pareto-plot", [part(false), part(true)], layout));
}

// Parcoords needs WebGL; where plotly finds none it can use (a remote desktop, a headless
// browser) each trial is drawn as a polyline over the axes scaled to [0, 1], in five colour
// bands of the objective.
let webglWorks = true;

async function drawParallel(dims, value) {
  const id = "parallel-plot", node = document.getElementById(id);
  if (webglWorks) {
    await draw(id, [{ type: "parcoords", dimensions: dims, line: { color: value, colorscale: "Viridis", showscale: true, reversescale: S.direction === "minimize" } }], { height: 380, margin: { l: 60, r: 60, t: 50, b: 30 } });
    if (!node.querySelector(".no-webgl")) return;
    webglWorks = false;
    Plotly.purge(node);
    node.replaceChildren();
  }
  await draw(id, parallelLines(dims, value), { height: 380, showlegend: false, xaxis: { tickvals: dims.map((_, i) => i), ticktext: dims.map((d) => d.label), range: [-0.1, dims.length - 0.9], zeroline: false }, yaxis: { title: { text: "position in each axis' range" }, range: [-0.05, 1.05], zeroline: false } });
}

function parallelLines(dims, value) {
  const scaled = dims.map((d) => {
    const vals = d.values.filter((v) => v !== null), lo = Math.min(...vals), hi = Math.max(...vals);
    return d.values.map((v) => (v === null ? null : hi > lo ? (v - lo) / (hi - lo) : 0.5));
  });
  const lo = Math.min(...value), hi = Math.max(...value), bands = 5, better = S.direction === "maximize";
  const palette = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
  const traces = palette.map((color) => ({ x: [], y: [], mode: "lines", line: { color, width: 1 }, hoverinfo: "skip" }));
  value.forEach((v, i) => {
    let b = hi > lo ? Math.min(bands - 1, Math.floor(((v - lo) / (hi - lo)) * bands)) : bands - 1;
    if (!better) b = bands - 1 - b;
    const t = traces[b];
    scaled.forEach((col, j) => { t.x.push(j); t.y.push(col[i]); });
    t.x.push(null); t.y.push(null);
  });
  return traces;
}

function drawLineage(lin) {
  const box = $("#lineage");
  if (!lin.nodes.length) { box.replaceChildren(el("p", { class: "empty" }, "This study has no population-based training.")); return; }
  if (!box.querySelector("#lineage-plot")) box.replaceChildren(el("div", { id: "lineage-plot", class: "plot" }));
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
      el("td", {}, Object.entries((s.space && s.space.params) || s.space || {}).map(([k, v]) => `${k} ${v.low !== undefined ? `[${fmt(v.low)}, ${fmt(v.high)}]` : JSON.stringify(v.values || v)}`).join("; "))))));
}

async function refreshOverview() {
  const d = await api("/api/overview", [["study", S.study]]);
  S.overviewVersion = d.version;
  if (d.summary && d.summary.metric) S.metric = d.summary.metric;
  // The terminator's last reading (search.terminator or a TerminatorCallback), in words.
  $("#terminator-line").textContent = (d.summary && d.summary.terminator && d.summary.terminator.text) || "";
  S.overviewAt = Date.now();
  drawOverview(d);
}

function studyPage() {
  S.study = new URLSearchParams(window.location.search).get("study") || "";
  $("#study-name").textContent = S.study;
  document.title = `nntune: ${S.study}`;
  $("#state-boxes").replaceChildren(...STATES.map((s) => el("label", {}, el("input", { type: "checkbox", value: s, name: "state" }), ` ${s} `)));
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); S.page = 0; refreshTable(); });
  $("#filters").addEventListener("change", () => { S.page = 0; refreshTable(); });
  $("#clear-filters").addEventListener("click", () => { $("#filters").reset(); S.page = 0; refreshTable(); });
  $("#prev").addEventListener("click", () => { S.page = Math.max(0, S.page - 1); refreshTable(); });
  $("#next").addEventListener("click", () => { S.page += 1; refreshTable(); });
  $("#follow").addEventListener("change", (e) => { S.follow = e.target.checked; });
  let overviewBusy = false;
  every(POLL_MS, async () => {
    const first = S.version < 0;
    let p;
    try { p = await api("/api/poll", [["study", S.study], ["since", S.version]]); } catch (err) {
      // A mistyped name, or a study deleted meanwhile: said where the study's line would be
      // (asked again each second: a study about to be created shows as soon as it is).
      if (err.status === 404) {
        $("#status").textContent = "not found";
        $("#status").className = "badge empty";
        $("#study-line").textContent = `${err.message} in this storage; the studies page lists those it holds.`;
        $("#best-line").textContent = "";
      }
      throw err;
    }
    S.direction = p.direction;
    S.metric = p.metric || S.metric;
    S.control = Boolean(p.control);
    S.objectives = p.objectives || null;
    const status = $("#status");
    status.textContent = p.status === "running" ? "running" : p.status === "finished" ? "finished" : "no trials yet";
    status.className = `badge ${p.status}`;
    // Several objectives: every one with its direction, and the Pareto front in place of one best trial.
    const goal = p.objectives ? p.objectives.map((o) => `${o.direction} ${o.name}`).join(", ") : `${p.direction} ${S.metric}`;
    $("#study-line").replaceChildren(`${goal} · ${p.n_trials} trials · storage ${p.storage} · `, stateBadges(p.counts));
    $("#best-line").textContent = p.objectives
      ? (p.front && p.front.length ? `Pareto front: trials ${p.front.map((n) => `#${n}`).join(", ")}` : "no complete trial yet")
      : p.best ? `best: trial #${p.best.number}, value ${fmt(p.best.value)}` : "no complete trial yet";
    // A dashboard restarted meanwhile counts versions anew: everything is read again.
    const restarted = !first && p.server !== S.server;
    S.server = p.server;
    if (restarted) S.overviewVersion = -1;
    const changed = first || restarted || p.version !== S.version;
    const numbers = new Set(restarted && S.selected !== null ? [S.selected] : p.changed.map((r) => r.number));
    S.version = p.version;
    if (!changed) return;
    // The first table is drawn before plotly.js is evaluated: that takes the browser's only
    // thread for a second, and the rows should not wait behind it.
    if (first) await refreshTable();
    const redraw = [first ? Promise.resolve() : refreshTable(), refreshHistory()];
    if (S.follow) {
      const pick = p.running.length ? Math.max(...p.running) : S.selected === null && p.best ? p.best.number : S.selected;
      if (pick !== S.selected) redraw.push(select(pick)); else if (numbers.has(S.selected)) redraw.push(refreshTrial());
    } else if (S.selected !== null && numbers.has(S.selected)) redraw.push(refreshTrial());
    await Promise.all(redraw);
    if (!overviewBusy && S.overviewVersion !== S.version && (first || Date.now() - S.overviewAt > 1500)) {
      overviewBusy = true;
      refreshOverview().catch((err) => setLive(`error: ${err.message}`)).finally(() => { overviewBusy = false; });
    }
  });
  setInterval(() => {  // catch up a version the throttle skipped
    if (!overviewBusy && S.version >= 0 && S.overviewVersion !== S.version && Date.now() - S.overviewAt > 1500) {
      overviewBusy = true;
      refreshOverview().catch((err) => setLive(`error: ${err.message}`)).finally(() => { overviewBusy = false; });
    }
  }, 1000);
}

// ---------------------------------------------------------------- compare
function comparePage() {
  const wanted = new Set(new URLSearchParams(window.location.search).getAll("study"));
  $("#pick").addEventListener("change", () => { for (const c of document.querySelectorAll("#pick input")) { if (c.checked) wanted.add(c.value); else wanted.delete(c.value); } });
  let listed = null;
  every(2000, async () => {
    // The storage's studies as they are now: one started since the page opened can be picked,
    // one deleted meanwhile leaves the plot (and is no longer asked for).
    const names = (await api("/api/studies")).studies.map((s) => s.name);
    for (const n of [...wanted]) if (!names.includes(n)) wanted.delete(n);
    if (listed !== JSON.stringify(names)) {
      listed = JSON.stringify(names);
      $("#pick").replaceChildren(...names.map((n) => el("label", {}, el("input", Object.assign({ type: "checkbox", value: n }, wanted.has(n) ? { checked: "" } : {})), ` ${n}`)));
    }
    if (!wanted.size) { emptyNote("compare-plot", "Pick one or more studies."); return; }
    const d = await api("/api/compare", [...wanted].map((n) => ["study", n]));
    const traces = [];
    d.studies.forEach((s, i) => {
      const color = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"][i % 8];
      traces.push({ x: s.history.number, y: s.history.value, mode: "markers", name: `${s.name}${s.objective ? `: ${s.objective}` : ""} (${s.direction})`, marker: { color, size: 5, opacity: 0.5 } });
      traces.push({ x: s.history.best_number, y: s.history.best_value, mode: "lines", name: `${s.name}: best so far`, line: { shape: "hv", color, width: 2 } });
    });
    draw("compare-plot", traces, { height: 480, xaxis: trialAxis(Math.max(0, ...d.studies.map((st) => st.history.n_trials))), yaxis: { title: { text: "value" } } });
  });
}

({ studies: studiesPage, study: studyPage, compare: comparePage })[document.body.dataset.page]();
