"""A user's own CSV as spreadsheets and pandas write it: a separator ending every line, the
index ``DataFrame.to_csv`` writes, decimal commas, a file not in UTF-8, an empty column, a
text target of one value per row. Each trains as a pandas user would expect or is one line
naming the field, before any training; ``nntune predict`` reads new rows the same way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.model_file import save_model_file
from nntune.predict import predict_file
from nntune.train import fit, load_splits


def _table(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n).round(3), "colour": rng.choice(["red", "blue"], n),
                         "label": rng.choice(["cat", "dog"], n)})


def _spec(path: Path, **options: str) -> dict:
    return {"kind": "csv", "path": str(path), "target": "label", **options}


def test_a_separator_ending_every_line_adds_no_feature(tmp_path: Path) -> None:
    """"a,colour,label," (as some spreadsheets export) reads as a fourth column without a
    header and without a value: no feature, not 60 missing values to drop."""
    text = _table().to_csv(index=False).replace("\n", ",\n")
    (tmp_path / "t.csv").write_text(text)
    splits = load_splits(_spec(tmp_path / "t.csv"))
    assert splits.info["feature_names"] == ["a", "colour_blue", "colour_red"]


def test_the_index_to_csv_writes_is_no_feature(tmp_path: Path) -> None:
    """``df.to_csv(path)`` writes the row numbers first, under no header: rows sorted by
    their label would let every model learn the label from it."""
    table = _table().sort_values("label").reset_index(drop=True)
    table.to_csv(tmp_path / "t.csv")
    splits = load_splits(_spec(tmp_path / "t.csv"))
    assert splits.info["feature_names"] == ["a", "colour_blue", "colour_red"]
    # named, the same numbers are a feature like any other
    table.rename_axis("row").to_csv(tmp_path / "named.csv")
    assert load_splits(_spec(tmp_path / "named.csv")).info["feature_names"][0] == "row"


def test_a_column_without_any_value_is_named_not_sent_to_missing_drop(tmp_path: Path) -> None:
    _table().assign(colour=np.nan).to_csv(tmp_path / "t.csv", index=False)
    for missing in ("error", "drop"):
        with pytest.raises(ConfigError) as caught:
            load_splits(_spec(tmp_path / "t.csv", missing=missing))
        assert str(caught.value) == ("task.data.features: t.csv: column 'colour' holds no value in any row; list "
                                     "the other columns in task.data.features")


def test_decimal_commas_are_named_and_read_with_decimal(tmp_path: Path) -> None:
    table = _table()
    table.to_csv(tmp_path / "t.csv", index=False, sep=";", decimal=",")
    with pytest.raises(ConfigError) as caught:
        load_splits(_spec(tmp_path / "t.csv", sep=";"))
    assert caught.value.field == "task.data.decimal" and "column 'a' holds numbers written with a decimal comma" in \
        caught.value.problem
    splits = load_splits(_spec(tmp_path / "t.csv", sep=";", decimal=","), normalize="none")
    assert splits.info["feature_names"] == ["a", "colour_blue", "colour_red"]
    every = np.sort(np.concatenate([splits.x_train[:, 0].numpy(), splits.x_val[:, 0].numpy()]))
    assert np.isin(np.round(every.astype(np.float64), 3), table["a"]).all()
    with pytest.raises(ConfigError, match="^task.data.decimal: give one character other than the separator ','"):
        load_splits(_spec(tmp_path / "t.csv", decimal=","))


def test_a_file_not_in_utf8_is_read_with_its_encoding(tmp_path: Path) -> None:
    table = _table().replace({"colour": {"red": "rød"}})
    table.to_csv(tmp_path / "t.csv", index=False, encoding="cp1252")
    with pytest.raises(ConfigError) as caught:
        load_splits(_spec(tmp_path / "t.csv"))
    assert caught.value.problem.endswith("give its encoding in task.data.encoding (cp1252, latin-1, utf-16)")
    assert load_splits(_spec(tmp_path / "t.csv", encoding="cp1252")).info["feature_names"][-1] == "colour_rød"
    with pytest.raises(ConfigError, match="^task.data.encoding: unknown encoding 'klingon'"):
        load_splits(_spec(tmp_path / "t.csv", encoding="klingon"))
    # Excel's "Unicode text": UTF-16 after its byte-order mark
    table.to_csv(tmp_path / "u.csv", index=False, encoding="utf-16")
    assert load_splits(_spec(tmp_path / "u.csv")).info["feature_names"][-1] == "colour_rød"


def test_a_text_target_of_one_value_per_row_is_no_class(tmp_path: Path) -> None:
    """Prices with a currency sign read as text: 60 classes of one row each, refused."""
    _table().assign(label=[f"${i},000" for i in range(60)]).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ConfigError) as caught:
        load_splits(_spec(tmp_path / "t.csv"))
    assert caught.value.field == "task.data.target"
    assert caught.value.problem.startswith("t.csv: target 'label' holds 60 different text values in 60 rows")


def test_a_regression_left_one_training_row_is_refused_before_training(tmp_path: Path) -> None:
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [1.5, 2.5, 7.25]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"})
    assert str(caught.value) == "task.split: leaves 1 training sample of the 3 of t; a regression needs two or more"


def test_predict_reads_new_rows_as_the_training_file_was_read(tmp_path: Path, call_cli) -> None:
    """A model trained on a semicolon file with decimal commas in cp1252 reads new rows of
    that kind; a new row's index column (to_csv's) and its own order of columns change nothing."""
    table = _table().replace({"colour": {"red": "rød"}})
    table.to_csv(tmp_path / "t.csv", index=False, sep=";", decimal=",", encoding="cp1252")
    spec = _spec(tmp_path / "t.csv", sep=";", decimal=",", encoding="cp1252")
    splits = load_splits(spec, seed=0)
    params = {"epochs": 1, "units": 4, "layers": 1}
    path = save_model_file(tmp_path / "m.pt", fit(params, splits, metric="accuracy", seed=0).model, params,
                           splits, study="s", trial=0, data=spec)
    model = nntune.load_model(path)
    new = table.drop(columns="label").head(4)
    new[["colour", "a"]].to_csv(tmp_path / "new.csv", sep=";", decimal=",", encoding="cp1252")
    out = predict_file(model, tmp_path / "new.csv")
    expected = model.predict(new)
    assert list(out["prediction"]) == expected and list(out["a"]) == list(new["a"])
    code, out_text, err = call_cli("predict", str(path), str(tmp_path / "new.csv"))
    assert code == 0 and err == "" and out_text.splitlines()[0] == "Unnamed: 0,colour,a,prediction,p_cat,p_dog"
    # Excel's first line naming the separator is no row
    text = (tmp_path / "new.csv").read_text(encoding="cp1252")
    (tmp_path / "hinted.csv").write_text(f"sep=;\r\n{text}", encoding="cp1252")
    assert list(predict_file(model, tmp_path / "hinted.csv")["prediction"]) == expected


def test_a_first_line_naming_the_separator_is_read_as_excel_reads_it(tmp_path: Path) -> None:
    """"sep=;" on a line of its own before the header (a hint to Excel, as some exports
    write): the separator when task.data.sep is not given, and no row of the table."""
    text = _table().to_csv(index=False, sep=";", decimal=",")
    (tmp_path / "t.csv").write_text(f"sep=;\n{text}", encoding="utf-8-sig")
    splits = load_splits(_spec(tmp_path / "t.csv", decimal=","))
    assert splits.info["feature_names"] == ["a", "colour_blue", "colour_red"]
    assert splits.info["n_train"] + splits.info["n_val"] + splits.info["n_test"] == 60


def test_a_file_that_is_no_csv_text_is_told_what_it_is(tmp_path: Path) -> None:
    """A workbook, gzip data without its .gz, or a .gz, .zip pandas cannot unpack: one line
    saying so, not a decoding error's advice or an OSError's traceback."""
    import gzip
    import zipfile

    text = _table().to_csv(index=False).encode()
    with zipfile.ZipFile(tmp_path / "book.xlsx", "w") as book:
        book.writestr("xl/workbook.xml", "<workbook/>" * 50)
    (tmp_path / "packed.csv").write_bytes(gzip.compress(text))
    (tmp_path / "t.parquet").write_bytes(b"PAR1" + bytes(range(128, 256)) * 2 + b"PAR1")
    (tmp_path / "plain.csv.gz").write_bytes(text)
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress(text)[:100])
    with zipfile.ZipFile(tmp_path / "two.csv.zip", "w") as both:
        both.writestr("a.csv", text)
        both.writestr("b.csv", text)
    for name, says in (("book.xlsx", "it is a zip archive (an Excel .xlsx workbook, an .npz file), not text; save "
                                     "the table as CSV"),
                       ("packed.csv", "it is compressed with gzip; name it with .gz at its end, or unpack it"),
                       ("t.parquet", "it is a Parquet file, not text; save the table as CSV (DataFrame.to_csv)"),
                       ("plain.csv.gz", "Not a gzipped file"),
                       ("cut.csv.gz", "Compressed file ended before the end-of-stream marker was reached"),
                       ("two.csv.zip", "Multiple files found in ZIP file")):
        with pytest.raises(ConfigError) as caught:
            load_splits(_spec(tmp_path / name))
        assert caught.value.field == "task.data.path"
        assert caught.value.problem.startswith(f"cannot read {name} as CSV: {says}"), caught.value.problem


def test_a_file_without_a_header_line_is_told_so(tmp_path: Path) -> None:
    """UCI's iris.data: its first row is read as the column names."""
    (tmp_path / "iris.data").write_text("5.1,3.5,1.4,1.4,Iris-setosa\n4.9,3.0,1.4,0.2,Iris-setosa\n")
    with pytest.raises(ConfigError) as caught:
        load_splits({"kind": "csv", "path": str(tmp_path / "iris.data"), "target": "species"})
    assert str(caught.value) == ("task.data.target: name the target column; iris.data has ['5.1', '3.5', '1.4', "
                                 "'1.4.1', 'Iris-setosa']; its first line holds numbers, not column names: add a "
                                 "header line")


def test_a_total_line_without_a_label_leaves_the_numbers_numbers(tmp_path: Path) -> None:
    """A spreadsheet's "Total" line under the table: its row has no label and is left out,
    and the column it put a word in is read as the numbers the other rows hold."""
    text = _table().to_csv(index=False) + "Total,,\n"
    (tmp_path / "t.csv").write_text(text)
    splits = load_splits(_spec(tmp_path / "t.csv"))
    assert splits.info["feature_names"] == ["a", "colour_blue", "colour_red"]
    assert splits.info["rows_left_out"]["no_target"] == 1
