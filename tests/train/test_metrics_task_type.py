"""``evaluate`` with a misspelt ``task_type`` names the task type, not the metric."""

from __future__ import annotations

import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.train import evaluate


def test_an_unknown_task_type_is_refused_by_name():
    model = torch.nn.Linear(3, 2)
    x, y = torch.zeros(4, 3), torch.tensor([0, 1, 0, 1])
    with pytest.raises(ConfigError, match="^task_type: unknown 'classifcation'; choose from classification, regression$"):
        evaluate(model, x, y, task_type="classifcation", metrics=["accuracy"], n_classes=2)
    assert evaluate(model, x, y, task_type="classification", metrics=["accuracy"], n_classes=2)["accuracy"] >= 0
