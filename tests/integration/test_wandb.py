"""The Weights & Biases callback in real studies, with W&B offline: what each run logged is
read back from its transaction log (``wandb/offline-run-*/run-<id>.wandb``, the file
``wandb sync`` uploads), record by record, as W&B's server would receive it."""

from __future__ import annotations

import json
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nntune
import nntune.integration
from nntune.integration._wandb import WeightsAndBiasesCallback
from nntune.trial import TrialState
from tests.integration.lazy_module import lazy, needed

wandb = lazy("wandb")
_needs = needed("wandb")

METRIC = "loss"
CURVE, CURVE_STEP = f"{METRIC}/intermediate", f"{METRIC}/intermediate_step"


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """W&B offline and quiet, every file it writes under ``tmp_path``. Afterwards the run
    left current is finished and W&B torn down: its settings, the directory among them, are
    read once per process until then, and its service process stops."""
    for name, value in {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_CONSOLE": "off",
                        "WANDB_DISABLE_GIT": "true", "WANDB_DISABLE_CODE": "true", "WANDB__DISABLE_STATS": "true",
                        "WANDB__DISABLE_META": "true"}.items():
        monkeypatch.setenv(name, value)
    for name in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_DATA_DIR", "WANDB_ARTIFACT_DIR"):
        monkeypatch.setenv(name, str(tmp_path))
    yield tmp_path
    if wandb.run is not None:
        wandb.finish()
    wandb.teardown()


