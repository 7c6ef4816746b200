"""A study of one objective with constraints: its leaderboards, best first, never open with
trials that break a constraint (they cannot be the best), in the report as in ``nntune show``."""

from __future__ import annotations

import re

import nntune
from nntune.report import render_html
from nntune.report.data import build_report_data
from nntune.report.figures import history_figure
from nntune.show import ranked_rows, show_data


def bounded_study(url: str) -> None:
    """Trial 0 meets its constraint; trials 1 and 2 beat it but break theirs."""
    study = nntune.create_study(study_name="bounded", storage=url, direction="maximize")
    for value, size in ((0.5, -1.0), (0.9, 1.0), (0.8, 2.0)):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.set_constraint("size", size)
        study.tell(trial, value)


def test_trials_that_break_a_constraint_rank_after_every_feasible_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'bounded.db'}"
    bounded_study(url)
    data = build_report_data(url, "bounded")
    assert [r["number"] for r in data["trials"]["rows"]] == [0, 1, 2]
    assert [t["number"] for t in data["diagnosis"]] == [0, 1, 2]
    assert data["summary"]["best"]["number"] == 0
    table = render_html(data).split('<section id="trials">', 1)[1]
    assert re.findall(r"<tr><td class=\"num\">(\d+)</td>", table)[:3] == ["0", "1", "2"]
    assert [r["number"] for r in ranked_rows(show_data(url, "bounded"))] == [0, 1, 2]


def test_a_study_whose_complete_trials_all_break_a_constraint_says_so_not_that_none_completed(tmp_path):
    url = f"sqlite:///{tmp_path / 'infeasible.db'}"
    study = nntune.create_study(study_name="infeasible", storage=url, direction="maximize")
    for value in (0.5, 0.7):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.set_constraint("size", 1.0)
        study.tell(trial, value)
    page = render_html(build_report_data(url, "infeasible"))
    summary = page.split('<section id="summary">', 1)[1].split("</section>", 1)[0]
    assert "no trial has completed yet" not in summary
    assert "no best trial: all 2 complete trials broke the study&#x27;s constraints" in summary
    region = page.split('<section id="best-region">', 1)[1].split("</section>", 1)[0]
    assert "No complete trial meets the study&#x27;s constraints yet." in region


def test_the_history_marks_the_trials_its_best_line_passes_by(tmp_path):
    url = f"sqlite:///{tmp_path / 'bounded.db'}"
    bounded_study(url)
    data = build_report_data(url, "bounded")
    history = data["history"]
    assert history["infeasible_number"] == [1, 2] and history["best_value"] == [0.5, 0.5]
    page = render_html(data)
    note = page.split('<section id="history">', 1)[1].split("</section>", 1)[0]
    assert "the 2 grey dots are trials that broke them" in note and "Infeasible Trial" in note  # named as Optuna names them
    # Drawn only in that grey trace, as Optuna's history draws them, not among the values too.
    traces = {tr.name: list(tr.x) for tr in history_figure(history, "value").data}
    assert traces["Infeasible Trial"] == [1, 2] and not {1, 2} & set(traces["value"])
