"""``Splits`` of a user's own numpy arrays train as tensors would."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import load_iris

from nntune.train import SealedSplit, Splits, fit


def test_numpy_splits_train_like_tensor_splits():
    x, y = load_iris(return_X_y=True)
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    parts = [np.arange(len(y)) % 5 < 3, np.arange(len(y)) % 5 == 3, np.arange(len(y)) % 5 == 4]
    arrays = Splits(x[parts[0]], y[parts[0]], x[parts[1]], y[parts[1]], SealedSplit(x[parts[2]], y[parts[2]]),
                    "classification", n_classes=3)
    tensors = Splits(*(torch.tensor(a) for a in (x[parts[0]], y[parts[0]], x[parts[1]], y[parts[1]])),
                     SealedSplit(torch.tensor(x[parts[2]]), torch.tensor(y[parts[2]])), "classification", n_classes=3)
    assert isinstance(arrays.x_train, torch.Tensor) and arrays.input_shape == (4,)
    assert isinstance(arrays.test.open("check")[0], torch.Tensor)
    params = {"epochs": 2, "units": 8, "layers": 1}
    assert fit(params, arrays).history[-1]["value"] == fit(params, tensors).history[-1]["value"]
