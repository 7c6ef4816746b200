"""``task.data.path`` checked before it is read: an empty one is not taken for ".", and a
pipe or a device is named for what it is, not called a folder."""

from __future__ import annotations

import os

import pytest

from nntune.train.data_paths import data_path
from nntune.exceptions import ConfigError


def _says(spec: dict, want_dir: bool = False) -> str:
    with pytest.raises(ConfigError) as err:
        data_path(spec, want_dir)
    text = str(err.value)
    assert text.startswith("task.data.path: ") and "\n" not in text
    return text


@pytest.mark.parametrize("value", ["", "  ", None])
def test_an_empty_path_is_refused_as_empty(value):
    text = _says({"kind": "csv", "path": value})
    assert "must not be empty" in text and "folder" not in text.split(";")[0]


def test_a_named_pipe_is_named_not_called_a_folder(tmp_path):
    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)
    text = _says({"kind": "csv", "path": str(fifo)})
    assert f"{fifo} is a named pipe, not a regular file" in text and "folder" not in text.split(";")[1]


def test_a_device_is_named_not_called_a_folder():
    text = _says({"kind": "npz", "path": os.devnull})
    assert f"{os.devnull} is a character device, not a regular file" in text


def test_files_and_folders_where_the_other_is_read(tmp_path):
    (tmp_path / "a.tar.gz").write_bytes(b"x")
    assert "is a folder" in _says({"kind": "csv", "path": str(tmp_path)})
    assert _says({"kind": "image_folder", "path": str(tmp_path / "a.tar.gz")}, want_dir=True).endswith(
        "is a file; unpack it and give the folder")
    assert "file not found" in _says({"kind": "csv", "path": str(tmp_path / "a.tar.gz" / "x.csv")})
    assert "a 'csv' data set needs a path" in _says({"kind": "csv"})


def test_a_regular_file_and_a_folder_pass(tmp_path):
    (tmp_path / "d.csv").write_text("a,y\n1,2\n")
    assert data_path({"kind": "csv", "path": str(tmp_path / "d.csv")}, False) == tmp_path / "d.csv"
    assert data_path({"kind": "image_folder", "path": str(tmp_path)}, True) == tmp_path
