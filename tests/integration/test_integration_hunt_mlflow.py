"""``track_in_mlflow`` starts the objective's run where the callback's ``mlflow_kwargs``
say the trial's run goes: in their ``experiment_id``, with their tags."""

from __future__ import annotations


import nntune
from nntune.integration._mlflow import MLflowCallback
from tests.integration.lazy_module import lazy, needed
from tests.integration.test_mlflow import empty_store, tracking_uri  # noqa: F401 - fixtures

mlflow = lazy("mlflow")
_needs = needed("mlflow")


def test_a_tracked_objective_runs_in_the_experiment_mlflow_kwargs_name(tracking_uri):  # noqa: F811
    client = mlflow.MlflowClient(tracking_uri)
    experiment_id = client.create_experiment("team")
    callback = MLflowCallback(tracking_uri, "loss", create_experiment=False,
                              mlflow_kwargs={"experiment_id": experiment_id, "tags": {"team": "vision"}})

    @callback.track_in_mlflow()
    def tracked(trial: nntune.Trial) -> float:
        mlflow.log_metric("inside", 1.0)
        return trial.suggest_float("x", 0.0, 1.0)

    study = nntune.create_study(study_name="not-an-experiment")
    study.optimize(tracked, n_trials=2, callbacks=[callback])
    runs = client.search_runs([experiment_id])
    assert sorted(int(run.data.tags["number"]) for run in runs) == [0, 1]
    for run in runs:
        assert set(run.data.metrics) == {"inside", "loss"} and run.data.tags["team"] == "vision"
    default = client.get_experiment_by_name("Default")
    assert default is None or client.search_runs([default.experiment_id]) == []
