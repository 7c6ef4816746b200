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


def test_text_labels_differing_only_in_spaces_are_one_class(tmp_path: Path) -> None:
    """"yes " (a space before the line end) and " no" (one after the separator) are the
    classes yes and no, not four classes; a label of spaces alone is no label."""
    labels = ["yes", "yes ", " no", "no", "  yes  ", "no  "]
    rows = "".join(f"{i},{'   ' if i == 7 else labels[i % len(labels)]}\n" for i in range(48))
    (tmp_path / "t.csv").write_text("a,y\n" + rows)
    splits = load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"})
    assert splits.info["classes"] == ["no", "yes"]
    assert splits.info["rows_left_out"]["no_target"] == 1
    assert splits.info["n_train"] + splits.info["n_val"] + splits.info["n_test"] == 47
