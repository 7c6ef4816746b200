"""A folder of images as a data set: ``task.data: {kind: image_folder, path: photos/}`` with
one sub-folder per class (the images in its own sub-folders count too). Every file is
opened one at a time (a folder of thousands would exceed the open-file limit otherwise),
16-bit grayscale (and 32-bit whose values fit 16 bits) is scaled to 8 bits rather than
clipped, and a file that is not an image, one of floating-point pixels, or a class folder
without an image, is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nntune.exceptions import ConfigError
from nntune.train.data_paths import data_path
from nntune.train.datasets import RawData, size_pair

# torchvision's ImageFolder's extensions (.pgm and .ppm: the ORL faces, among others) and a few more PIL reads
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".jfif", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm", ".ppm",
                    ".pbm", ".pnm")
# 16-bit grayscale (PNG, TIFF) as PIL opens it; "I" (32-bit integers) too, as Pillow before 10
# opened a 16-bit PNG and as 32-bit TIFFs open: read as 16-bit when their values fit 0..65535
WIDE_GRAY = ("I;16", "I;16B", "I;16L", "I")
SIXTEEN_BITS = 65535


def _pil_mode(modes: list[str], grayscale: bool) -> str:
    if grayscale or all(mode in ("L", "1", "I", *WIDE_GRAY) for mode in modes):
        return "L"
    return "RGB"


def _open_image(path: Path) -> Any:
    """``path`` opened with PIL (only its header is read until the pixels are asked for)."""
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(path)
    except (UnidentifiedImageError, OSError) as err:
        raise ConfigError("task.data.path", f"cannot read {path} as an image: {err}") from None


def _eight_bits(pixels: np.ndarray, path: Path) -> np.ndarray:
    """16-bit grayscale pixels scaled to 0..255 (65535 becomes 255). 32-bit ones beyond
    0..65535 are refused: scaled by their own extremes, the same value would be another
    shade in every image, and clipped, most of them would be white."""
    low, high = (int(pixels.min()), int(pixels.max())) if pixels.size else (0, 0)
    if low < 0 or high > SIXTEEN_BITS:
        raise ConfigError("task.data.path", f"{path} holds 32-bit pixels from {low} to {high}, beyond 16 bits' 0 to "
                                            f"{SIXTEEN_BITS}; save it with 8 or 16 bits per pixel")
    return np.round(pixels.astype(np.float64) / 257.0).astype(np.uint8)


def _image_array(path: Path, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """One image's pixels, converted to ``mode`` and resized to ``size`` (height, width)."""
    from PIL import Image

    with _open_image(path) as im:
        if im.mode == "F":  # PIL's convert truncates them to 0..255: pixels in [0, 1] would all be black
            raise ConfigError("task.data.path", f"{path} holds floating-point pixels, whose range an image does not "
                                                "tell; save it with 8 or 16 bits per pixel, or the arrays as npz")
        try:
            if im.mode in WIDE_GRAY:  # PIL's convert would clip every value above 255 to white
                im = Image.fromarray(_eight_bits(np.asarray(im), path), "L")
            im = im.convert(mode)
        except OSError as err:  # a header that reads, pixels that do not (a truncated file)
            raise ConfigError("task.data.path", f"cannot read {path} as an image: {err}") from None
        if size is not None and im.size != (size[1], size[0]):
            im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def image_files(folder: Path) -> list[Path]:
    """The image files under ``folder``, its sub-folders too (as torchvision's ImageFolder
    finds them), in sorted order; hidden files and folders are left out, such as the
    "._name.jpg" companions macOS writes into a folder it zips."""
    return sorted(f for f in folder.rglob("*") if f.suffix.lower() in IMAGE_EXTENSIONS and f.is_file()
                  and not any(part.startswith(".") or part == "__MACOSX" for part in f.relative_to(folder).parts))


def _class_folders(root: Path) -> list[Path]:
    """The folders under ``root`` that are classes: hidden ones and macOS's __MACOSX (the
    metadata its zip of a folder adds) are not."""
    return sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".") and d.name != "__MACOSX")


def _inner(class_dirs: list[Path]) -> str:
    """A hint when the one folder found holds the class folders (a zip unpacked into a folder
    of its own name): the path meant is that folder."""
    if len(class_dirs) != 1:
        return ""
    inner = _class_folders(class_dirs[0])
    return f"; the class folders seem to be in {class_dirs[0]}" if len(inner) >= 2 and any(
        image_files(d) for d in inner) else ""


def read_image_folder(spec: Mapping[str, Any], opts: Mapping[str, Any]) -> RawData:
    """One sub-folder per class, each holding image files; all images must share a size
    unless ``resize`` is given."""
    root = data_path(spec, want_dir=True)
    class_dirs = _class_folders(root)
    files = [(f, label) for label, d in enumerate(class_dirs) for f in image_files(d)]
    if len(class_dirs) < 2 or not files:
        raise ConfigError("task.data.path",
                          f"{root} needs one sub-folder per class (at least two) holding images{_inner(class_dirs)}")
    present = {label for _, label in files}
    empty = [d.name for label, d in enumerate(class_dirs) if label not in present]
    if empty:  # a class without an example: an output never trained, a recall of 0 in every average
        raise ConfigError("task.data.path", f"the class folders {empty} in {root} hold no image "
                                            f"({', '.join(IMAGE_EXTENSIONS)})")
    # One file open at a time: a folder of thousands of images would exhaust the open-file limit.
    modes, sizes = [], {}
    for f, _ in files:
        with _open_image(f) as im:
            modes.append(im.mode)
            sizes.setdefault((im.size[1], im.size[0]), f)
    size = size_pair(opts["resize"]) if opts.get("resize") is not None else None
    if size is None and len(sizes) > 1:  # told by the headers, before any pixel is decoded
        (first, one), (second, other) = sorted(sizes.items())[:2]
        raise ConfigError("task.options.resize", f"images in {root} differ in size ({one.relative_to(root)} is "
                                                 f"{first[0]}x{first[1]}, {other.relative_to(root)} "
                                                 f"{second[0]}x{second[1]}, height x width); set resize")
    mode = _pil_mode(modes, bool(opts.get("grayscale", False)))
    arrays = [_image_array(f, mode, size) for f, _ in files]
    x = np.stack(arrays)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    labels = np.array([label for _, label in files], dtype=np.int64)
    return RawData(np.ascontiguousarray(x), labels, "classification", "image", root.name,
                   f"image folder {root}", classes=[d.name for d in class_dirs])
