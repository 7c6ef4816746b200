"""The MLflow callback in real studies, read back from a real MLflow tracking store (SQLite):
one run per finished trial in the study's experiment, holding its parameters, value(s), tags
as Optuna's callback sets them, and its learning curve as a metric history by step."""

from __future__ import annotations

import math
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

import nntune
import nntune.integration
from nntune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from nntune.integration._mlflow import MLflowCallback, optuna_text
from nntune.trial import TrialState
from tests.integration.lazy_module import lazy, needed

mlflow = lazy("mlflow")
_needs = needed("mlflow")

if TYPE_CHECKING:
    from mlflow.entities import Run


def max_tag_length() -> int:
    """The longest tag MLflow keeps."""
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

    return MAX_TAG_VAL_LENGTH


METRIC = "loss"
CURVE = f"{METRIC}_intermediate"


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty tracking database, made once: MLflow builds its schema by running every
    migration, seconds each time, while copying the result takes milliseconds. SQLite's
    syncs are off while it is built (each migration's commit would wait for the disk); the
    copies the tests write to are ordinary databases."""
    def unsynced(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA journal_mode=MEMORY")

    path = tmp_path_factory.mktemp("mlflow") / "empty.db"
    event.listen(Engine, "connect", unsynced)
    try:
        mlflow.MlflowClient(f"sqlite:///{path}").search_experiments()
    finally:
        event.remove(Engine, "connect", unsynced)
    return path


@pytest.fixture
def tracking_uri(empty_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite store for the test; MLflow's process-wide settings (tracking URI,
    current experiment, active runs) are put back afterwards."""
    path = tmp_path / "mlflow.db"
    shutil.copy(empty_store, path)
    uri = f"sqlite:///{path}"
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.setenv(name, "")  # recorded, so the teardown restores or removes it
        monkeypatch.delenv(name)
    monkeypatch.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)
    yield uri
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def runs_by_number(uri: str, experiment_name: str) -> dict[int, Run]:
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name(experiment_name)
    assert experiment is not None, f"no experiment {experiment_name!r}"
    runs = client.search_runs([experiment.experiment_id])
    return {int(run.data.tags["number"]): run for run in runs}


def curve(uri: str, run: Run, key: str = CURVE) -> dict[int, float]:
    return {m.step: m.value for m in mlflow.MlflowClient(uri).get_metric_history(run.info.run_id, key)}


def objective(trial: nntune.Trial) -> float:
    """Cheap, with a float, a log float, an int and a categorical parameter, a learning curve
    of four steps the median pruner cuts short for the worse trials, a user attribute too
    long for an MLflow tag in trial 0, and a failure in trial 5."""
    x = trial.suggest_float("x", -2.0, 2.0)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    trial.set_user_attr("note", "n" * (max_tag_length() + 100) if trial.number == 0 else "short")
    if trial.number == 5:
        raise ValueError("this trial fails")
    value = x * x + layers + (0.5 if act == "tanh" else 0.0) - math.log10(lr) / 10
    for step in range(1, 5):
        trial.report(value + 1.0 / step, step)
        if trial.should_prune():
            raise nntune.TrialPruned()
    return value


