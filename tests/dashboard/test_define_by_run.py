"""A study of an objective of the user's own in a real browser: what the page says where
nntune's trainer would have recorded more (a learning rate, one best trial)."""

from __future__ import annotations

from typing import Any

import pytest

import nntune
from _objectives import validation_loss_study
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
    study = nntune.create_study(study_name="front", storage=url, directions=["maximize", "minimize"])
    study.set_metric_names(["accuracy", "parameters"])
    for a, b in ((0.9, 900.0), (0.5, 100.0), (0.4, 800.0)):
        study.enqueue_trial({"a": a, "b": b})
    study.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1000)), n_trials=3)
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
                               ".startsWith('minimize loss · 1 trials')", timeout=10000)
        assert title == "accuracy" and names == ["training accuracy", "validation accuracy"]
        assert page.evaluate("() => document.getElementById('curve-metric').data[1].y") == pytest.approx(
            [0.6, 0.8, 1 - 0.4 / 3])
        assert errors == []
