"""The Keras callback in real Keras 3 fits on the PyTorch backend: each epoch reported with
the record the diagnosis reads, trials stopped by the study's scheduler, a diverging one
recorded as diverged, a metric the logs lack refused in one line."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.trial import TrialState
from tests.integration.framework_contract import check_the_scheduler_stops_trials, check_tiny_and_huge_rates
from tests.integration.lazy_module import lazy, needed

keras = lazy("keras")  # on PyTorch's backend: tests/conftest.py sets KERAS_BACKEND
epoch_record = lazy("nntune.integration._keras", "epoch_record")
KerasPruningCallback = lazy("nntune.integration._keras", "KerasPruningCallback")  # imports Keras
_needs = needed("keras")

pytestmark = [pytest.mark.skipif(os.environ.get("KERAS_BACKEND") != "torch",
                                 reason="Keras runs on another backend here"),
              # Keras's torch backend and numpy 2 disagree on __array__'s copy keyword, in Keras itself
              pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")]


def digits(n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x[:n] / 16.0).astype("float32"), y[:n]


def fit(trial, lr: float, epochs: int, monitor: str = "val_accuracy", interval: int = 1) -> float:
    keras.utils.set_random_seed(trial.number)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = digits()
    history = model.fit(x[:450], y[:450], validation_data=(x[450:], y[450:]), epochs=epochs, batch_size=32,
                        verbose=0, callbacks=[KerasPruningCallback(trial, monitor, interval=interval)])
    return float(history.history["val_accuracy"][-1])


@pytest.mark.slow
def test_each_epoch_is_reported_with_the_record_diagnosis_reads():
    study = nntune.create_study(direction="maximize", pruner=nntune.pruners.NopPruner())
    study.optimize(lambda t: fit(t, lr=t.suggest_float("lr", 0.3, 0.3), epochs=6), n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.COMPLETE and sorted(trial.intermediate_values) == [1, 2, 3, 4, 5, 6]
    records = trial.metrics
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5, 6]
    last = records[-1]
    assert {"train_loss", "val_loss", "train_accuracy", "val_accuracy", "value", "lr"} <= set(last)
    assert last["value"] == last["val_accuracy"] == trial.intermediate_values[6] == pytest.approx(trial.value)
    assert last["lr"] == pytest.approx(0.3) and last["train_loss"] < records[0]["train_loss"]
    assert trial.value > 0.5  # well above the 0.1 of chance


@pytest.mark.slow
def test_a_tiny_learning_rate_is_diagnosed_a_huge_one_diverges_and_the_scheduler_stops_trials():
    check_tiny_and_huge_rates(lambda t, lr, epochs: fit(t, lr=lr, epochs=epochs), metric="accuracy")
    check_the_scheduler_stops_trials(lambda t, lr, epochs: fit(t, lr=lr, epochs=epochs), good_lr=0.3, epochs=2)


def test_a_metric_the_logs_lack_is_one_line_and_interval_reports_every_kth_epoch():
    study = nntune.create_study(direction="maximize")
    trial = study.ask()
    with pytest.raises(ConfigError, match=r"^monitor: 'val_f1' is not in the epoch's logs; they have 'accuracy', "
                                          r"'loss', 'val_accuracy', 'val_loss'$"):
        fit(trial, lr=0.1, epochs=1, monitor="val_f1")
    for bad in (0, 1.5, True):
        with pytest.raises(ConfigError, match=r"^interval: must be a whole number of epochs >= 1"):
            KerasPruningCallback(trial, "val_accuracy", interval=bad)
    other = study.ask()
    fit(other, lr=0.1, epochs=4, interval=2)
    assert sorted(study.storage.get_trial(study.id, other.number).intermediate_values) == [2, 4]


def test_logs_become_the_record_diagnosis_reads():
    logs = {"loss": 0.5, "accuracy": np.float32(0.75), "val_loss": 0.6, "val_accuracy": 0.7, "note": "text"}
    assert epoch_record(logs) == {"train_loss": 0.5, "train_accuracy": 0.75, "val_loss": 0.6, "val_accuracy": 0.7}


@pytest.mark.slow
def test_keras_set_to_tensorflow_without_it_says_to_choose_the_torch_backend(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "KERAS_HOME": str(tmp_path)}
    code = ("from nntune.integration import KerasPruningCallback\n"
            "try:\n    KerasPruningCallback(None, 'val_accuracy')\n"
            "except ImportError as err:\n    print(err)\n")
    if importlib.util.find_spec("tensorflow") is not None:
        pytest.skip("TensorFlow is installed here")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ("KerasPruningCallback: Keras is set to run on TensorFlow, which is not installed; "
                                  "set KERAS_BACKEND=torch before keras is imported (or \"backend\": \"torch\" in "
                                  "~/.keras/keras.json)")


def softmax_layer(loss: str = "sparse_categorical_crossentropy", metrics: list | None = None) -> keras.Model:
    """One seeded softmax layer over the 64 digits pixels, compiled with SGD at 0.1."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, metrics=metrics or ["accuracy"])
    return model


