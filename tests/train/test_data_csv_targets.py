"""A CSV's target column as classes: their names as the file writes them."""

from __future__ import annotations

from pathlib import Path

from nntune.train import load_splits


def test_whole_number_labels_with_a_gap_keep_their_names(tmp_path: Path) -> None:
    """pandas reads a column of 0 and 1 with an empty cell as floats; the row without a label
    is left out and the classes stay "0" and "1", as predictions will name them."""
    rows = "".join(f"{i},{'' if i == 3 else i % 2}\n" for i in range(40))
    (tmp_path / "t.csv").write_text("a,y\n" + rows)
    splits = load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"})
    assert splits.info["classes"] == ["0", "1"]
    assert splits.info["n_train"] + splits.info["n_val"] + splits.info["n_test"] == 39


def test_labels_with_fractions_forced_to_classes_keep_their_fractions(tmp_path: Path) -> None:
    rows = "".join(f"{i},{(i % 2) + 0.5}\n" for i in range(40))
    (tmp_path / "t.csv").write_text("a,y\n" + rows)
    spec = {"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y", "task": "classification"}
    assert load_splits(spec).info["classes"] == ["0.5", "1.5"]
