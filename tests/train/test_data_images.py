"""Image folders (``kind: image_folder``): a file that is not an image, a class without
images and folders larger than the open-file limit."""

from __future__ import annotations

import resource
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nntune.exceptions import ConfigError
from nntune.train import load_splits


def write_folder(root: Path, counts: dict[str, int], size: int = 4) -> dict:
    rng = np.random.default_rng(0)
    for label, n in counts.items():
        (root / label).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8), "L").save(root / label / f"{i}.png")
    return {"kind": "image_folder", "path": str(root)}


def test_a_file_that_is_not_an_image_is_named(tmp_path: Path) -> None:
    spec = write_folder(tmp_path / "f", {"a": 6, "b": 6})
    (tmp_path / "f" / "b" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ConfigError) as caught:
        load_splits(spec)
    assert caught.value.field == "task.data.path"
    assert caught.value.problem.startswith(f"cannot read {tmp_path / 'f' / 'b' / 'bad.png'} as an image")


def test_a_truncated_image_is_named(tmp_path: Path) -> None:
    spec = write_folder(tmp_path / "f", {"a": 6, "b": 6}, size=64)
    whole = (tmp_path / "f" / "a" / "0.png").read_bytes()
    (tmp_path / "f" / "a" / "0.png").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ConfigError, match=r"^task\.data\.path: cannot read .*0\.png as an image"):
        load_splits(spec)


def test_a_class_folder_without_images_is_refused(tmp_path: Path) -> None:
    spec = write_folder(tmp_path / "f", {"a": 6, "b": 6})
    (tmp_path / "f" / "c").mkdir()
    (tmp_path / "f" / "c" / "notes.txt").write_text("no images here")
    with pytest.raises(ConfigError) as caught:
        load_splits(spec)
    assert str(caught.value).startswith(f"task.data.path: the class folders ['c'] in {tmp_path / 'f'} hold no image")


def test_more_images_than_the_open_file_limit(tmp_path: Path) -> None:
    spec = write_folder(tmp_path / "f", {"a": 150, "b": 150})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    opened = len(list(Path("/proc/self/fd").iterdir()))
    resource.setrlimit(resource.RLIMIT_NOFILE, (opened + 100, hard))  # fewer than the 300 images
    try:
        splits = load_splits(spec)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert splits.info["n_train"] + splits.info["n_val"] + splits.info["n_test"] == 300


def test_sixteen_bit_grayscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    spec = write_folder(tmp_path / "f", {"a": 6, "b": 6})
    wide = np.full((4, 4), 65535, dtype=np.uint16)
    wide[0, 0], wide[0, 1] = 0, 32896  # black, and the middle: 128 of 255 in 8 bits
    for label in ("a", "b"):
        for i in range(6):
            Image.fromarray(wide).save(tmp_path / "f" / label / f"{i}.png")
    assert Image.open(tmp_path / "f" / "a" / "0.png").mode.startswith("I")
    splits = load_splits(spec, normalize="none")
    pixels = splits.x_train[0, 0]
    assert pixels[0, 0].item() == 0.0 and pixels[0, 1].item() == pytest.approx(128 / 255)
    assert pixels[1, 1].item() == 1.0


