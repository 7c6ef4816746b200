"""Duplicated rows in a user's data put one sample on both sides of a split: its validation
or test score then measures what the model memorised. Such copies are told in a
:class:`DuplicateRowsWarning` when the data is loaded, counted per split; the splits stay
as the seed cuts them."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from nntune.train import load_splits
from nntune.train.split_check import DuplicateRowsWarning, shared_rows


def _table(tmp_path: Path, copies: int = 0, flip_copies: bool = False) -> dict:
    """60 distinct rows, then the first ``copies`` of them again (with the other label if
    ``flip_copies``)."""
    rows = [(i, i * 0.5, "ab"[i % 2]) for i in range(60)]
    rows += [(a, b, ("ba" if flip_copies else "ab")[a % 2]) for a, b, _ in rows[:copies]]
    (tmp_path / "t.csv").write_text("a,b,y\n" + "".join(f"{a},{b},{y}\n" for a, b, y in rows))
    return {"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"}


def _quiet(spec: dict | str, **kwargs: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DuplicateRowsWarning)
        load_splits(spec, **kwargs)


def test_copies_across_the_splits_are_counted_per_split(tmp_path: Path) -> None:
    spec = _table(tmp_path, copies=20)
    with pytest.warns(DuplicateRowsWarning) as said:
        splits = load_splits(spec, seed=0)
    x_train, x_val = splits.x_train.numpy(), splits.x_val.numpy()
    in_train = {tuple(row) for row in x_train.round(5).tolist()}
    val_copies = sum(tuple(row) in in_train for row in x_val.round(5).tolist())
    (message,) = [str(w.message) for w in said if w.category is DuplicateRowsWarning]
    assert message.startswith(f"t: {val_copies} of the 16 validation rows and ")
    assert message.endswith(" test rows are copies of training rows (duplicated rows in the data, same inputs and "
                            "target): their scores measure what was memorised; drop the duplicates to keep the "
                            "splits apart")
    with warnings.catch_warnings():  # the warning moves no row: the splits are those the seed cuts
        warnings.simplefilter("ignore", DuplicateRowsWarning)
        again = load_splits(spec, seed=0)
    assert again.info["split_fingerprint"] == splits.info["split_fingerprint"]


def test_distinct_rows_and_same_inputs_with_another_label_are_no_copies(tmp_path: Path) -> None:
    _quiet(_table(tmp_path))
    _quiet(_table(tmp_path, copies=20, flip_copies=True))  # noisy labels, not a memorised row


def test_an_npz_test_split_holding_rows_of_x_is_told(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] > 0).astype(int)
    np.savez(tmp_path / "d.npz", x=x, y=y, x_test=x, y_test=y)  # the whole file again as its test split
    with pytest.warns(DuplicateRowsWarning, match=r"^d: 48 of the 60 test rows are copies of training rows"):
        load_splits({"kind": "npz", "path": str(tmp_path / "d.npz")}, split=(0.8, 0.2), seed=0)


def test_a_bundled_data_set_is_taken_as_published() -> None:
    _quiet("iris")  # two of its 150 flowers are measured alike: nothing the user can change


def test_shared_rows_compares_inputs_and_targets() -> None:
    x = np.arange(12.0).reshape(6, 2)
    y = np.array([0, 1, 0, 1, 0, 1])
    assert shared_rows((x, y), {"val": (x[:2], y[:2]), "test": (x[2:4], 1 - y[2:4])}) == {"val": 2}
    assert shared_rows((x, y), {"val": (x[:0], y[:0])}) == {}


def test_the_command_line_tells_the_copies_in_one_line_before_any_trial(tmp_path: Path, call_cli) -> None:
    spec = _table(tmp_path, copies=20)
    (tmp_path / "c.yaml").write_text(f"study: d\nstorage: sqlite:///{tmp_path / 'd.db'}\n"
                                     f"task: {{data: {{kind: csv, path: {spec['path']}, target: y}}}}\n")
    code, out, err = call_cli("tune", str(tmp_path / "c.yaml"), "--dry-run")
    assert code == 0 and "data: " in out
    (line,) = [line for line in err.splitlines() if "copies of training rows" in line]
    assert line.startswith("nntune: warning: t: ")
