"""Arrays given to ``nntune.load_model``'s module from Python: numbers held as objects read as
numbers, text refused in one line, and rows ``predict`` cannot answer (NaN, infinite) refused
by row, as ``nntune predict`` refuses them in a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import nntune
from nntune.exceptions import ConfigError
from nntune.model_file import TunedModel, save_model_file
from nntune.train import fit, load_splits

ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])


@pytest.fixture(scope="module")
def iris_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    splits = load_splits("iris", seed=0)
    params = {"epochs": 1, "units": 4, "layers": 1}
    model = fit(params, splits, seed=0).model
    return save_model_file(tmp_path_factory.mktemp("iris") / "m.pt", model, params, splits, study="iris",
                           trial=0, data="iris")


@pytest.fixture(scope="module")
def iris(iris_file: Path) -> TunedModel:
    return nntune.load_model(iris_file)


def test_predict_refuses_missing_and_infinite_rows_by_row(iris) -> None:
    gap, infinite = ROWS.copy(), ROWS.copy()
    gap[1, 2], infinite[0, 0] = np.nan, np.inf
    # The network answers them with NaN, which argmax made the first class: 'setosa'.
    for given in (gap, torch.tensor(gap, dtype=torch.float32), gap.tolist()):
        for answer in (iris.predict, iris.predict_proba):
            with pytest.raises(ConfigError, match=r"^input: the batch has missing values \(rows \[1\]\); the model "
                                                  r"was trained without filling them") as raised:
                answer(given)
            assert "\n" not in str(raised.value)
    with pytest.raises(ConfigError, match=r"^input: the batch has infinite values \(rows \[0\]\)$"):
        iris.predict(infinite)
    with pytest.raises(ConfigError, match=r"missing values \(rows \[0\]\)"):
        iris.predict(gap[1])  # one input, unbatched, is row 0
    assert torch.isnan(iris(torch.tensor(gap, dtype=torch.float32))[1]).all()  # the module itself, as any
    assert len(iris.predict(ROWS)) == 2 and iris.predict(np.zeros((0, 4))) == []


def test_numbers_held_as_objects_predict_and_text_is_one_line(iris) -> None:
    held = ROWS.astype(object)  # to_numpy() of a DataFrame with an int or bool column beside floats
    held[0, 0] = 5  # an int among floats
    assert iris.predict(held) == iris.predict(np.array([[5.0, 3.5, 1.4, 0.2], ROWS[1]]))
    gap = held.copy()
    gap[1, 3] = np.nan
    with pytest.raises(ConfigError, match=r"missing values \(rows \[1\]\)"):
        iris.predict(gap)
    for text in (np.array([["5.1", "a", "1.4", "0.2"]]), [[5.1, "a", 1.4, 0.2]]):
        with pytest.raises(ValueError, match="^inputs must be numbers, got 'a'; a table with text columns is read "
                                             "by name from a DataFrame$"):
            iris.predict(text)


def test_a_device_the_machine_lacks_is_named_not_the_file(iris_file) -> None:
    # torch's load failed on it, and the file was called "not an nntune model file"
    for device in ("cuda:99", "gpu"):
        with pytest.raises(ConfigError, match=f"^map_location: '{device}' is not a device of this machine: ") \
                as raised:
            nntune.load_model(iris_file, map_location=device)
        assert "\n" not in str(raised.value)
    assert nntune.load_model(iris_file, map_location=torch.device("cpu")).shift.device.type == "cpu"


@pytest.mark.parametrize(("given", "got"), [
    (None, "got None"),
    ("rows.csv", "got str 'rows.csv'; a file's rows are read by the command nntune predict"),
    (b"", "got bytes b''; a file's rows"),
    (Path("rows.csv"), "got path 'rows.csv'; a file's rows"),
    ({"sepal_length": 5.1}, "got dict {'sepal_length': 5.1}"),
])
def test_what_holds_no_inputs_is_refused_naming_x_and_what_it_takes(iris, given, got) -> None:
    # Torch's words were its internals: "Could not infer dtype of NoneType", "new(): invalid data type 'str'".
    for answer in (iris.predict, iris.predict_proba, iris):
        with pytest.raises(TypeError) as raised:
            answer(given)
        assert str(raised.value).startswith("x: must be a tensor, a numpy array, nested lists of numbers or a "
                                            f"pandas DataFrame, {got}")
        assert "\n" not in str(raised.value)
    with pytest.raises(ValueError, match=r"^inputs of shape \(0,\); the model takes a batch of shape \(N, 4\)$"):
        iris.predict([])  # an empty list was one line already
