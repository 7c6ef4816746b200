"""The intermediate-values plot names each curve's own state: a failed or diverged trial's
curve is drawn with the other trials, but never called complete."""

from __future__ import annotations

import nntune
from nntune.report import figures
from nntune.report.data import build_report_data


def test_a_failed_trials_curve_is_not_called_complete(tmp_path):
    url = f"sqlite:///{tmp_path / 'curves.db'}"
    study = nntune.create_study(study_name="curves", storage=url, direction="maximize")

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(1, 4):
            trial.report(x * step, step)
        if trial.number == 1:
            raise RuntimeError("out of memory")
        return x * 3

    study.optimize(objective, n_trials=2, catch=(RuntimeError,))
    data = build_report_data(url, "curves")
    fig = figures.intermediate_figure(data["intermediate"], "value")
    labels = {str(v) for trace in fig.data if trace.customdata is not None for v in trace.customdata if v is not None}
    assert labels == {"0 (complete)", "1 (failed)"}
    assert all("(complete)" not in (trace.hovertemplate or "") for trace in fig.data)
