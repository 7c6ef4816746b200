// nntune dashboard: one study's page: its state, the trial table and the poll that keeps them
// current (study-trial.js draws the selected trial, study-plots.js the plot sections).
"use strict";

const S = { study: "", version: -1, sort: "number", order: "desc", page: 0, selected: null, follow: true,
  overviewVersion: -1, overviewAt: 0, params: [], metric: "value", direction: "minimize", objectives: null };

function tableQuery() {
  const q = [["study", S.study], ["sort", S.sort], ["order", S.order], ["page", S.page], ["size", $("#page-size").value]];
  const states = [...document.querySelectorAll("#state-boxes input:checked")].map((c) => c.value);
  if (states.length) q.push(["state", states.join(",")]);
  if ($("#value-min").value.trim()) q.push(["value_min", $("#value-min").value.trim()]);
  if ($("#value-max").value.trim()) q.push(["value_max", $("#value-max").value.trim()]);
  // By index: the first option is "(none)", and a parameter may be named "" as its value is.
  const sel = $("#range-param");
  if (sel.selectedIndex > 0) q.push(["range", `${sel.value}:${$("#range-low").value.trim()}:${$("#range-high").value.trim()}`]);
  return q;
}

function header(params, sched) {
  // Several objectives: a column for each, named (the first sorts as the value; the others cannot be sorted).
  const values = S.objectives ? S.objectives.map((o, i) => [i === 0 ? "value" : null, o.name]) : [["value", "Value"]];
  const cols = [["number", "#"], ["state", "State"], ...values, ["epochs", "Epochs"], ["duration", "Seconds"], ["start", "Started (UTC)"]]
    .concat(params.map((p) => [`param:${p}`, paramLabel(p)]));
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
  // A sort, filter or page asked for after this one: its answer is the one to show, even
  // when this one comes back after it (and so is its error, or none).
  const latest = asking("table");
  let data;
  try { data = await api("/api/trials", tableQuery()); } catch (err) {
    if (!latest()) return;
    $("#filter-error").textContent = err.message; $("#filter-error").hidden = false; return;
  }
  if (!latest()) return;
  $("#filter-error").hidden = true;
  // Only the parameters a range can filter (numbers): a choice of strings would match nothing.
  if (data.numeric_params.join() !== S.params.join()) {
    S.params = data.numeric_params;
    const sel = $("#range-param"), keep = sel.selectedIndex > 0 ? sel.value : null;
    sel.replaceChildren(el("option", { value: "" }, "(none)"), ...data.numeric_params.map((p) => el("option", { value: p }, paramLabel(p))));
    sel.selectedIndex = keep === null ? 0 : data.numeric_params.indexOf(keep) + 1;
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
  $("#page-info").textContent = `page ${data.page + 1} of ${data.pages} · ${data.total} matching of ${counted(data.n_trials, "trial")}`;
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

function studyPage() {
  S.study = new URLSearchParams(window.location.search).get("study") || "";
  $("#study-name").textContent = S.study;
  document.title = `nntune: ${S.study}`;
  if (!S.study) {  // /study alone: said in the heading, not a 400 asked again every second
    $("#status").textContent = "no study named";
    $("#status").className = "badge empty";
    $("#study-line").textContent = "Name one in the address (/study?study=NAME); the studies page lists those in this storage.";
    setLive("no study named");
    return;
  }
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
    $("#study-line").replaceChildren(`${goal} · ${counted(p.n_trials, "trial")} · storage ${p.storage} · `, stateBadges(p.counts));
    $("#best-line").textContent = p.objectives
      ? (p.front && p.front.length ? `Pareto front: trials ${p.front.map((n) => `#${n}`).join(", ")}` : "no complete trial yet")
      : p.best ? `best: trial #${p.best.number}, value ${fmt(p.best.value)}` : "no complete trial yet";
    // A dashboard restarted meanwhile counts versions anew, and so does a study deleted and
    // created again under its name (another id): everything is read again, and the trial
    // shown of the old study is no trial of the new one.
    const another = !first && p.study_id !== S.studyId;
    const restarted = !first && (p.server !== S.server || another);
    S.server = p.server;
    S.studyId = p.study_id;
    if (another) {
      S.selected = null;
      contourPair = null;  // picked among the old study's parameters: the new one's default instead
    }
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
      if (pick !== S.selected) redraw.push(select(pick)); else if (another || numbers.has(S.selected)) redraw.push(refreshTrial());
    } else if (another || (S.selected !== null && numbers.has(S.selected))) redraw.push(refreshTrial());
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

studyPage();
