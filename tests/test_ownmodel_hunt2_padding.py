"""An even kernel with ``padding: same`` keeps the image's size as PyTorch pads it (one
pixel more on the right and bottom) without PyTorch's warning in the middle of a study."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

from nntune.train import build_model

SCRIPT = textwrap.dedent("""
    import warnings, torch
    from nntune.train import build_model
    warnings.simplefilter("error")  # PyTorch warns once per process: a fresh one sees it
    model = build_model({"model": "cnn", "kernel_size": [4, 3], "padding": "same", "conv_layers": 2},
                        (1, 12, 12), 3)
    print(tuple(model(torch.zeros(2, 1, 12, 12)).shape))
""")


def test_even_kernel_same_padding_runs_without_torch_warning() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(2, 3)"


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
def test_even_kernel_same_padding_answers_as_torch_same() -> None:
    model = build_model({"model": "cnn", "kernel_size": 4, "padding": "same", "conv_layers": 1}, (2, 9, 8), 3)
    conv = model.conv1
    reference = nn.Conv2d(2, conv.out_channels, 4, padding="same")
    reference.load_state_dict(conv.state_dict())
    x = torch.randn(3, 2, 9, 8)
    assert torch.allclose(conv(x), reference(x), atol=1e-6)
    assert conv(x).shape[-2:] == (9, 8)
