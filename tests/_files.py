"""Small local data files in the formats nntune reads, written for tests."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np


def write_cifar(root: Path, per_batch: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """A CIFAR-10 python-pickle directory of random images; returns the test batch."""
    rng = np.random.default_rng(4)
    root.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 b"labels": [int(v) for v in np.arange(per_batch) % 10]}
        (root / name).write_bytes(pickle.dumps(batch, protocol=2))
    names = [b"plane", b"car", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    (root / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}))
    return batch[b"data"], np.array(batch[b"labels"])
