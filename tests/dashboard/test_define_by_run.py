"""A study of an objective of the user's own in a real browser: what the page says where
nntune's trainer would have recorded more (a learning rate, one best trial)."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from _objectives import front_study, validation_loss_study
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

pytestmark = pytest.mark.slow


def open_page(context: Any, url: str, study: str) -> tuple[Any, list[str]]:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/study?study={study}")
    page.wait_for_function("() => /^#\\d/.test(document.getElementById('trial-title').textContent || '')",
                           timeout=15000)
    return page, errors


def test_a_record_without_a_learning_rate_says_so_instead_of_empty_axes(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'own.db'}"
    study = nntune.create_study(study_name="own", storage=url, direction="maximize")

    def objective(trial: nntune.Trial) -> float:
        trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        for epoch in range(1, 4):
            acc = 0.5 + 0.1 * epoch
            trial.report(acc, epoch, metrics={"train_loss": 1 - acc, "val_loss": 1.1 - acc,
                                              "train_accuracy": acc, "val_accuracy": acc})
        return acc

    study.optimize(objective, n_trials=1)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page, errors = open_page(browser_context, server.url, "own")
        page.wait_for_function("() => document.querySelector('#curve-loss .main-svg') !== null", timeout=15000)
        page.wait_for_function("() => (document.getElementById('curve-lr').textContent || '')"
                               ".includes('No learning rate recorded')", timeout=10000)
        assert page.query_selector("#curve-lr .main-svg") is None
        assert errors == []


def test_a_study_of_several_objectives_heads_the_page_with_them_and_its_front(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'front.db'}"
    front_study(url, "front")
    with RunningServer(create_app(SQLStorage(url))) as server:
        page, errors = open_page(browser_context, server.url, "front")
        page.wait_for_function("() => (document.getElementById('best-line').textContent || '').includes('Pareto')",
                               timeout=10000)
        assert page.inner_text("#best-line") == "Pareto front: trials #0, #1"
        assert page.inner_text("#study-line").startswith("maximize accuracy, minimize parameters · 3 trials")
        assert errors == []


def test_a_study_of_the_validation_loss_draws_its_logged_accuracy_in_the_metric_panel(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'loss.db'}"
    validation_loss_study(url, lr=0.01)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page, errors = open_page(browser_context, server.url, "loss")
        page.wait_for_function("() => { const n = document.getElementById('curve-metric');"
                               " return !!(n && n.data && n.data.length); }", timeout=15000)
        title = page.evaluate("() => document.getElementById('curve-metric').layout.title.text")
        names = page.evaluate("() => document.getElementById('curve-metric').data.map(d => d.name)")
        # the value is the loss (named once the overview, which reads the records, has come)
        page.wait_for_function("() => (document.getElementById('study-line').textContent || '')"
                               ".startsWith('minimize loss · 1 trial · ')", timeout=10000)  # not '1 trials'
        assert title == "accuracy" and names == ["training accuracy", "validation accuracy"]
        assert page.evaluate("() => document.getElementById('curve-metric').data[1].y") == pytest.approx(
            [0.6, 0.8, 1 - 0.4 / 3])
        assert errors == []


def test_a_study_of_several_objectives_shows_every_objective_in_the_lists_and_the_history(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'objectives.db'}"
    front_study(url, "objectives", points=((0.5, 100.0), (0.9, 900.0), (0.4, 50.0)))
    with RunningServer(create_app(SQLStorage(url))) as server:
        page, errors = open_page(browser_context, server.url, "objectives")
        page.wait_for_selector("#trial-table tbody tr[data-number='1']")
        head = page.eval_on_selector_all("#trial-table thead th", "cells => cells.map(c => c.textContent)")
        assert head[:4] == ["#", "State", "accuracy", "parameters"]
        assert page.inner_text("#trial-table tbody tr[data-number='1']").split("\t")[2:4] == ["0.9000", "900"]
        page.click("#trial-table tbody tr[data-number='1']")
        page.wait_for_function("() => document.getElementById('trial-title').textContent.startsWith('#1 ')")
        assert "accuracy 0.9000, parameters 900" in page.inner_text("#trial-title")
        # The history of the objective picked, its best so far in that objective's direction.
        page.wait_for_function("() => (document.getElementById('history-plot').data || []).length === 3")
        assert page.evaluate("document.getElementById('history-plot').data[2].y") == [0.5, 0.9, 0.9]
        page.select_option("#history-objective", "1")
        page.wait_for_function("() => document.getElementById('history-plot').layout.yaxis.title.text === 'parameters'")
        assert page.evaluate("document.getElementById('history-plot').data[2].y") == [100, 50, 50]
        page.goto(f"{server.url}/")
        page.wait_for_selector("tr[data-study=objectives]")
        cells = page.inner_text("tr[data-study=objectives]").split("\t")
        assert cells[2] == "2 objectives: maximize accuracy, minimize parameters" and cells[5] == "front of 3"
        assert errors == []


def test_trials_that_report_one_value_each_show_as_dots_in_the_intermediate_values(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'once.db'}"
    study = nntune.create_study(study_name="once", storage=url)

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 1)
        return x

    study.optimize(objective, n_trials=3)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page, errors = open_page(browser_context, server.url, "once")
        page.wait_for_function("() => S.overviewVersion === S.version && S.version >= 0", timeout=15000)
        page.locator("#intermediate-plot").scroll_into_view_if_needed()
        page.wait_for_function("() => (document.getElementById('intermediate-plot').data || []).length > 0",
                               timeout=10000)
        dots = page.evaluate("document.getElementById('intermediate-plot').data"
                             ".filter(t => t.mode === 'markers' && t.x.length === 3).map(t => t.y)")
        assert [sorted(y) for y in dots] == [sorted(t.value for t in study.trials)]
        assert errors == []


def test_the_selected_trial_lists_its_parameters_user_attributes_and_error(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'attrs.db'}"
    study = nntune.create_study(study_name="attrs", storage=url)

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.suggest_categorical("kind", ["a", None])
        trial.set_user_attr("note", "baseline")
        trial.set_user_attr("shape", [3, 4])
        trial.report(x, 1)
        if trial.number == 1:
            raise RuntimeError("out of memory")
        return x

    study.enqueue_trial({"x": 0.25, "kind": None})
    study.optimize(objective, n_trials=2, catch=(RuntimeError,))
    with RunningServer(create_app(SQLStorage(url))) as server:
        page, errors = open_page(browser_context, server.url, "attrs")
        page.click("#trial-table tbody tr[data-number='0']")
        page.wait_for_function("() => document.getElementById('trial-title').textContent.startsWith('#0 ')")
        assert page.inner_text("#trial-info p") == "Parameters: x=0.2500, kind=None"
        page.click("#trial-info summary")
        cells = page.eval_on_selector_all("#trial-info td", "cells => cells.map(c => c.textContent)")
        assert cells == ["note", "baseline", "shape", "[3, 4]"]  # as the report and optuna-dashboard write it
        page.click("#trial-table tbody tr[data-number='1']")
        page.wait_for_function("() => document.getElementById('trial-title').textContent.startsWith('#1 ')")
        assert page.inner_text("#trial-info p.error").startswith("error: RuntimeError: out of memory")
        assert page.locator("#trial-info details").get_attribute("open") is not None  # still unfolded
        assert errors == []


def test_a_slice_of_a_choice_orders_its_axis_as_the_choices_are_ordered(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'choice.db'}"
    study = nntune.create_study(study_name="choice", storage=url)
    for size in (32, 256, 64, 128):
        study.enqueue_trial({"batch_size": size})
    study.optimize(lambda t: t.suggest_categorical("batch_size", [32, 64, 128, 256]) / 100, n_trials=4)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page, errors = open_page(browser_context, server.url, "choice")
        page.locator("#slices").scroll_into_view_if_needed()
        page.wait_for_selector("#slice-batch_size .xtick text", timeout=15000)
        ticks = page.eval_on_selector_all("#slice-batch_size .xtick text", "ts => ts.map(t => t.textContent)")
        assert ticks == ["32", "64", "128", "256"]
        assert errors == []


def test_a_study_of_several_objectives_draws_its_pareto_front(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'pareto.db'}"
    front_study(url, "pareto")
    with RunningServer(create_app(SQLStorage(url))) as server:
        page, errors = open_page(browser_context, server.url, "pareto")
        page.wait_for_selector("#pareto-section:not([hidden])", timeout=15000)
        page.locator("#pareto-plot").scroll_into_view_if_needed()
        page.wait_for_function("() => (document.getElementById('pareto-plot').data || []).length === 2", timeout=10000)
        traces = page.evaluate("document.getElementById('pareto-plot').data.map(t => [t.name, t.text, t.x, t.y])")
        assert traces == [["Trial", ["#2"], [0.4], [800]], ["Best Trial", ["#0", "#1"], [0.9, 0.5], [900, 100]]]
        assert page.inner_text("#pareto-note").startswith("2 trials no other feasible trial beats on every objective")
        assert errors == []
    with RunningServer(create_app(SQLStorage(f"sqlite:///{tmp_path / 'one.db'}"))) as server:
        nntune.create_study(study_name="one", storage=f"sqlite:///{tmp_path / 'one.db'}").optimize(
            lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        page, errors = open_page(browser_context, server.url, "one")
        page.wait_for_function("() => S.version >= 0 && S.overviewVersion === S.version", timeout=15000)
        assert page.locator("#pareto-section").is_hidden() and page.locator("#pareto-link").is_hidden()


def test_a_study_whose_metric_is_the_loss_draws_one_pair_of_curves(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'loss.db'}"
    nntune.tune({"study": "own-loss", "storage": url, "task": {"data": "iris", "metric": "loss", "direction": "minimize"},
                 "search": {"trials": 1}, "space": {}, "fixed": {"epochs": 3}}, report=False, model_file=False)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page, errors = open_page(browser_context, server.url, "own-loss")
        page.wait_for_function("() => document.querySelector('#curve-loss .main-svg') !== null", timeout=15000)
        page.wait_for_function("() => (document.getElementById('curve-metric').textContent || '')"
                               ".includes('metric is the validation loss')", timeout=10000)
        names = page.evaluate("() => document.getElementById('curve-loss').data.map(d => d.name)")
        assert names[:2] == ["training loss", "validation loss"]
        assert page.query_selector("#curve-metric .main-svg") is None
        assert errors == []
