// nntune dashboard: the studies page (the list, compare the ones ticked, delete with control allowed).
"use strict";

// The list as optuna-dashboard offers it: filtered by a part of the name as it is typed, and
// sorted by a click on a column (again: the other way); a study without the value sorted on
// (no best value yet, no activity) comes last either way. The ticks for compare are kept by
// name, so a study filtered out of sight stays ticked.
const LIST = { studies: [], control: false, tokenRequired: false, sort: null, order: "asc", ticked: new Set() };

function studiesPage() {
  every(2000, async () => {
    const data = await api("/api/studies");
    $("#storage").textContent = `storage ${data.storage}`;
    Object.assign(LIST, { studies: data.studies, control: data.control, tokenRequired: data.token_required });
    for (const n of [...LIST.ticked]) if (!data.studies.some((s) => s.name === n)) LIST.ticked.delete(n);
    renderStudies();
  });
  $("#study-search").addEventListener("input", renderStudies);
  for (const th of document.querySelectorAll("#studies th[data-sort]")) {
    th.addEventListener("click", () => {
      LIST.order = LIST.sort === th.dataset.sort && LIST.order === "asc" ? "desc" : "asc";
      LIST.sort = th.dataset.sort;
      renderStudies();
    });
  }
  $("#studies tbody").addEventListener("change", (e) => {
    if (e.target.checked) LIST.ticked.add(e.target.value); else LIST.ticked.delete(e.target.value);
  });
  $("#compare-selected").addEventListener("click", () => {
    const url = new URL("/compare", window.location.origin);
    for (const s of LIST.studies) if (LIST.ticked.has(s.name)) url.searchParams.append("study", s.name);
    window.location.href = url.toString();
  });
}

// A study's value in the column sorted on, or null when it has none (an infinite best value
// travels as text: it sorts as the number it is).
function sortValue(s, key) {
  if (key === "best_value") {
    if (s.objectives) return null;  // a front, not one value
    const v = s.best_value;
    return v === "inf" ? Infinity : v === "-inf" ? -Infinity : v;
  }
  return s[key] === undefined ? null : s[key];
}

function renderStudies() {
  const needle = $("#study-search").value.trim().toLowerCase();
  let shown = LIST.studies.filter((s) => s.name.toLowerCase().includes(needle));
  if (LIST.sort) {
    const sign = LIST.order === "asc" ? 1 : -1, key = LIST.sort;
    shown = shown.map((s, i) => [s, sortValue(s, key), i]).sort(([, a, i], [, b, j]) => {
      if (a === null || b === null) return a === null && b === null ? i - j : a === null ? 1 : -1;
      return (a < b ? -sign : a > b ? sign : 0) || i - j;
    }).map(([s]) => s);
  }
  for (const th of document.querySelectorAll("#studies th[data-sort]")) {
    th.classList.toggle("sorted-asc", LIST.sort === th.dataset.sort && LIST.order === "asc");
    th.classList.toggle("sorted-desc", LIST.sort === th.dataset.sort && LIST.order === "desc");
  }
  const rows = shown.map((s) => el("tr", { "data-study": s.name },
    el("td", {}, el("input", Object.assign({ type: "checkbox", value: s.name }, LIST.ticked.has(s.name) ? { checked: "" } : {}))),
    el("td", {}, el("a", { href: `/study?study=${encodeURIComponent(s.name)}` }, s.name)),
    el("td", {}, objectivesText(s) || s.direction), el("td", {}, stateBadges(s.counts)), el("td", { class: "num" }, s.n_trials),
    el("td", { class: "num" }, s.objectives ? `front of ${s.objectives.front}` : fmt(s.best_value)), el("td", {}, s.last_activity ? s.last_activity.replace("T", " ") : "–"),
    el("td", {}, LIST.control ? el("button", { type: "button", class: "danger", onclick: () => deleteStudy(s, LIST.tokenRequired) }, "delete") : "")));
  $("#studies tbody").replaceChildren(...rows);
  $("#empty").textContent = LIST.studies.length ? `No study's name holds "${$("#study-search").value.trim()}".` : "No studies in this storage yet.";
  $("#empty").hidden = shown.length > 0;
}

// A study of several objectives has no one direction or best value: each objective with its
// direction, and its Pareto front's size in the best column (as nntune studies prints them).
function objectivesText(s) {
  const o = s.objectives;
  return o ? `${o.names.length} objectives: ${o.names.map((n, i) => `${o.directions[i]} ${n}`).join(", ")}` : "";
}

// Only offered when the dashboard was started with --allow-control.
async function deleteStudy(study, tokenRequired) {
  if (!window.confirm(`Delete study ${study.name} and its ${counted(study.n_trials, "trial")}? This cannot be undone.`)) return;
  const headers = {};
  if (tokenRequired) {
    const token = window.prompt("Control token (printed when the dashboard started):");
    if (!token) return;
    headers["X-NNTune-Token"] = token;
  }
  const res = await fetch(`/api/delete?study=${encodeURIComponent(study.name)}`, { method: "POST", headers });
  const body = await res.json();
  setLive(res.ok ? `deleted ${body.deleted}` : `error: ${body.error}`);
  // Kept under the table (the live line is rewritten at the next poll): where the study's
  // checkpoints stay on disk, as nntune delete-study says.
  const note = $("#delete-note");
  note.textContent = res.ok ? body.note : `error: ${body.error}`;
  note.className = res.ok ? "note" : "error";
  note.hidden = false;
}

studiesPage();
