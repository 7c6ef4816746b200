"""The TensorBoard callback in real studies, read back the way TensorBoard reads it: one run
per completed trial holding its hyperparameters, its value at step = trial number and its
learning curve, and one experiment whose domains are the trials' distributions."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import api_pb2, metadata  # noqa: E402

import nntune  # noqa: E402
from nntune.integration import TensorBoardCallback  # noqa: E402
from nntune.trial import TrialState  # noqa: E402

METRIC = "loss"
CURVE = f"{METRIC}/intermediate"


def load(path: Path) -> EventAccumulator:
    events = EventAccumulator(str(path), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    return events


def plugin_content(events: EventAccumulator, tag: str) -> bytes:
    return events.SummaryMetadata(tag).plugin_data.content


def session_hparams(events: EventAccumulator) -> dict[str, Any]:
    start = metadata.parse_session_start_info_plugin_data(plugin_content(events, metadata.SESSION_START_INFO_TAG))
    out = {}
    for name, value in start.hparams.items():
        kind = value.WhichOneof("kind")
        out[name] = {"number_value": value.number_value, "string_value": value.string_value,
                     "bool_value": value.bool_value}[kind]
    return out


def session_status(events: EventAccumulator) -> int:
    end = metadata.parse_session_end_info_plugin_data(plugin_content(events, metadata.SESSION_END_INFO_TAG))
    return end.status


def experiment_domains(root: Path) -> dict[str, Any]:
    """Each hyperparameter's domain as the experiment states it: ``(low, high)`` for an
    interval, the list of values for a discrete set."""
    files = sorted(root.glob("*.nntune-hparams"))
    assert len(files) == 1, f"one experiment file expected, found {[f.name for f in files]}"
    events = load(root)
    experiment = metadata.parse_experiment_plugin_data(plugin_content(events, metadata.EXPERIMENT_TAG))
    assert [m.name.tag for m in experiment.metric_infos] == [METRIC]
    out: dict[str, Any] = {}
    for info in experiment.hparam_infos:
        if info.HasField("domain_interval"):
            out[info.name] = (info.domain_interval.min_value, info.domain_interval.max_value)
        else:
            out[info.name] = [getattr(v, v.WhichOneof("kind")) for v in info.domain_discrete.values]
    return out


def runs(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir()}


def objective(trial: nntune.Trial) -> float:
    """Cheap, with a float, a log float, an int and a categorical parameter, and a learning
    curve of four steps that the median pruner cuts short for the worse trials."""
    x = trial.suggest_float("x", -2.0, 2.0)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    value = x * x + layers + (0.5 if act == "tanh" else 0.0) - math.log10(lr) / 10
    for step in range(1, 5):
        trial.report(value + 1.0 / step, step)
        if trial.should_prune():
            raise nntune.TrialPruned()
    return value


def run_study(root: Path, n_trials: int = 6, **options: Any) -> nntune.Study:
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=3),
                                pruner=nntune.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0))
    study.optimize(objective, n_trials=n_trials, callbacks=[TensorBoardCallback(str(root), METRIC, **options)])
    return study


def test_each_completed_trial_is_a_run_with_its_params_value_and_learning_curve(tmp_path):
    study = run_study(tmp_path)
    completed = [t for t in study.trials if t.state == TrialState.COMPLETE]
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert len(completed) >= 2 and pruned, [t.state for t in study.trials]  # the study exercises both

    assert runs(tmp_path) == {f"trial-{t.number}" for t in completed}  # pruned trials are left out, as Optuna's
    for t in completed:
        events = load(tmp_path / f"trial-{t.number}")
        assert session_hparams(events) == pytest.approx(t.params)
        assert session_status(events) == api_pb2.STATUS_SUCCESS
        (point,) = events.Scalars(METRIC)
        assert point.step == t.number and point.value == pytest.approx(t.value, rel=1e-6)
        curve = events.Scalars(CURVE)
        assert [p.step for p in curve] == sorted(t.intermediate_values) == [1, 2, 3, 4]
        assert [p.value for p in curve] == pytest.approx([t.intermediate_values[s] for s in range(1, 5)], rel=1e-6)

    assert experiment_domains(tmp_path) == {
        "x": (-2.0, 2.0), "lr": pytest.approx((1e-4, 1e-1)), "layers": (1, 4), "act": ["relu", "tanh"]}


def test_pruned_trials_are_written_on_request_with_their_curve_and_no_value(tmp_path):
    study = run_study(tmp_path, include_pruned=True)
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert pruned
    assert runs(tmp_path) == {f"trial-{t.number}" for t in study.trials}
    for t in pruned:
        events = load(tmp_path / f"trial-{t.number}")
        assert session_hparams(events) == pytest.approx(t.params)
        assert session_status(events) == api_pb2.STATUS_UNKNOWN  # the dashboard has no status for it
        assert METRIC not in events.Tags()["scalars"]
        steps = sorted(t.intermediate_values)
        assert [p.step for p in events.Scalars(CURVE)] == steps and len(steps) < 4
        assert [p.value for p in events.Scalars(CURVE)] == pytest.approx([t.intermediate_values[s] for s in steps])


def test_failed_trials_are_not_written(tmp_path):
    def failing(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number == 1:
            raise ValueError("this trial fails")
        return x

    study = nntune.create_study()
    study.optimize(failing, n_trials=3, catch=(ValueError,), callbacks=[TensorBoardCallback(tmp_path, METRIC)])
    assert study.trials[1].state == TrialState.FAILED
    assert runs(tmp_path) == {"trial-0", "trial-2"}


def test_domains_cover_parameters_that_appear_later_and_a_resumed_run(tmp_path):
    """Define-by-run spaces grow as trials go: the one experiment left spans every
    distribution seen, also after a second callback (a resumed run) adds to the directory."""

    def branching(trial: nntune.Trial) -> float:
        model = trial.suggest_categorical("model", ["linear", "mlp"]) if trial.number else "linear"
        if model == "mlp":
            units = trial.suggest_int("units", 8, 64, log=True)
            dropout = trial.suggest_categorical("dropout", [0, 0.25, 0.5])  # ints with floats: a float domain
            return units * (1 + dropout)
        return trial.suggest_float("l2", 0.0, 1.0)

    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"model": "mlp"})
    study.optimize(branching, n_trials=4, callbacks=[TensorBoardCallback(tmp_path, METRIC)])
    assert experiment_domains(tmp_path) == {"l2": (0.0, 1.0), "model": ["linear", "mlp"], "units": (8, 64),
                                            "dropout": [0.0, 0.25, 0.5]}

    def widened(trial: nntune.Trial) -> float:
        flag = trial.suggest_categorical("flag", [True, None])
        return trial.suggest_float("l2", 0.0, 4.0) + (flag is None)

    study.optimize(widened, n_trials=2, callbacks=[TensorBoardCallback(tmp_path, METRIC)])
    domains = experiment_domains(tmp_path)
    assert domains["l2"] == (0.0, 4.0) and domains["units"] == (8, 64)
    assert domains["flag"] == ["None", "True"]  # a mix TensorBoard cannot hold is shown as text
    last = study.trials[-1]
    assert session_hparams(load(tmp_path / f"trial-{last.number}"))["flag"] == str(last.params["flag"])
    assert runs(tmp_path) == {f"trial-{t.number}" for t in study.trials}


def test_the_callback_is_optunas_name(tmp_path):
    import nntune as optuna

    assert optuna.integration.TensorBoardCallback is TensorBoardCallback
    assert "TensorBoardCallback" in optuna.integration.__all__
    study = optuna.create_study(direction="maximize")
    study.optimize(lambda t: t.suggest_float("p", 0, 1), n_trials=2,
                   callbacks=[optuna.integration.TensorBoardCallback(str(tmp_path / "tb"), "accuracy")])
    for t in study.trials:
        (point,) = load(tmp_path / "tb" / f"trial-{t.number}").Scalars("accuracy")
        assert point.value == pytest.approx(t.value, rel=1e-6)


def test_a_study_of_several_objectives_is_refused(tmp_path):
    study = nntune.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match="2 objectives"):
        study.optimize(lambda t: (t.suggest_float("a", 0, 1), 1.0), n_trials=1,
                       callbacks=[TensorBoardCallback(tmp_path, METRIC)])


def test_without_tensorboard_the_error_says_what_to_install(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ImportError, match=r"pip install tensorboard") as err:
        TensorBoardCallback(tmp_path, METRIC)
    assert "\n" not in str(err.value)
