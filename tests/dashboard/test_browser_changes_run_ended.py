"""A trial's page in a real browser (Debian's chromium) where a change came as the run ended:
its curves mark the change an epoch trained with, not the one taken after the last epoch,
which the page names as not applied."""

from __future__ import annotations

import pytest

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.storage import SQLStorage

pytestmark = pytest.mark.slow


def test_a_change_taken_as_the_run_ended_draws_no_mark_and_is_named_not_applied(browser_context, tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    study = nntune.create_study(study_name="p", storage=url, direction="maximize")

    def objective(trial: nntune.Trial) -> float:
        current = {"lr": 0.01, "weight_decay": 0.0}
        for epoch in range(1, 4):
            acc = 0.5 + 0.1 * epoch
            trial.report(acc, epoch, metrics={"train_loss": 1 - acc, "val_loss": 1.1 - acc, "train_accuracy": acc,
                                              "val_accuracy": acc, "lr": current["lr"]})
            # Asked from another terminal while epochs 1 and 3 train: taken after them.
            asked = {1: {"lr": 0.02}, 3: {"weight_decay": 1e-3}}.get(epoch)
            if asked:
                study.set_trial_params(trial.number, asked)
            current.update(trial.take_changes(epoch, current))
        return acc

    study.optimize(objective, n_trials=1)
    with RunningServer(create_app(SQLStorage(url))) as server:
        page = browser_context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}/study?study=p")
        page.wait_for_function("() => (document.getElementById('trial-info').textContent || '')"
                               ".includes('Changes not trained with')", timeout=15000)
        assert "weight_decay=0.001000 (user): not applied, the run ended after epoch 3" in page.inner_text("#trial-info")
        page.wait_for_function("() => document.querySelector('#curve-loss .main-svg') !== null", timeout=15000)
        marks = page.evaluate("() => document.getElementById('curve-loss').layout.shapes.map((s) => s.x0)")
        assert marks == [1.5]  # after epoch 1 (lr), none after the last one
        assert errors == []