@pytest.mark.filterwarnings("ignore:f. splits differ")  # three random images per split
def test_images_in_a_class_folders_sub_folders_count_and_hidden_files_do_not(tmp_path: Path) -> None:
    """As torchvision's ImageFolder: photos/cat/2019/*.png are cats. A hidden file (macOS's
    "._0.png" beside each image it zips) or folder is no image of the class."""
    spec = write_folder(tmp_path / "f", {"a": 4, "b": 4})
    write_folder(tmp_path / "f" / "a" / "2019", {"more": 4})
    (tmp_path / "f" / "b" / "._0.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    write_folder(tmp_path / "f" / "b" / ".thumbnails", {"x": 3})
    (tmp_path / "f" / "__MACOSX" / "a").mkdir(parents=True)  # macOS's zip metadata beside the classes
    (tmp_path / "f" / "__MACOSX" / "a" / "._0.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    splits = load_splits(spec, split=(0.5, 0.25, 0.25))
    assert splits.info["n_train"] + splits.info["n_val"] + splits.info["n_test"] == 12
    counts = np.bincount(np.concatenate([splits.y_train.numpy(), splits.y_val.numpy()]), minlength=2)
    assert counts[0] > counts[1] and splits.info["classes"] == ["a", "b"]  # 8 images of a, 4 of b


def test_the_extensions_torchvisions_image_folder_reads_are_read(tmp_path: Path) -> None:
    """The ORL faces come as .pgm files in one folder per person; .ppm is PPM's colour twin."""
    rng = np.random.default_rng(0)
    for label, ext, mode in (("s1", ".pgm", "L"), ("s2", ".ppm", "RGB"), ("s3", ".jfif", "RGB")):
        (tmp_path / "f" / label).mkdir(parents=True)
        for i in range(4):
            shape = (4, 4) if mode == "L" else (4, 4, 3)
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(
                tmp_path / "f" / label / f"{i}{ext}", format="JPEG" if ext == ".jfif" else None)
    splits = load_splits({"kind": "image_folder", "path": str(tmp_path / "f")}, split=(0.5, 0.25, 0.25))
    assert splits.info["classes"] == ["s1", "s2", "s3"] and splits.input_shape == (3, 4, 4)


def write_tiffs(root: Path, pixels: np.ndarray) -> dict:
    """Twelve TIFFs of ``pixels``, each told apart by its last pixel (no duplicates across splits)."""
    for n, label in enumerate(("a", "b")):
        (root / label).mkdir(parents=True)
        for i in range(6):
            image = pixels.copy()
            image[-1, -1] = (6 * n + i) / 12 if pixels.dtype.kind == "f" else 257 * 5 * (6 * n + i)
            Image.fromarray(image).save(root / label / f"{i}.tif")
    return {"kind": "image_folder", "path": str(root)}


def test_thirty_two_bit_grayscale_within_sixteen_bits_is_scaled_not_clipped(tmp_path: Path) -> None:
    """PIL opens 32-bit integer TIFFs (and 16-bit PNGs, before Pillow 10) as mode "I": read
    as 16-bit pixels, not clipped to white above 255."""
    wide = np.full((4, 4), 65535, dtype=np.int32)
    wide[0, 0], wide[0, 1] = 0, 32896
    spec = write_tiffs(tmp_path / "f", wide)
    assert Image.open(tmp_path / "f" / "a" / "0.tif").mode == "I"
    pixels = load_splits(spec, normalize="none").x_train[0, 0]
    assert pixels[0, 0].item() == 0.0 and pixels[0, 1].item() == pytest.approx(128 / 255)
    assert pixels[1, 1].item() == 1.0


def test_thirty_two_bit_pixels_beyond_sixteen_bits_are_refused(tmp_path: Path) -> None:
    spec = write_tiffs(tmp_path / "f", np.arange(16, dtype=np.int32).reshape(4, 4) * 10000)
    with pytest.raises(ConfigError, match=r"^task\.data\.path: .*0\.tif holds 32-bit pixels from 0 to 140000, "
                                          r"beyond 16 bits' 0 to 65535; save it with 8 or 16 bits per pixel$"):
        load_splits(spec)


def test_floating_point_images_are_refused_not_read_black(tmp_path: Path) -> None:
    """PIL's convert truncates float pixels: images of values in [0, 1] became all black."""
    spec = write_tiffs(tmp_path / "f", np.random.default_rng(0).random((4, 4)).astype(np.float32))
    with pytest.raises(ConfigError, match=r"^task\.data\.path: .*0\.tif holds floating-point pixels"):
        load_splits(spec)
