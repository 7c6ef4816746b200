"""Images with an alpha channel (RGBA, LA) asked for in grayscale: one channel, the alpha
dropped as PIL's ``convert("L")`` drops it, not four channels without a word."""

from pathlib import Path

import numpy as np

from nntune.train.data import load_splits


def test_rgba_arrays_in_grayscale_have_one_channel(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for layout, shape in (("channels first", (40, 4, 6, 5)), ("channels last", (40, 6, 5, 4))):
        path = tmp_path / "rgba.npz"
        np.savez(path, x=rng.integers(0, 256, shape, dtype=np.uint8), y=np.arange(40) % 2)
        gray = load_splits({"kind": "npz", "path": str(path)}, split=(0.5, 0.25, 0.25), grayscale=True)
        assert gray.input_shape == (1, 6, 5), layout
