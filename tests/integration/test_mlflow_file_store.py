"""The MLflow callback on MLflow's file store (``file:`` URIs, ``mlruns/``), where a metric
is a file: the learning curve's key must not nest under the value's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import nntune
from nntune.integration import MLflowCallback
from tests.integration.lazy_module import lazy, needed

mlflow = lazy("mlflow")
_needs = needed("mlflow")


@pytest.fixture
def file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks for it to open a file store
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)
    yield (tmp_path / "mlruns").as_uri()
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def test_a_trial_with_a_learning_curve_is_logged_to_a_file_store(file_store: str) -> None:
    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(3):
            trial.report(x + step, step)
        return x

    study = nntune.create_study(study_name="files")
    study.optimize(objective, n_trials=2, callbacks=[MLflowCallback(file_store, metric_name="loss")])
    client = mlflow.MlflowClient(file_store)
    runs = client.search_runs([client.get_experiment_by_name("files").experiment_id])
    assert len(runs) == 2 and {r.info.status for r in runs} == {"FINISHED"}
    for run in runs:
        trial = study.trials[int(run.data.tags["number"])]
        assert run.data.metrics["loss"] == pytest.approx(trial.value)
        history = client.get_metric_history(run.info.run_id, "loss_intermediate")
        assert {m.step: m.value for m in history} == pytest.approx(trial.intermediate_values)
