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


GOOD = "a,b,kind,y\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]},{'cd'[i % 2]}\n" for i in range(20))


@pytest.mark.parametrize("spec, content, field, problem", [
    ({}, GOOD.replace("\n4,", "\ninf,", 1), "task.data.path", "t.csv has infinite values in ['a']"),
    ({"task": "regression"}, GOOD, "task.data.task", "a regression needs numbers, but target 'y' of t.csv holds 'c'"),
    ({"task": "regression"}, "a,y\n" + "".join(f"{i},{i * 1.5}\n" for i in range(19)) + "19,-inf\n",
     "task.data.target", "target 'y' of t.csv has infinite values"),
    ({"features": ["a", "y"]}, GOOD, "task.data.features", "lists the target column 'y'"),
    ({"features": ["a", "b", "a"]}, GOOD, "task.data.features", "lists ['a'] more than once"),
    ({"features": 5}, GOOD, "task.data.features", "give a column name or a list of them, got 5"),
    ({"features": []}, GOOD, "task.data.features", "lists no column"),
    ({"sep": 5}, GOOD, "task.data.sep", "give the character between columns"),
    ({"sep": ""}, GOOD, "task.data.sep", "give the character between columns"),
    ({}, GOOD.replace(",", ";"), "task.data.sep", "t.csv reads as the one column 'a;b;kind;y' split by ','; give "
     "the character between its columns"),
    ({}, "y\n" + "1\n2\n" * 10, "task.data.features", "t.csv has no column besides the target 'y'"),
    ({"target": ["y"]}, GOOD, "task.data.target", "give one column name, got ['y']"),
    ({}, GOOD.replace(",c\n", ",d\n"), "task.data", "t has one class only ('d') to train on"),
    ({}, "a,y\n" + "".join(f"{i * 0.5},{'cd'[i % 2]}\n" for i in range(29)) + "?,c\n", "task.data.path",
     "t.csv: column 'a' holds numbers but '?' in row 29; leave a missing number empty, or the column is read "
     "as text, one one-hot column per value"),
    ({}, "a,y\n" + "".join(f"{i},{i * 0.5}\n" for i in range(29)) + "29,unknown\n", "task.data.path",
     "t.csv: column 'y' holds numbers but 'unknown' in row 29; leave a missing number empty, or the column is read "
     "as text, one class per value"),
    ({}, "name,a,y\n" + "".join(f"passenger {i},{i % 5},{'cd'[i % 2]}\n" for i in range(40)), "task.data.features",
     "t.csv: text column 'name' holds 40 different values in 40 rows, a one-hot column for each: an identifier or "
     "free text, not a category; list the other columns in task.data.features"),
    # two inputs of one name: new rows, matched by name, would give both the one-hot value
    ({}, GOOD.replace("a,b,kind,", "a,kind_x,kind,"), "task.data.features", "t.csv: column 'kind_x' and text "
     "column 'kind' (its value 'x') both make the input 'kind_x'; rename one, or list the columns to use in "
     "task.data.features"),
    ({}, "a,a_b,y\n" + "".join(f"b_{'cd'[i % 2]},{'cd'[i % 2]},{'cd'[i % 2]}\n" for i in range(20)),
     "task.data.features", "t.csv: text column 'a' (its value 'b_c') and text column 'a_b' (its value 'c') both "
     "make the input 'a_b_c'"),
])
def test_a_csv_nntune_cannot_learn_from_is_one_line_naming_the_field(tmp_path: Path, spec: dict, content: str,
                                                                     field: str, problem: str) -> None:
    (tmp_path / "t.csv").write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y", **spec})
    assert caught.value.field == field and caught.value.problem.startswith(problem), str(caught.value)
    assert "\n" not in str(caught.value)


def test_one_feature_named_as_a_string_is_that_column(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(GOOD.replace("a,b,", "ab,b,"))
    splits = load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y", "features": "ab"})
    assert splits.info["feature_names"] == ["ab"] and splits.input_shape == (1,)


def test_a_text_column_of_a_few_codes_stays_one_hot(tmp_path: Path) -> None:
    rows = "".join(f"{i},{['1', '2', 'x'][i % 3]},{'cd'[i % 2]}\n" for i in range(30))
    (tmp_path / "t.csv").write_text("a,code,y\n" + rows)
    splits = load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"})
    assert splits.info["feature_names"] == ["a", "code_1", "code_2", "code_x"]


@pytest.mark.parametrize("spec, field, problem", [
    ({"kind": "npz", "features": ["a"]}, "task.data.features", "applies to csv data, not to npz data"),
    ({"kind": "npz", "sep": ";"}, "task.data.sep", "applies to csv data"),
    ({"kind": "csv", "target": "y", "x": "inputs"}, "task.data.x", "applies to npz data, not to csv data"),
    ({"kind": "csv", "target": "y", "classes": ["c", "d"]}, "task.data.classes", "applies to idx and npz data"),
    ({"kind": "image_folder", "target": "y"}, "task.data.target", "applies to csv data, not to image_folder data"),
])
def test_a_key_another_kind_takes_is_refused_not_ignored(tmp_path: Path, spec: dict, field: str,
                                                          problem: str) -> None:
    """``features:`` of an npz file would otherwise be ignored, and every column trained on."""
    import numpy as np

    (tmp_path / "t.csv").write_text(GOOD)
    np.savez(tmp_path / "t.npz", x=np.zeros((20, 2)), y=np.arange(20) % 2)
    (tmp_path / "photos").mkdir()
    path = {"csv": "t.csv", "npz": "t.npz", "image_folder": "photos"}[spec["kind"]]
    with pytest.raises(ConfigError) as caught:
        load_splits({**spec, "path": str(tmp_path / path)})
    assert caught.value.field == field and caught.value.problem.startswith(problem), str(caught.value)


def test_a_text_column_of_many_categories_among_many_rows_stays_one_hot(tmp_path: Path) -> None:
    rows = "".join(f"{i},city{i % 30},{'cd'[i % 2]}\n" for i in range(90))  # 30 cities, three rows each
    (tmp_path / "t.csv").write_text("a,city,y\n" + rows)
    splits = load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"})
    assert splits.input_shape == (31,)
    named = load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y", "features": ["a"]})
    assert named.input_shape == (1,)


def test_a_target_with_spaces_around_its_name_is_pointed_at(tmp_path: Path) -> None:
    """"a, b, y" (a space after each comma) names the column ' y': the list of columns shows
    it only in the spacing of its quotes, so the refusal says so."""
    (tmp_path / "t.csv").write_text("a, b, y\n" + "".join(f"{i}, {i % 3}, {'cd'[i % 2]}\n" for i in range(20)))
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"})
    assert str(caught.value) == ("task.data.target: name the target column; t.csv has ['a', ' b', ' y']; ' y' has "
                                 "spaces around its name: give target: ' y'")
