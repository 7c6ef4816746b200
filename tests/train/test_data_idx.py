"""IDX (MNIST format) folders that cannot be used are one ConfigError naming the file and
what is wrong with it, never a struct, gzip or numpy traceback."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from nntune.exceptions import ConfigError
from nntune.train import load_splits

IMAGES, LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"


def idx(array: np.ndarray, code: int = 0x08) -> bytes:
    dtype = {0x08: ">u1", 0x0C: ">i4"}[code]
    return struct.pack(f">BBBB{array.ndim}i", 0, 0, code, array.ndim, *array.shape) + array.astype(dtype).tobytes()


def write(root: Path, files: dict[str, bytes]) -> dict:
    root.mkdir()
    for name, blob in files.items():
        (root / name).write_bytes(blob)
    return {"kind": "idx", "path": str(root)}


PIXELS = np.random.default_rng(0).integers(0, 256, (30, 6, 6))
LABELS_3 = np.arange(30) % 3


def test_gzip_data_is_read_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    spec = write(tmp_path / "d", {IMAGES: gzip.compress(idx(PIXELS)), LABELS + ".gz": idx(LABELS_3)})
    splits = load_splits(spec, normalize="none")
    assert splits.input_shape == (1, 6, 6) and splits.n_classes == 3


@pytest.mark.parametrize("files, problem", [
    ({IMAGES: idx(PIXELS)[:7], LABELS: idx(LABELS_3)}, f"{IMAGES} is truncated (in its header)"),
    ({IMAGES: struct.pack(">BBBB3i", 0, 0, 8, 3, -1, 6, 6) + idx(PIXELS)[16:], LABELS: idx(LABELS_3)},
     f"{IMAGES} has the impossible dimensions [-1, 6, 6]"),
    ({IMAGES + ".gz": gzip.compress(idx(PIXELS))[:40], LABELS: idx(LABELS_3)},
     f"cannot gunzip {{root}}/{IMAGES}.gz"),
    ({IMAGES: idx(PIXELS), LABELS: idx(LABELS_3 - 1, 0x0C)}, f"{LABELS} holds the label -1; labels count from 0"),
    ({IMAGES: idx(PIXELS), LABELS: idx(LABELS_3), "t10k-images-idx3-ubyte": idx(PIXELS[:5, :5, :5]),
      "t10k-labels-idx1-ubyte": idx(LABELS_3[:5])},
     "the t10k images in {root} are [1, 5, 5], the train images [1, 6, 6]"),
    ({IMAGES: idx(PIXELS), LABELS: idx(LABELS_3), "t10k-images-idx3-ubyte": idx(PIXELS[:5])},
     "{root} holds t10k images or labels without the other"),
    ({IMAGES: idx(PIXELS[:0]), LABELS: idx(LABELS_3[:0])}, f"{IMAGES} and {LABELS} in {{root}} hold no image"),
    ({IMAGES: idx(PIXELS), LABELS: idx(LABELS_3), "t10k-images-idx3-ubyte": idx(PIXELS[:0]),
      "t10k-labels-idx1-ubyte": idx(LABELS_3[:0])},
     "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte in {root} hold no image"),
])
def test_a_broken_idx_folder_is_one_line_naming_the_file(tmp_path: Path, files: dict, problem: str) -> None:
    spec = write(tmp_path / "d", files)
    with pytest.raises(ConfigError) as caught:
        load_splits(spec, split=[0.6, 0.2, 0.2])
    assert caught.value.field == "task.data.path", str(caught.value)
    assert problem.format(root=tmp_path / "d") in caught.value.problem and "\n" not in str(caught.value)


def test_fewer_class_names_than_labels_are_refused(tmp_path: Path) -> None:
    spec = write(tmp_path / "d", {IMAGES: idx(PIXELS), LABELS: idx(LABELS_3)})
    with pytest.raises(ConfigError) as caught:
        load_splits({**spec, "classes": ["a", "b"]})
    assert str(caught.value) == "task.data.classes: 2 names for labels 0 to 2"
    assert load_splits({**spec, "classes": ["a", "b", "c"]}).info["classes"] == ["a", "b", "c"]
    with pytest.raises(ConfigError) as caught:  # not the three classes 'a', 'b' and 'c'
        load_splits({**spec, "classes": "abc"})
    assert str(caught.value) == "task.data.classes: give a list of class names, got 'abc'"


def test_one_label_only_is_refused(tmp_path: Path) -> None:
    spec = write(tmp_path / "d", {IMAGES: idx(PIXELS), LABELS: idx(np.zeros(30))})
    with pytest.raises(ConfigError, match=r"^task\.data: d has one class only \('0'\) to train on"):
        load_splits(spec)
