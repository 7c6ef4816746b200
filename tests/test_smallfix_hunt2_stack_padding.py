"""A stack of CNNs with an even kernel and ``padding: same`` pads as the solo model does (one
pixel more right and bottom), without torch's warning in the middle of a study, and each
member's curve is fit's alone."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from sklearn.datasets import load_digits

from nntune.train.loop import fit
from nntune.train.splits import SealedSplit, Splits

BASE = {"model": "cnn", "conv_layers": 2, "filters": 4, "units": 16, "batch_size": 128, "epochs": 2,
        "padding": "same", "optimizer": "adam", "lr": 3e-3}
CONFIGS = [{**BASE, "kernel_size": 4}, {**BASE, "kernel_size": 2, "lr": 1e-2}]

# PyTorch warns once per process: a fresh one sees it.
SCRIPT = textwrap.dedent("""
    import json, sys, warnings
    sys.path.insert(0, sys.argv[1])
    from test_smallfix_hunt2_stack_padding import CONFIGS, digit_images
    from nntune.train.stack_run import fit_stack
    warnings.simplefilter("error")  # torch's "padding='same' with even kernel lengths" among them
    stacked = fit_stack(CONFIGS, digit_images(), seeds=[0, 1], device="cpu")
    print(json.dumps([[r["val_loss"] for r in member.history] for member in stacked]))
""")


def digit_images() -> Splits:
    x, y = load_digits(return_X_y=True)
    x = torch.tensor((x - x.mean()) / x.std(), dtype=torch.float32).reshape(-1, 1, 8, 8)
    y = torch.tensor(y)
    return Splits(x[:600], y[:600], x[600:900], y[600:900], SealedSplit(x[900:], y[900:]),
                  "classification", n_classes=10, name="digits")


@pytest.mark.slow
def test_even_kernels_stack_without_warning_and_match_fit_alone():
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(Path(__file__).parent)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    stacked = json.loads(done.stdout.strip().splitlines()[-1])
    for config, seed, member in zip(CONFIGS, [0, 1], stacked):
        solo = fit(config, digit_images(), seed=seed, device="cpu")
        assert member == pytest.approx([r["val_loss"] for r in solo.history], rel=1e-4)
