"""``nntune predict`` on image files, one or a folder of them, for a model trained on an
image folder: read as that folder's images were, answered per file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import nntune
from nntune.exceptions import ConfigError
from nntune.model_file import save_model_file
from nntune.predict import predict_file
from nntune.train import fit, load_splits


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory):
    """Red and blue 8x8 PNGs in class folders, and a small CNN trained on them."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for name, colour in (("blue", (30, 30, 200)), ("red", (200, 30, 30))):
        (folder / "photos" / name).mkdir(parents=True)
        for i in range(8):
            pixels = np.clip(np.array(colour) + rng.normal(0, 20, (8, 8, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / "photos" / name / f"{i}.png")
    spec = {"kind": "image_folder", "path": str(folder / "photos")}
    splits = load_splits(spec, seed=0)
    params = {"epochs": 1, "model": "cnn"}
    model = fit(params, splits, metric="accuracy", seed=0).model
    path = save_model_file(folder / "m.pt", model, params, splits, study="photos", trial=0, data=spec)
    return folder, nntune.load_model(path)


def test_a_folder_and_a_file_are_predicted_as_their_pixels_are(photos, tmp_path):
    folder, model = photos
    table = predict_file(model, folder / "photos")
    assert list(table.columns) == ["file", "prediction", "p_blue", "p_red"] and len(table) == 16
    assert table["file"].iloc[0].endswith("blue/0.png")
    one = predict_file(model, folder / "photos" / "red" / "3.png")
    pixels = np.asarray(Image.open(folder / "photos" / "red" / "3.png"))[None]  # (1, H, W, C), as an npz holds it
    np.savez(tmp_path / "x.npz", x=pixels)
    same = predict_file(model, tmp_path / "x.npz")
    assert one["p_red"].iloc[0] == pytest.approx(same["p_red"].iloc[0])
    assert one["p_red"].iloc[0] == pytest.approx(table.set_index("file").loc[str(folder / "photos" / "red" / "3.png"),
                                                                              "p_red"])


def test_images_that_cannot_be_predicted_are_one_line(photos, tmp_path):
    _, model = photos
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.png").write_text("not an image")
    Image.new("RGB", (20, 20)).save(tmp_path / "big.png")
    for path, says in ((tmp_path / "empty", "holds no image file"), (tmp_path / "bad.png", "cannot read"),
                       (tmp_path / "big.png", "big.png is 20x20 pixels .height x width., the model takes 8x8; resize")):
        with pytest.raises(ConfigError, match=says) as raised:
            predict_file(model, path)
        assert raised.value.field == "input" and "\n" not in str(raised.value)


def test_hidden_files_in_a_folder_are_not_predicted(photos, tmp_path):
    """A folder unzipped on macOS holds "._name.png" beside each image: no image to read."""
    folder, model = photos
    (tmp_path / "new").mkdir()
    Image.open(folder / "photos" / "red" / "0.png").save(tmp_path / "new" / "0.png")
    (tmp_path / "new" / "._0.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    table = predict_file(model, tmp_path / "new")
    assert list(table["file"]) == [str(tmp_path / "new" / "0.png")]
