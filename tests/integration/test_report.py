"""What every framework's callback reads as one number of an epoch's record."""

from __future__ import annotations

import numpy as np
import torch

from nntune.integration._report import scalar


def test_one_number_in_any_form_is_a_float_and_anything_else_is_none():
    assert scalar(0.5) == 0.5 and scalar(3) == 3.0
    assert scalar(torch.tensor(0.25)) == 0.25 and scalar(torch.tensor([0.75])) == 0.75
    assert scalar(np.float64(0.125)) == 0.125
    for value in (True, "abc", [0.1, 0.2], torch.tensor([1.0, 2.0]), np.array([1.0, 2.0]), None, {"a": 1}):
        assert scalar(value) is None, value
