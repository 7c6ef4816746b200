// nntune dashboard: the studies page (the list, compare the ones ticked, delete with control allowed).
"use strict";

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
