// nntune dashboard: the compare page (several studies' histories on one plot).
"use strict";

// /api/compare takes this many studies at once (a 400 beyond): the page keeps to it, saying
// so, rather than drawing nothing for the nine studies ticked on the studies page.
const MAX_COMPARE = 8;

function comparePage() {
  const asked = [...new Set(new URLSearchParams(window.location.search).getAll("study"))];
  const wanted = new Set(asked.slice(0, MAX_COMPARE));
  const note = (text) => { $("#pick-note").textContent = text; $("#pick-note").hidden = !text; };
  if (asked.length > MAX_COMPARE) note(`At most ${MAX_COMPARE} studies are compared at once: the first ${MAX_COMPARE} of the ${asked.length} asked for are drawn.`);
  $("#pick").addEventListener("change", (e) => {
    const c = e.target;
    if (c.checked && !wanted.has(c.value) && wanted.size >= MAX_COMPARE) {
      c.checked = false;
      note(`At most ${MAX_COMPARE} studies are compared at once: untick one to add ${c.value}.`);
      return;
    }
    if (c.checked) wanted.add(c.value); else wanted.delete(c.value);
    note("");
  });
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
    const blankNote = (text) => { $("#compare-note").textContent = text; $("#compare-note").hidden = !text; };
    if (!wanted.size) { blankNote(""); emptyNote("compare-plot", "Pick one or more studies."); return; }
    const d = await api("/api/compare", [...wanted].map((n) => ["study", n]));
    // A study without a complete finite value has no point and no line: plotly leaves it out
    // of the legend too, so a ticked study would vanish without a word. Named here instead.
    const blank = d.studies.filter((s) => !s.history.number.length).map((s) => s.name);
    const why = blank.length ? `${blank.join(", ")}: no complete trial with a finite value yet, so nothing is drawn.` : "";
    if (blank.length === d.studies.length) { blankNote(""); emptyNote("compare-plot", why); return; }
    blankNote(why);
    const traces = [];
    d.studies.forEach((s, i) => {
      const color = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"][i % 8];
      // A trial that broke its study's constraints only in a grey trace, as plot_optimization_history
      // draws several studies and the study page draws one.
      const h = s.history, met = h.feasible || h.number.map(() => true), keep = (xs) => xs.filter((_, k) => met[k]);
      traces.push({ x: keep(h.number), y: keep(h.value), mode: "markers", name: `${s.name}${s.objective ? `: ${s.objective}` : ""} (${s.direction})`, marker: { color, size: 5, opacity: 0.5 } });
      traces.push({ x: h.best_number, y: h.best_value, mode: "lines", name: `Best Value of ${s.name}`, line: { shape: "hv", color, width: 2 } });
      if (h.infeasible_number && h.infeasible_number.length) traces.push({ x: h.infeasible_number, y: h.infeasible_value, mode: "markers",
        name: `Infeasible Trial of ${s.name}`, marker: { color: INFEASIBLE_COLOR, size: 5 } });
    });
    draw("compare-plot", traces, { height: 480, xaxis: trialAxis(Math.max(0, ...d.studies.map((st) => st.history.n_trials))), yaxis: { title: { text: "value" } } });
  });
}

comparePage();
