"""``evaluate(metrics="accuracy")``: one name is one metric, as Keras' ``metrics`` reads it."""

from __future__ import annotations

import torch

from nntune.train import evaluate


def test_one_metric_name_is_scored_as_one_metric():
    model = torch.nn.Linear(3, 2)
    x, y = torch.randn(8, 3, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1] * 4)
    one = evaluate(model, x, y, task_type="classification", metrics="accuracy", n_classes=2)
    listed = evaluate(model, x, y, task_type="classification", metrics=["accuracy"], n_classes=2)
    assert one == listed and set(one) == {"accuracy", "confusion_matrix"}
