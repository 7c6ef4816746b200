"""A CSV file that cannot be used is one ConfigError naming ``task.data.path``, never a
pandas traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from nntune.exceptions import ConfigError
from nntune.train import load_splits


@pytest.mark.parametrize("content, problem", [
    (b"", "cannot read t.csv as CSV: No columns to parse from file"),
    (b"a,b,y\n", "t.csv has no rows with a 'y' value"),
    (b"a,b,y\n1,2,3\n4,5,6,7,8\n", "cannot read t.csv as CSV: Error tokenizing data"),
    (bytes(range(128, 256)) * 4, "cannot read t.csv as CSV: 'utf-8' codec can't decode"),
])
def test_an_unusable_csv_is_one_line(tmp_path: Path, content: bytes, problem: str) -> None:
    (tmp_path / "t.csv").write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"})
    assert caught.value.field == "task.data.path" and caught.value.problem.startswith(problem)
    assert "\n" not in str(caught.value)
