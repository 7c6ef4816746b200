"""What the report and ``nntune show`` say where there is little to show: no trial, trials
without curves, a PBT study before its first exploit, an objective called ``params``."""

from __future__ import annotations

import math

from rich.console import Console

import nntune
from nntune.report import render_html
from nntune.report.data import build_report_data
from nntune.show import render_show, show_data
from nntune.storage import get_storage
from nntune.trial import TrialState


def section(page: str, sid: str) -> str:
    start = page.index(f'<section id="{sid}">')
    return page[start:page.index("</section>", start)]


def shown(url: str, study: str) -> str:
    console = Console(record=True, width=200)
    render_show(show_data(url, study), console)
    return console.export_text()


def test_trials_that_reported_no_curve_are_not_said_to_have_healthy_curves(tmp_path):
    url = f"sqlite:///{tmp_path / 'final.db'}"
    study = nntune.create_study(study_name="final", storage=url)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1) - 0.3) ** 2, n_trials=1)
    page = render_html(build_report_data(url, "final"))
    assert "curves look healthy" not in section(page, "diagnosis")
    assert "reported no curve" in section(page, "diagnosis")
    curves = section(page, "learning-curves")
    assert "only intermediate values" not in curves and "reported nothing per epoch" in curves
    text = shown(url, "final")
    assert "curves look healthy" not in text and "that trial: it reported no curve" in text


def test_trials_with_intermediate_values_but_no_records_still_read_as_before(tmp_path):
    url = f"sqlite:///{tmp_path / 'steps.db'}"
    study = nntune.create_study(study_name="steps", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(4):  # falls, then flat: converged
            trial.report(x / min(step + 1, 2), step)
        return x / 2

    study.optimize(objective, n_trials=1)
    page = render_html(build_report_data(url, "steps"))
    assert "No finding: the curves look healthy." in section(page, "diagnosis")
    assert "only intermediate values" in section(page, "learning-curves")
    assert "that trial: its curve looks healthy" in shown(url, "steps")


def test_curves_too_short_for_a_trend_are_not_said_to_look_healthy(tmp_path):
    """A trial of 1-3 epochs (pruned at the first rung, or short by design) gives the trend
    rules nothing to read: no finding is no verdict, and the report, show and the dashboard's
    trial view say so instead of calling its curves healthy."""
    from nntune.report.browse import trial_detail

    url = f"sqlite:///{tmp_path / 'short.db'}"
    study = nntune.create_study(study_name="short", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(1 if trial.number == 0 else 6):  # falls, then flat: converged
            trial.report(x / min(step + 1, 2), step)
        return x / 2

    study.optimize(objective, n_trials=1)
    page = render_html(build_report_data(url, "short"))
    assert "No finding: too short to read: 1 epoch, where a trend takes 4." in section(page, "diagnosis")
    assert "look healthy" not in section(page, "diagnosis")
    assert "its curve is too short to read (fewer than 4 epochs, too few to read a trend)" in shown(url, "short")
    detail = trial_detail(study.trials[0], metric="value", direction="minimize", study_best=None)
    assert detail["no_finding"] == "No finding: too short to read: 1 epoch, where a trend takes 4."
    study.optimize(objective, n_trials=1)  # a second trial of 6 epochs: healthy beside the short one
    text = shown(url, "short")
    assert "their curves look healthy, but trial 0 reported fewer than 4 epochs, too few to read a trend" in text


def test_an_empty_study_says_it_holds_no_trial_instead_of_an_empty_table(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    nntune.create_study(study_name="empty", storage=url)
    page = render_html(build_report_data(url, "empty"))
    trials = section(page, "trials")
    assert "The study holds no trial yet." in trials and "<table>" not in trials
    curves = section(page, "learning-curves")
    assert "No trial has finished with a value yet" in curves and "top trials reported" not in curves


def test_a_pbt_study_before_its_first_exploit_says_why_it_has_no_lineage(tmp_path):
    url = f"sqlite:///{tmp_path / 'pbt.db'}"
    storage = get_storage(url)
    sid = storage.create_study("pbt", "maximize", {"config": {"search": {"scheduler": "pbt"}}})
    for value in (0.5, 0.7):
        number = storage.create_trial(sid, params={}, distributions={})
        storage.report(sid, number, 1, value, None)
        storage.finish_trial(sid, number, TrialState.COMPLETE, value)
    page = render_html(build_report_data(url, "pbt"))
    assert "no PBT exploit" in section(page, "lineage") and "plot-lineage" not in page
    # A study without PBT has no lineage section at all.
    plain = f"sqlite:///{tmp_path / 'plain.db'}"
    nntune.create_study(study_name="plain", storage=plain).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert '<section id="lineage">' not in render_html(build_report_data(plain, "plain"))


def test_an_objective_called_params_is_not_confused_with_the_hyperparameters_column(tmp_path):
    url = f"sqlite:///{tmp_path / 'size.db'}"
    study = nntune.create_study(study_name="size", storage=url, directions=["maximize", "minimize"])
    study.set_metric_names(["accuracy", "params"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), float(math.floor(1000 * t.suggest_float("y", 0, 1)))),
                   n_trials=3)
    page = render_html(build_report_data(url, "size"))
    for sid in ("pareto-front", "trials"):
        head = section(page, sid).split("</thead>", 1)[0]
        assert head.count("<th>params</th>") == 1 and "<th>hyperparameters</th>" in head, sid
