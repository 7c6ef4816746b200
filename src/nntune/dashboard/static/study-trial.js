// nntune dashboard, study page: the selected trial (curves, parameters, findings, controls).
"use strict";

async function refreshTrial() {
  // Asked again since (another trial selected, or this one changed, and its newer read came
  // back first): the later read is the one to show, an older one would undo a trial's end.
  const latest = asking("trial");
  if (S.selected === null) { noTrial(); return; }
  const t = await api("/api/trial", [["study", S.study], ["number", S.selected]]);
  if (!latest() || t.number !== S.selected) return;
  $("#trial-title").textContent = `#${t.number} · ${t.state} · ${valuesText(t)} · ${counted(t.epochs, "epoch")}`;
  showRow(t);
  const c = t.curve, hasRecords = c.epoch.length > 0;
  const line = (y, name, dash) => ({ x: c.epoch, y, name, mode: "lines+markers", line: { dash: dash || "solid" } });
  const drawn = [];
  // A dotted line after each epoch that took a change (nntune trial set, a fork, PBT), named on hover;
  // not after one taken as the run ended: no epoch trained with it (trialInfo says so).
  const taken = (t.changes || []).filter((m) => m.status === "applied");
  const marks = {
    shapes: taken.map((m) => ({ type: "line", xref: "x", yref: "paper", x0: m.epoch + 0.5, x1: m.epoch + 0.5, y0: 0, y1: 1, line: { dash: "dot", width: 1, color: "#888" } })),
    annotations: taken.map((m, i) => ({ xref: "x", yref: "paper", x: m.epoch + 0.5, y: 1 - 0.08 * (i % 4), text: `${m.param} ${fmt(m.old)}→${fmt(m.new)}`, showarrow: false, font: { size: 9 }, hovertext: `after epoch ${m.epoch}, by ${m.who}` })),
  };
  if (hasRecords) {
    // A study of the validation loss: its metric panel shows the metric logged beside the loss,
    // and a predicted curve of the value belongs with the loss.
    // A study whose metric is the loss itself (task.metric: loss) has one pair of curves.
    const m = c.metric || t.metric, ofLoss = m !== t.metric || m === "loss";
    drawn.push(draw("curve-loss", [line(c.train_loss, "training loss"), line(c.val_loss, "validation loss", "dot"), ...(ofLoss ? predicted(t.prediction) : [])], { title: { text: "loss", font: { size: 13 } }, xaxis: { title: { text: "epoch" } }, ...marks }));
    if (m === "loss") emptyNote("curve-metric", "The study's metric is the validation loss, drawn beside the training loss.");
    else drawn.push(draw("curve-metric", [line(c.train_metric, `training ${m}`), line(c.val_metric, `validation ${m}`, "dot"), ...(ofLoss ? [] : predicted(t.prediction))], { title: { text: m, font: { size: 13 } }, xaxis: { title: { text: "epoch" } }, ...marks }));
    // An objective of the user's own may record no learning rate: a note, not empty log axes.
    if (c.lr.some((v) => v !== null)) drawn.push(draw("curve-lr", [line(c.lr, "learning rate")], { title: { text: "learning rate", font: { size: 13 } }, xaxis: { title: { text: "epoch" } }, yaxis: { type: "log" }, ...marks }));
    else emptyNote("curve-lr", "No learning rate recorded.");
  } else {
    // A trial that reported nothing (no trial.report) gets a note, not empty axes, as
    // optuna-dashboard shows no chart for it; a note a later report replaces with its plot.
    const reported = t.intermediate.steps.length > 0 || predicted(t.prediction).length > 0;
    if (reported) drawn.push(draw("curve-loss", [{ x: t.intermediate.steps, y: t.intermediate.values, name: "reported value", mode: "lines+markers" }, ...predicted(t.prediction)], { title: { text: "intermediate values", font: { size: 13 } }, xaxis: { title: { text: "step" } } }));
    else emptyNote("curve-loss", "This trial reported no intermediate values (trial.report).");
    emptyNote("curve-metric", "This trial reports no per-epoch records (loss, metric).");
    emptyNote("curve-lr", "No learning rate recorded.");
  }
  $("#trial-info").replaceChildren(...trialInfo(t));
  const box = $("#trial-findings");
  box.replaceChildren(...(t.findings.length ? t.findings.map(findingNode) : [el("p", { class: "empty" }, t.error ? "No finding." : t.no_finding || "No finding: the curves look healthy.")]));
  renderControls(t);
  await Promise.all(drawn);
}

