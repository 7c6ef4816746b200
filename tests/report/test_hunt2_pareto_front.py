"""The report's Pareto front before there is one: no complete trial yet (a line, no empty
plot and no empty table), or every complete trial broke the study's constraints (the plot
of them, a sentence saying why the front is empty, no empty table)."""

from __future__ import annotations

import nntune
from nntune.report import render_html
from nntune.report.data import build_report_data


def front_section(url: str, study: str) -> str:
    page = render_html(build_report_data(url, study))
    return page[page.index('<section id="pareto-front">'):page.index('<section id="learning-curves">')]


def test_a_front_without_a_complete_trial_says_so_without_an_empty_plot_or_table(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(storage=url, study_name="mo", directions=["minimize", "maximize"])
    study.ask().suggest_float("x", 0, 1)  # running, no value yet
    section = front_section(url, "mo")
    assert "No complete trial with a value for every objective yet." in section
    assert "plot-pareto" not in section and "<table>" not in section and "0 trials" not in section


def test_a_front_of_only_infeasible_trials_draws_them_and_says_why_it_is_empty(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"

    def objective(trial: nntune.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        return x, 1 - x

    sampler = nntune.samplers.NSGAIISampler(constraints_func=lambda t: [1.0], seed=0)
    study = nntune.create_study(storage=url, study_name="mo", directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=3)
    section = front_section(url, "mo")
    assert "No feasible trial yet, so no trial is on the front" in section
    assert "3 complete trials broke the study's constraints" in section
    assert 'id="plot-pareto"' in section and "<table>" not in section
