"""The Keras callback records the learning rate each epoch trained at, though
``ReduceLROnPlateau``, listed before it, lowers the rate when the epoch ends."""

from __future__ import annotations

import os

import pytest

import nntune
from tests.integration.lazy_module import lazy, needed
from tests.integration.test_keras import digits

keras = lazy("keras")  # on PyTorch's backend: tests/conftest.py sets KERAS_BACKEND
KerasPruningCallback = lazy("nntune.integration._keras", "KerasPruningCallback")  # imports Keras
_needs = needed("keras")

pytestmark = [pytest.mark.skipif(os.environ.get("KERAS_BACKEND") != "torch",
                                 reason="Keras runs on another backend here"),
              pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")]


def test_each_epoch_records_the_learning_rate_it_trained_at() -> None:
    study = nntune.create_study(direction="maximize")
    trial = study.ask()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.4), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # min_delta=10: no epoch after the first counts as better, so the rate halves after each
    halve = keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=0, min_delta=10)
    x, y = digits(200)
    history = model.fit(x, y, validation_split=0.25, epochs=3, batch_size=50, verbose=0,
                        callbacks=[halve, KerasPruningCallback(trial, "val_accuracy")])
    records = study.storage.get_trial(study.id, trial.number).metrics
    used = history.history["learning_rate"]  # Keras's own record of the rate each epoch trained at
    assert used == pytest.approx([0.4, 0.4, 0.2])
    assert [r["lr"] for r in records] == pytest.approx(used)
