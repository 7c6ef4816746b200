"""Complete trials valued inf or -inf, which nntune keeps as Optuna does: the report's best
trial is ``study.best_trial``'s."""

from __future__ import annotations

import nntune
from nntune.report import render_html
from nntune.report.data import build_report_data

URL = "sqlite:///{}"


def valued(path, name: str, direction: str, values: list[float]) -> nntune.Study:
    study = nntune.create_study(study_name=name, storage=URL.format(path), direction=direction)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), values[t.number])[1], n_trials=len(values))
    return study


def test_a_trial_valued_minus_inf_is_the_best_of_a_minimized_study(tmp_path):
    study = valued(tmp_path / "s.db", "inf", "minimize", [1.0, float("-inf"), 0.5, float("inf"), 0.2])
    data = build_report_data(URL.format(tmp_path / "s.db"), "inf")
    assert study.best_trial.number == data["summary"]["best"]["number"] == 1
    assert "best trial 1: validation value -inf" in render_html(data)


def test_a_study_whose_every_trial_is_valued_inf_has_a_best_trial_not_broken_constraints(tmp_path):
    study = valued(tmp_path / "s.db", "all-inf", "maximize", [float("inf")] * 3)
    data = build_report_data(URL.format(tmp_path / "s.db"), "all-inf")
    assert data["summary"]["best"]["number"] == study.best_trial.number == 0
    page = render_html(data)
    assert "best trial 0: validation value inf" in page
    assert "broke the study" not in page


def section(page: str, sid: str) -> str:
    return page.split(f'<section id="{sid}"', 1)[1].split("</section>", 1)[0]


def test_plots_of_a_study_valued_only_inf_say_so_not_that_no_trial_completed(tmp_path):
    valued(tmp_path / "s.db", "all-inf", "maximize", [float("inf")] * 3)
    page = render_html(build_report_data(URL.format(tmp_path / "s.db"), "all-inf"))
    for sid in ("history", "parallel-coordinates", "slices"):
        text = section(page, sid)
        assert "Every complete trial (3) is valued inf or -inf" in text, sid
        assert "No trial has finished" not in text and "No complete trial" not in text, sid
    assert "3 complete trials valued inf or -inf are left out" in section(page, "importance")
    # inf is the best a maximized study can be: its region is a table, not a plot to place it on
    assert "The range of the 3 best complete trials (0, 1, 2)" in section(page, "best-region")


def test_plots_beside_trials_valued_inf_count_the_ones_they_leave_out(tmp_path):
    valued(tmp_path / "s.db", "inf", "minimize", [1.0, float("-inf"), 0.5, float("inf"), 0.2])
    page = render_html(build_report_data(URL.format(tmp_path / "s.db"), "inf"))
    for sid in ("history", "parallel-coordinates", "slices", "importance"):
        assert "2 complete trials valued inf or -inf are left out" in section(page, sid), sid


def test_a_front_of_trials_valued_inf_is_listed_and_the_plot_counts_the_ones_it_leaves_out(tmp_path):
    url = URL.format(tmp_path / "s.db")
    study = nntune.create_study(study_name="two", storage=url, directions=["minimize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), float("-inf") if t.number == 2 else 1.0), n_trials=4)
    text = section(render_html(build_report_data(url, "two")), "pareto-front")
    assert "1 complete trial with an objective valued inf or -inf is left out of the plot" in text
    assert "<td class=\"num\">2</td>" in text  # trial 2, valued -inf, is on the front's table


def test_a_front_whose_every_trial_is_valued_inf_is_a_table_not_a_claim_of_no_complete_trial(tmp_path):
    url = URL.format(tmp_path / "s.db")
    study = nntune.create_study(study_name="two", storage=url, directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), float("inf")), n_trials=2)
    text = section(render_html(build_report_data(url, "two")), "pareto-front")
    assert "No complete trial" not in text
    front = [t.number for t in study.best_trials]
    assert len(front) == 1 and f'<td class="num">{front[0]}</td>' in text  # the front's table: the one best trial
    assert text.count("<tr>") == 1 + 1 and 'id="plot-pareto"' not in text
