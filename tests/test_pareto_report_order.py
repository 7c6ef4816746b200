"""The report of a study of several objectives lists its trials in ``show``'s order: the
feasible fronts first, a trial that breaks a constraint after them."""

from __future__ import annotations

import nntune
from nntune.report import build_report_data
from nntune.show import ranked_rows, show_data


def test_the_report_ranks_trials_as_show_does(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = nntune.create_study(study_name="r", storage=url, directions=["maximize", "minimize"])
    # (accuracy, size, feasible): the most accurate trial breaks its constraint
    for accuracy, size, ok in [(0.99, 900.0, False), (0.9, 500.0, True), (0.5, 100.0, True), (0.4, 400.0, True)]:
        def objective(trial, accuracy=accuracy, size=size, ok=ok):
            trial.suggest_float("x", 0, 1)
            trial.set_constraint("size", -1.0 if ok else 1.0)
            return accuracy, size
        study.optimize(objective, n_trials=1)
    rows = build_report_data(url, "r")["trials"]["rows"]
    shown = [r["number"] for r in ranked_rows(show_data(url, "r"))]
    assert shown == [1, 2, 3, 0]
    assert [r["number"] for r in rows] == shown