def records(path: Path) -> Iterator[Any]:
    """The records of a W&B transaction log: LevelDB's log format (32 KiB blocks of chunks,
    each with a 7-byte header: checksum, length, kind) after W&B's 7-byte file header."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B", path
    pos, parts = 7, []
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        length, kind = struct.unpack("<HB", data[pos + 4:pos + 7])
        if left < 7 or (length == 0 and kind == 0):  # the rest of a block is padding
            pos += left
            continue
        parts.append(data[pos + 7:pos + 7 + length])
        pos += 7 + length
        if kind in (1, 4):  # a whole record, or the last chunk of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(parts))
            parts = []
            yield record


def read_run(path: Path) -> dict[str, Any]:
    """One offline run as its logger sent it: name, tags, config, the metrics' declared
    x-axes, and the history rows by ``_step`` (without W&B's own ``_`` keys)."""
    run: dict[str, Any] = {"name": "", "tags": [], "config": {}, "x_axis": {}, "history": {}}

    def key(item: Any) -> str:
        return item.key or "/".join(item.nested_key)

    for record in records(path):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run["name"], run["tags"] = record.run.display_name, list(record.run.tags)
            run["config"].update({key(i): json.loads(i.value_json) for i in record.run.config.update})
        elif kind == "config":
            run["config"].update({key(i): json.loads(i.value_json) for i in record.config.update})
        elif kind == "metric" and record.metric.step_metric:
            run["x_axis"][record.metric.name] = record.metric.step_metric
        elif kind == "exit":
            run["finished"] = True
        elif kind == "history":
            row = {key(i): json.loads(i.value_json) for i in record.history.item}
            run["history"][row["_step"]] = {k: v for k, v in row.items() if not k.startswith("_")}
    run["config"].pop("_wandb", None)
    assert run.pop("finished", False), f"{path} ends before the run's exit record"
    return run


def offline_runs(root: Path) -> list[dict[str, Any]]:
    """Every run logged under ``root``, read once W&B is torn down: its service writes a
    finished run's log behind ``finish()`` and closes the files only when it stops."""
    wandb.teardown()
    return [read_run(p) for p in sorted(root.glob("wandb/offline-run-*/run-*.wandb"))]


def test_the_study_is_one_run_with_a_row_per_trial_at_its_number(offline):
    callback = WeightsAndBiasesCallback(METRIC, wandb_kwargs={"project": "nntune-tests"})
    study = nntune.create_study(direction="maximize", sampler=nntune.samplers.RandomSampler(seed=1))

    @callback.track_in_wandb()  # the study's run is current: the objective's logs go there too
    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.report(x, 1)  # no curve in the study's run: its steps are trial numbers
        return x

    study.optimize(objective, n_trials=3, callbacks=[callback])
    wandb.finish()  # the study's run ends when the user ends it, as with Optuna's
    (run,) = offline_runs(offline)
    assert run["config"] == {"direction": ["MAXIMIZE"]}
    assert run["history"] == {t.number: {"x": pytest.approx(t.params["x"]), METRIC: pytest.approx(t.value)}
                              for t in study.trials}


def test_as_multirun_each_trial_is_a_run_with_its_config_tags_and_learning_curve(offline):
    callback = WeightsAndBiasesCallback(METRIC, wandb_kwargs={"project": "nntune-tests", "tags": ["cnn"]},
                                        as_multirun=True)

    @callback.track_in_wandb()
    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        act = trial.suggest_categorical("act", ["relu", "tanh"])
        wandb.log({"inside": 10 * x})  # the trial's own run, opened by the decorator
        for step in range(1, 4):
            trial.report(x + 1.0 / step + (act == "tanh"), step)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return x

    study = nntune.create_study(study_name="wandb-study", sampler=nntune.samplers.RandomSampler(seed=0),
                                pruner=nntune.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    study.enqueue_trial({"x": 0.1, "act": "relu"})
    study.enqueue_trial({"x": 0.9, "act": "tanh"})  # worse from the first step: pruned
    study.optimize(objective, n_trials=2, callbacks=[callback])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.PRUNED]

    runs = {run["name"]: run for run in offline_runs(offline)}
    assert set(runs) == {"trial/0", "trial/1"}  # offline W&B gives no name to append
    for t in study.trials:
        run = runs[f"trial/{t.number}"]
        assert run["tags"] == ["cnn", "wandb-study"]
        assert run["config"] == {"direction": ["MINIMIZE"], **t.params}
        history = run["history"]
        # the objective's row at 0, the trial's at its number (Optuna's step) unless that
        # row is taken (trial 0: Optuna's row is dropped there), then the curve
        assert history.pop(0) == {"inside": pytest.approx(10 * t.params["x"])}
        row = max(t.number, 1)
        assert history.pop(row) == {**t.params, METRIC: pytest.approx(t.value), "trial_number": t.number}
        assert all(step > row for step in history)
        curve = {row[CURVE_STEP]: row[CURVE] for _, row in sorted(history.items())}
        assert curve == pytest.approx(t.intermediate_values)
        assert run["x_axis"] == {CURVE: CURVE_STEP}
    assert len(runs["trial/0"]["history"]) == 3 and len(runs["trial/1"]["history"]) == 1


def test_metric_names_are_checked_as_optunas_are(offline):
    with pytest.raises(TypeError, match="string or sequence of strings"):
        WeightsAndBiasesCallback(metric_name=3, as_multirun=True)  # type: ignore[arg-type]
    study = nntune.create_study(directions=["minimize", "maximize"])
    callback = WeightsAndBiasesCallback(metric_name=["a", "b", "c"], as_multirun=True)
    with pytest.raises(ValueError, match="2 objective values, but 3 names"):
        study.optimize(lambda t: (t.suggest_float("p", 0, 1), 0.0), n_trials=1, callbacks=[callback])
    assert wandb.run is None and not offline_runs(offline)  # refused before any run


def test_without_wandb_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(ImportError, match=r"pip install wandb") as err:
        WeightsAndBiasesCallback(as_multirun=True)
    assert "\n" not in str(err.value)


@pytest.mark.skipif(not hasattr(nntune.integration, "WeightsAndBiasesCallback"),
                    reason="not yet in nntune.integration")
def test_the_callback_is_optunas_name():
    import nntune as optuna

    assert optuna.integration.WeightsAndBiasesCallback is WeightsAndBiasesCallback
    assert "WeightsAndBiasesCallback" in optuna.integration.__all__
