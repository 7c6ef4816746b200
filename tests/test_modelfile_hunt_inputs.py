"""What ``nntune.load_model``'s module answers for images given as the training data gave
them ((N, H, W), channels last, integer pixels), and the scikit-learn shapes of its answers:
``predict`` as numpy or labels, ``predict_proba`` as an (N, classes) array."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import nntune
from nntune.model_file import TunedModel, save_model_file
from nntune.train import fit, load_splits

PARAMS = {"epochs": 1, "units": 8, "layers": 1}


def _model(folder: Path, x: np.ndarray, y: np.ndarray, metric: str = "accuracy") -> TunedModel:
    np.savez(folder / "d.npz", x=x, y=y)
    spec = {"kind": "npz", "path": str(folder / "d.npz")}
    splits = load_splits(spec, seed=0)
    model = fit(PARAMS, splits, metric=metric, seed=0).model
    return nntune.load_model(save_model_file(folder / "m.pt", model, PARAMS, splits, study="s", trial=0, data=spec))


@pytest.mark.parametrize("shape", [(40, 6, 5), (40, 6, 5, 3)], ids=["grayscale-no-channel", "channels-last"])
def test_images_are_predicted_in_the_layout_the_training_data_had(tmp_path, shape) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, shape).astype(np.uint8), np.arange(40) % 3
    model = _model(tmp_path, x, y)
    # the loader's own reading: channels first, pixels in [0, 1]
    loaded = torch.from_numpy(x[:, None] if x.ndim == 3 else np.moveaxis(x, -1, 1).copy()).float() / 255
    with torch.no_grad():
        expected = model(loaded[:4])
    assert torch.allclose(model(x[:4]), expected, atol=1e-5)
    assert torch.allclose(model(torch.from_numpy(x[:4])), expected, atol=1e-5)
    assert model.predict(x[:4]) == model.predict(loaded[:4])
    assert np.allclose(model.predict_proba(x[:4]), model.predict_proba(loaded[:4]), atol=1e-5)
    with pytest.raises(ValueError, match=r"inputs of shape \(4, 5, 6.*\); the model takes a batch of shape \(N, ") \
            as raised:
        model.predict(np.swapaxes(x[:4], 1, 2))  # height and width swapped: no layout of the training's
    assert "\n" not in str(raised.value)


def test_predict_proba_is_an_array_of_rows_summing_to_one(tmp_path) -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(60, 4)).astype(np.float32), np.arange(60) % 3
    model = _model(tmp_path, x, y)
    proba = model.predict_proba(x[:5])
    assert isinstance(proba, np.ndarray) and proba.shape == (5, 3) and proba.dtype == np.float32
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert model.predict(x[:5]) == [model.labels[i] for i in proba.argmax(axis=1)]
    assert model.predict(x[0]) == model.predict(x[:1])  # one unbatched input: a list of one label


def test_a_regression_predicts_numpy_and_refuses_predict_proba(tmp_path) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    model = _model(tmp_path, x, (x @ np.arange(4.0)).astype(np.float32) + 0.5, metric="rmse")
    got = model.predict(x[:5])
    assert isinstance(got, np.ndarray) and got.shape == (5,) and got.dtype == np.float32
    with torch.no_grad():
        assert np.allclose(got, model(x[:5]).numpy())
    with pytest.raises(ValueError, match="predict_proba: the model is a regression") as raised:
        model.predict_proba(x[:5])
    assert "\n" not in str(raised.value)