def test_each_finished_trial_is_a_run_with_its_params_value_tags_and_learning_curve(tracking_uri):
    study = nntune.create_study(study_name="mlflow-study", sampler=nntune.samplers.RandomSampler(seed=3),
                                pruner=nntune.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0))
    study.set_user_attr("dataset", "mnist")
    callback = MLflowCallback(tracking_uri, metric_name=METRIC, tag_study_user_attrs=True)
    study.optimize(objective, n_trials=6, catch=(ValueError,), callbacks=[callback])
    states = [t.state for t in study.trials]
    assert {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED} <= set(states), states

    runs = runs_by_number(tracking_uri, "mlflow-study")
    assert sorted(runs) == [t.number for t in study.trials]  # every finished trial, as Optuna's
    for t in study.trials:
        run = runs[t.number]
        assert run.info.run_name == str(t.number) and run.info.status == "FINISHED"
        assert run.data.params == {name: str(value) for name, value in t.params.items()}
        tags = run.data.tags
        assert tags["state"] == t.state.name and tags["direction"] == "MINIMIZE"
        assert tags["datetime_start"] == str(t.datetime_start)
        assert tags["datetime_complete"] == str(t.datetime_complete)
        assert tags["x_distribution"] == "FloatDistribution(high=2.0, log=False, low=-2.0, step=None)"
        assert tags["lr_distribution"] == "FloatDistribution(high=0.1, log=True, low=0.0001, step=None)"
        assert tags["layers_distribution"] == "IntDistribution(high=4, log=False, low=1, step=1)"
        assert tags["act_distribution"] == "CategoricalDistribution(choices=('relu', 'tanh'))"
        assert tags["dataset"] == "mnist"  # the study's user attributes, on request
        if t.state == TrialState.FAILED:
            assert METRIC not in run.data.metrics and not curve(tracking_uri, run)
            continue
        # a pruned trial's value is its last intermediate value, in Optuna as in nntune
        assert run.data.metrics[METRIC] == pytest.approx(t.value)
        assert curve(tracking_uri, run) == pytest.approx(t.intermediate_values)
    assert len(curve(tracking_uri, runs[0])) == 4

    long_note = runs[0].data.tags["note"]
    assert len(long_note) == max_tag_length() and long_note.endswith("...")
    assert runs[1].data.tags["note"] == "short"


def test_several_objectives_are_logged_under_their_names_or_numbered(tracking_uri):
    def two(trial: nntune.Trial) -> tuple[float, float]:
        a = trial.suggest_float("a", 0.0, 1.0)
        return a, 1.0 - a

    named = nntune.create_study(study_name="named", directions=["minimize", "maximize"])
    named.optimize(two, n_trials=2, callbacks=[MLflowCallback(tracking_uri, metric_name=["error", "accuracy"])])
    for t in named.trials:
        run = runs_by_number(tracking_uri, "named")[t.number]
        assert run.data.metrics == pytest.approx({"error": t.values[0], "accuracy": t.values[1]})
        assert run.data.tags["direction"] == "['MINIMIZE', 'MAXIMIZE']"

    broadcast = nntune.create_study(study_name="broadcast", directions=["minimize", "maximize"])
    broadcast.optimize(two, n_trials=1, callbacks=[MLflowCallback(tracking_uri)])
    (run,) = runs_by_number(tracking_uri, "broadcast").values()
    assert set(run.data.metrics) == {"value_0", "value_1"}

    wrong = nntune.create_study(study_name="wrong", directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match="2 objective values, but 3 names"):
        wrong.optimize(two, n_trials=1, callbacks=[MLflowCallback(tracking_uri, metric_name=["a", "b", "c"])])
    assert mlflow.MlflowClient(tracking_uri).get_experiment_by_name("wrong") is None  # refused before any run