// No trial selected (none yet, or the study was deleted and created again): the panel as a
// study without trials opens it, not the last trial shown, which the study no longer has.
function noTrial() {
  $("#trial-title").textContent = "(none yet)";
  for (const id of ["curve-loss", "curve-metric", "curve-lr"]) emptyNote(id, null);
  $("#trial-info").replaceChildren();
  $("#trial-findings").replaceChildren();
  const box = $("#trial-control");
  box.hidden = true;
  delete box.dataset.number;
}

// The trial's error, parameters and user attributes (the set_user_attr values), as Optuna's
// dashboard lists them; the attributes fold away, and stay open across the live redraws.
// Each attribute comes as its text (the report's, NaN as "nan"): JSON would carry NaN as null.
function trialInfo(t) {
  const out = [];
  if (t.error) out.push(el("p", { class: "error" }, `error: ${t.error}`));
  const names = Object.keys(t.params || {});
  out.push(el("p", {}, el("b", {}, "Parameters: "), names.length ? names.map((k) => `${paramLabel(k)}=${paramText(t.params, k)}`).join(", ") : "none"));
  const other = (t.changes || []).filter((m) => m.status !== "applied");
  if (other.length) out.push(el("p", { class: "changes-other" }, el("b", {}, "Changes not trained with: "), other.map(changeNote).join("; ")));
  const attrs = Object.entries(t.user_attrs || {});
  if (attrs.length) {
    const details = el("details", { ontoggle: (e) => { S.attrsOpen = e.target.open; } }, el("summary", {}, `User attributes (${attrs.length})`),
      el("table", {}, ...attrs.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", { class: "attr" }, v)))));
    details.open = Boolean(S.attrsOpen);
    out.push(details);
  }
  return out;
}

// A change no epoch trained with, and why: it waits, went to the trial's continuation, or
// the trial ended before taking it or as it took it (as nntune trial changes says).
function changeNote(m) {
  const what = `${m.param}=${fmt(m.new)} (${m.who})`;
  if (m.status === "pending") return `${what}: taken at its next epoch boundary`;
  if (m.status === "carried") return `${what}: carried to trial #${m.carried_to}`;
  if (m.epoch !== null) return `${what}: not applied, the run ended after epoch ${m.epoch}`;
  return `${what}: never taken, the trial ended first`;
}

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

// Change, stop and fork controls: only offered when the dashboard was started with --allow-control.
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

// The request's own fields: typed in the box as a change ("number=5"), one would silently
// redirect the request to another trial or study instead of changing a hyperparameter.
const CONTROL_FIELDS = ["study", "number", "action", "epoch", "token"];

async function controlTrial(number, action, changes, epoch, token) {
  const url = new URL("/api/trial/control", window.location.origin);
  for (const [k, v] of [["study", S.study], ["number", number], ["action", action]]) url.searchParams.set(k, v);
  if (action === "fork") url.searchParams.set("epoch", epoch);
  // A stop takes no changes: what is typed in the box is left for a change or a fork.
  for (const pair of action === "stop" ? [] : changes.split(/\s+/).filter(Boolean)) {
    const i = pair.indexOf("="), name = i > 0 ? pair.slice(0, i) : pair;
    if (CONTROL_FIELDS.includes(name)) {
      $("#control-result").textContent = ` error: ${name}: not a hyperparameter (the trial is the one shown; a fork's epoch has its own box)`;
      return;
    }
    url.searchParams.set(name, i > 0 ? pair.slice(i + 1) : "");
  }
  const res = await fetch(url, { method: "POST", headers: token ? { "X-NNTune-Token": token } : {} });
  const body = await res.json();
  $("#control-result").textContent = res.ok ? ` ${body.note}` : ` error: ${body.error}`;
}

function findingNode(f) {
  return el("div", { class: `finding sev-${f.severity}` }, el("b", {}, f.severity), el("strong", {}, f.kind.replace(/_/g, " ")),
    el("div", {}, f.summary), el("div", {}, `Advice: ${f.advice}`));
}
