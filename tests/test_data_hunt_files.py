"""A user's own image folders and npz files as they come: a zip unpacked into a folder of
its own name, images of two sizes (one of them damaged), one array saved with ``np.save``
where ``np.savez`` was meant. Each is one line naming the field and the file, told before
any pixel is decoded or any model trained."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nntune.exceptions import ConfigError
from nntune.model_file import load_model, save_model_file
from nntune.predict import predict_file
from nntune.train import fit, load_splits


def _images(folder: Path, size: tuple[int, int] = (8, 8), n: int = 4) -> None:
    rng = np.random.default_rng(0)
    for label in ("cat", "dog"):
        (folder / label).mkdir(parents=True)
        for i in range(n):
            pixels = rng.integers(0, 256, (size[0], size[1], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / label / f"{i}.png")


def test_class_folders_one_folder_down_are_pointed_at(tmp_path: Path) -> None:
    """A zip of photos/ unpacked into photos/ gives photos/photos/{cat,dog}."""
    _images(tmp_path / "photos" / "photos")
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "image_folder", "path": str(tmp_path / "photos")})
    assert caught.value.field == "task.data.path"
    assert caught.value.problem.endswith(f"; the class folders seem to be in {tmp_path / 'photos' / 'photos'}")


def test_images_of_two_sizes_are_named_before_any_is_decoded(tmp_path: Path) -> None:
    """The sizes are in the headers: a damaged image of another size is told as a size to
    resize, with the files of each size, not after decoding the whole folder."""
    _images(tmp_path / "f")
    wide = tmp_path / "f" / "dog" / "wide.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (8, 12, 3), dtype=np.uint8)).save(wide)
    wide.write_bytes(wide.read_bytes()[:60])  # its header reads, its pixels do not
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "image_folder", "path": str(tmp_path / "f")})
    assert str(caught.value) == (f"task.options.resize: images in {tmp_path / 'f'} differ in size (cat/0.png is "
                                 "8x8, dog/wide.png 8x12, height x width); set resize")


def test_one_array_saved_with_np_save_is_told_so(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((10, 3)))
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "npz", "path": str(tmp_path / "x.npy")})
    assert str(caught.value) == ("task.data.path: cannot read x.npy as a numpy .npz file: it is not the zip of "
                                 "named arrays np.savez writes; it holds one array, as np.save writes: save the "
                                 "inputs and targets with np.savez(path, x=x, y=y)")


def test_predict_on_an_npz_file_holding_one_array_is_one_line(tmp_path: Path, call_cli) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    np.savez(tmp_path / "d.npz", x=x, y=(x[:, 0] > 0).astype(int))
    spec = {"kind": "npz", "path": str(tmp_path / "d.npz")}
    splits = load_splits(spec, seed=0)
    params = {"epochs": 1, "units": 4, "layers": 1}
    path = save_model_file(tmp_path / "m.pt", fit(params, splits, metric="accuracy", seed=0).model, params,
                           splits, study="s", trial=0, data=spec)
    with (tmp_path / "new.npz").open("wb") as fh:  # np.save's array under an .npz name
        np.save(fh, x[:5])
    with pytest.raises(ConfigError, match=r"^input: cannot read new.npz as a numpy .npz file: it is not the zip"):
        predict_file(load_model(path), tmp_path / "new.npz")
    code, out, err = call_cli("predict", str(path), str(tmp_path / "new.npz"))
    assert code == 2 and out == "" and err.count("\n") == 1 and "it holds one array, as np.save writes" in err
    np.savez(tmp_path / "good.npz", x=x[:5])
    assert len(predict_file(load_model(path), tmp_path / "good.npz")) == 5


def _idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_idx_files_each_in_a_folder_of_its_own_name_are_read(tmp_path: Path) -> None:
    """Kaggle's MNIST unpacks to train-images-idx3-ubyte/train-images-idx3-ubyte: a folder
    of the file's name, which was opened as the file."""
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (30, 6, 6)),
              "train-labels-idx1-ubyte": np.arange(30) % 3}
    for name, array in arrays.items():
        (tmp_path / name).mkdir()
        _idx(tmp_path / name / name, array)
    splits = load_splits({"kind": "idx", "path": str(tmp_path)})
    assert splits.info["classes"] == ["0", "1", "2"] and splits.input_shape == (1, 6, 6)


def test_an_archive_given_for_a_folder_is_to_be_unpacked(tmp_path: Path) -> None:
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"\x1f\x8b" + bytes(30))
    (tmp_path / "table").mkdir()
    for spec, says in (({"kind": "cifar10", "path": str(tmp_path / "cifar-10-python.tar.gz")},
                        f"kind cifar10 reads a folder; {tmp_path / 'cifar-10-python.tar.gz'} is a file; unpack it "
                        "and give the folder"),
                       ({"kind": "csv", "path": str(tmp_path / "table"), "target": "y"},
                        f"kind csv reads a file; {tmp_path / 'table'} is a folder")):
        with pytest.raises(ConfigError) as caught:
            load_splits(spec)
        assert str(caught.value) == f"task.data.path: {says}"


@pytest.mark.filterwarnings("ignore:f. splits differ")  # four random images per class
def test_predict_takes_images_of_any_size_where_the_model_resizes_them(tmp_path: Path) -> None:
    """A model whose evaluation batches were resized (task.augment) takes images of any
    size in Python; nntune predict took only the stored images' size."""
    _images(tmp_path / "f")
    spec = {"kind": "image_folder", "path": str(tmp_path / "f")}
    splits = load_splits(spec, seed=0)
    params = {"epochs": 1, "units": 4, "layers": 1}
    path = save_model_file(tmp_path / "m.pt", fit(params, splits, metric="accuracy", seed=0).model, params,
                           splits, study="s", trial=0, data=spec, resize=(8, 8))
    Image.fromarray(np.full((12, 20, 3), 200, dtype=np.uint8)).save(tmp_path / "big.png")
    out = predict_file(load_model(path), tmp_path / "big.png")
    assert list(out.columns) == ["file", "prediction", "p_cat", "p_dog"] and len(out) == 1
    Image.fromarray(np.full((12, 20), 200, dtype=np.uint8)).save(tmp_path / "gray.png")  # read as RGB, as trained
    assert len(predict_file(load_model(path), tmp_path / "gray.png")) == 1


@pytest.mark.filterwarnings("ignore:f. splits differ")  # four random images per class
def test_predict_names_the_image_of_another_size(tmp_path: Path) -> None:
    _images(tmp_path / "f")
    spec = {"kind": "image_folder", "path": str(tmp_path / "f")}
    splits = load_splits(spec, seed=0)
    params = {"epochs": 1, "units": 4, "layers": 1}
    path = save_model_file(tmp_path / "m.pt", fit(params, splits, metric="accuracy", seed=0).model, params,
                           splits, study="s", trial=0, data=spec)
    (tmp_path / "new" / "more").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "new" / "a.png")
    Image.fromarray(np.zeros((12, 20, 3), dtype=np.uint8)).save(tmp_path / "new" / "more" / "b.png")
    with pytest.raises(ConfigError) as caught:
        predict_file(load_model(path), tmp_path / "new")
    assert str(caught.value) == ("input: more/b.png is 12x20 pixels (height x width), the model takes 8x8; resize "
                                 "the images to that size")
