// nntune dashboard: what every page uses (the JSON API, formatting, plotly drawn when near
// the screen, polling). Each page loads this first, then its own scripts.
"use strict";

const $ = (sel) => document.querySelector(sel);
const STATES = ["complete", "pruned", "failed", "diverged", "running", "waiting"];
const POLL_MS = 1000;
const PLOT_CONFIG = { displaylogo: false, responsive: true };
const COLORS = { complete: "#1f77b4", pruned: "#ef6c00", failed: "#b00020", diverged: "#6a1b9a", running: "#1565c0", waiting: "#757575" };
// A trial that broke the study's constraints, in every plot: Optuna's grey, as the report draws it.
const INFEASIBLE_COLOR = "#cccccc";

// The latest request of each kind a page made (the table's, the selected trial's, a plot's): an
// answer that comes back after a newer one of its kind was asked is stale (the network returns
// them in any order), and is dropped rather than drawn over what the user asked for last.
const askedTurn = new Map();  // kind -> the number of its latest request
function asking(kind) {
  const turn = (askedTurn.get(kind) || 0) + 1;
  askedTurn.set(kind, turn);
  return () => askedTurn.get(kind) === turn;
}

async function api(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of params || []) url.searchParams.append(k, v);
  const res = await fetch(url, { cache: "no-store" });
  const body = await res.json();
  if (!res.ok) throw Object.assign(new Error(body.error || res.statusText), { status: res.status });
  return body;
}

// A whole number in full while every digit of it is exact (units, epochs, a seed); past 2^53
// (a loss of 1e20, a value of 4e298 is "whole" to JavaScript) in exponent form, as any large value.
function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return Number.isSafeInteger(v) ? String(v) : (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3) && v !== 0 && Number.isFinite(v) ? v.toExponential(3) : v.toPrecision(4);
  return String(v);
}

// "1 trial", "3 trials": a count with its noun agreeing.
function counted(n, noun, plural) { return `${n} ${n === 1 ? noun : (plural || noun + "s")}`; }

// A parameter's name as a header, label or axis title shows it: the name "" (Optuna allows it)
// as a quoted "", where the name itself would leave a blank header no one could find to click.
const paramLabel = (name) => (name === "" ? '""' : name);

// A parameter's cell: a None choice reads "None", a bool "True" or "False", as Python, the
// report, nntune show and the slices' axes spell them (JavaScript would say "true");
// "–" is for a trial without the parameter.
function paramText(params, name) {
  if (!(name in params)) return "–";
  const v = params[name];
  return v === null ? "None" : typeof v === "boolean" ? (v ? "True" : "False") : fmt(v);
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

// A plot's draws and notes are asked as requests of their own kind: a draw still waiting for
// plotly.js when a newer one (another trial selected, a note put up) is asked of its plot
// gives way, rather than drawing its stale figure over the newer one once plotly.js arrives.
const drawing = (id) => asking(`draw ${id}`);

async function draw(id, traces, layout) {
  const node = document.getElementById(id);
  if (!node) return;
  const latest = drawing(id);
  try {
    await plotlyReady();
    if (!latest()) return;
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

// ``text`` null: the plot blank, as before the page read anything (a draw waiting gives way).
async function emptyNote(id, text) {
  drawing(id);
  offscreen.delete(id);
  drawnData.delete(id);
  const node = document.getElementById(id);
  if (!node) return;
  if (window.Plotly) Plotly.purge(node);
  node.replaceChildren(...(text === null ? [] : [el("p", { class: "empty" }, text)]));
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

// Trial numbers are whole: a step of one where plotly would put ticks between them.
function trialAxis(n) {
  return Object.assign({ title: { text: "trial" }, tickformat: "d", zeroline: false }, n <= 12 ? { dtick: 1 } : {});
}