def test_epochs_fit_does_not_validate_report_nothing_and_a_fit_without_validation_is_one_line():
    study = nntune.create_study(direction="maximize")
    trial = study.ask()
    model = softmax_layer()
    x, y = digits(300)
    # validation_freq=2: epochs 1 and 3 have no val_ logs, and are not reported (Optuna's warns)
    model.fit(x[:200], y[:200], validation_data=(x[200:], y[200:]), validation_freq=2, epochs=4, verbose=0,
              callbacks=[KerasPruningCallback(trial, "val_accuracy")])
    assert sorted(study.storage.get_trial(study.id, trial.number).intermediate_values) == [2, 4]
    never = (r"^monitor: 'val_accuracy' was in no epoch's logs of the fit; val_ entries need model.fit's "
             r"validation_data or validation_split, and a validation_freq no greater than its epochs$")
    with pytest.raises(ConfigError, match=never):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[KerasPruningCallback(study.ask(), "val_accuracy")])
    with pytest.raises(ConfigError, match=never):  # validation data given, but no epoch reaches validation_freq
        model.fit(x[:200], y[:200], validation_data=(x[200:], y[200:]), validation_freq=3, epochs=2, verbose=0,
                  callbacks=[KerasPruningCallback(study.ask(), "val_accuracy")])


def test_the_learning_rate_a_keras_callback_adds_to_the_logs_is_no_training_metric():
    # ReduceLROnPlateau (and LearningRateScheduler) write the rate into the epoch's logs
    study = nntune.create_study(direction="maximize")
    trial = study.ask()
    model = softmax_layer()
    x, y = digits(300)
    model.fit(x[:200], y[:200], validation_data=(x[200:], y[200:]), epochs=2, verbose=0,
              callbacks=[keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=0),
                         KerasPruningCallback(trial, "val_accuracy")])
    record = study.storage.get_trial(study.id, trial.number).metrics[-1]
    assert not any(key.startswith(("train_learning_rate", "val_learning_rate")) for key in record), record
    assert record["lr"] == pytest.approx(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
    assert epoch_record({"loss": 0.5, "learning_rate": 0.1, "learning_rate_adam": 0.1}) == {"train_loss": 0.5}


def test_a_per_class_score_is_refused_in_one_line_as_not_one_number():
    # F1Score(average=None) logs one score per class: no single value to report
    study = nntune.create_study(direction="maximize")
    model = softmax_layer(loss="categorical_crossentropy", metrics=[keras.metrics.F1Score(average=None, name="f1")])
    x, y = digits(300)
    with pytest.raises(ConfigError, match=r"^monitor: 'val_f1' is not one number but 10 numbers; monitor a score "
                                          r"averaged to one number"):
        model.fit(x, keras.utils.to_categorical(y, 10), validation_split=0.3, epochs=1, verbose=0,
                  callbacks=[KerasPruningCallback(study.ask(), "val_f1")])