def test_track_in_mlflow_logs_the_objective_into_the_trials_run(tracking_uri):
    callback = MLflowCallback(tracking_uri, metric_name=METRIC)

    @callback.track_in_mlflow()
    def tracked(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        mlflow.log_metric("inside", 10 * x)
        for step in range(3):
            trial.report(x + step, step)
        return x

    study = nntune.create_study(study_name="tracked")
    study.optimize(tracked, n_trials=3, callbacks=[callback])
    runs = runs_by_number(tracking_uri, "tracked")
    assert sorted(runs) == [0, 1, 2]  # one run per trial: the callback completed the objective's
    for t in study.trials:
        run = runs[t.number]
        assert run.info.run_id == t.system_attrs["mlflow_run_id"]
        assert run.info.status == "FINISHED"
        assert run.data.metrics == pytest.approx({"inside": 10 * t.value, METRIC: t.value, CURVE: t.value + 2})
        assert curve(tracking_uri, run) == pytest.approx({0: t.value, 1: t.value + 1, 2: t.value + 2})


def test_tracked_trials_of_parallel_jobs_run_side_by_side_each_in_its_own_run(tracking_uri):
    callback = MLflowCallback(tracking_uri)
    both_running = threading.Barrier(2, timeout=30)

    @callback.track_in_mlflow()
    def tracked(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        both_running.wait()  # Optuna's decorator holds its lock around the objective: this would time out
        mlflow.log_metric("inside", x)
        return x

    study = nntune.create_study(study_name="parallel")
    study.optimize(tracked, n_trials=2, n_jobs=2, callbacks=[callback])
    runs = runs_by_number(tracking_uri, "parallel")
    assert sorted(runs) == [0, 1]
    for t in study.trials:
        assert runs[t.number].info.run_id == t.system_attrs["mlflow_run_id"]
        assert runs[t.number].data.metrics == pytest.approx({"inside": t.value, "value": t.value})


def test_runs_go_to_the_callers_experiment_nested_named_and_tagged_by_mlflow_kwargs(tracking_uri):
    mlflow.set_tracking_uri(tracking_uri)
    experiment_id = mlflow.create_experiment("team")
    kwargs = {"experiment_id": experiment_id, "nested": True, "run_name": "child", "tags": {"team": "vision"}}
    study = nntune.create_study(study_name="not-an-experiment")
    with mlflow.start_run(run_name="parent", experiment_id=experiment_id) as parent:
        study.optimize(lambda t: t.suggest_int("units", 8, 64, log=True), n_trials=2,
                       callbacks=[MLflowCallback(create_experiment=False, mlflow_kwargs=kwargs)])
    children = [r for r in mlflow.MlflowClient(tracking_uri).search_runs([experiment_id])
                if r.info.run_id != parent.info.run_id]
    assert sorted(int(r.data.tags["number"]) for r in children) == [0, 1]
    for run in children:
        assert run.info.run_name == "child" and run.data.tags["team"] == "vision"
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.data.tags["units_distribution"] == "IntDistribution(high=64, log=True, low=8, step=1)"
        assert "value" in run.data.metrics
    assert mlflow.MlflowClient(tracking_uri).get_experiment_by_name("not-an-experiment") is None


def test_distribution_tags_read_as_optunas():
    optuna = pytest.importorskip("optuna")
    pairs = [
        (FloatDistribution(-2, 2), optuna.distributions.FloatDistribution(-2, 2)),
        (FloatDistribution(1e-5, 1, log=True), optuna.distributions.FloatDistribution(1e-5, 1, log=True)),
        (FloatDistribution(0, 1, step=0.25), optuna.distributions.FloatDistribution(0, 1, step=0.25)),
        (IntDistribution(2, 10, step=2), optuna.distributions.IntDistribution(2, 10, step=2)),
        (CategoricalDistribution(["a", 1, None, 0.5]),
         optuna.distributions.CategoricalDistribution(["a", 1, None, 0.5])),
    ]
    for ours, theirs in pairs:
        assert optuna_text(ours) == str(theirs)


def test_a_metric_name_that_is_no_name_is_refused_when_the_callback_is_made():
    with pytest.raises(TypeError, match="string or sequence of strings"):
        MLflowCallback(metric_name=3)  # type: ignore[arg-type]


def test_without_mlflow_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(ImportError, match=r"pip install mlflow") as err:
        MLflowCallback()
    assert "\n" not in str(err.value)


@pytest.mark.skipif(not hasattr(nntune.integration, "MLflowCallback"), reason="not yet in nntune.integration")
def test_the_callback_is_optunas_name():
    import nntune as optuna

    assert optuna.integration.MLflowCallback is MLflowCallback
    assert "MLflowCallback" in optuna.integration.__all__
