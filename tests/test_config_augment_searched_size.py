"""A config whose augmentation takes a parameter only from the space (``resize.size``
searched) is prepared with that parameter's first value, as the first trial gets it: it
was refused with "resize needs a size" before any trial."""

from pathlib import Path

import numpy as np

from nntune.config import parse_config
from nntune.runner import prepare


def test_a_searched_resize_size_is_prepared_at_its_first_value(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "img.npz", x=rng.integers(0, 256, (40, 1, 8, 8), dtype=np.uint8), y=np.arange(40) % 2)
    cfg = parse_config({
        "study": "sized", "storage": f"sqlite:///{tmp_path / 's.db'}",
        "task": {"data": {"kind": "npz", "path": str(tmp_path / "img.npz")}, "model": "cnn", "augment": ["resize"]},
        "search": {"trials": 1}, "fixed": {"epochs": 1, "conv_layers": 1},
        "space": {"resize.size": {"type": "choice", "values": [6, 8]}}})
    prepared = prepare(cfg)
    assert prepared.splits.x_train.shape[1:] == (1, 8, 8)
