"""Predicted classes come back as the training data's labels: integers stay integers (in the
table, its JSON and CSV, and ``TunedModel.predict``), text stays text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import nntune
from nntune.model_file import class_labels


@pytest.mark.parametrize(("names", "labels"), [
    (["0", "1", "2"], [0, 1, 2]),
    (["-1", "3", "10"], [-1, 3, 10]),
    (["high", "low"], ["high", "low"]),
    (["1", "a"], ["1", "a"]),  # one text label makes them all text
    (["007", "1"], ["007", "1"]),  # a leading zero: written as text in the data
    (["+1", "2"], ["+1", "2"]),
    (["1.5", "2"], ["1.5", "2"]),
    ([], []),
    (["False", "True"], [False, True]),  # a bool target: predict(x) == y compared a string to True
    (["False", "True", "maybe"], ["False", "True", "maybe"]),
])
def test_class_labels_are_integers_only_where_every_name_is_one(names, labels) -> None:
    got = class_labels(names)
    assert got == labels and [type(v) for v in got] == [type(v) for v in labels]


@pytest.fixture(scope="module")
def grades(tmp_path_factory):
    """A CSV classification of integer labels 3 and 7, tuned once: (folder, model file)."""
    folder = tmp_path_factory.mktemp("grades")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "grade": np.where(x[:, 0] > 0, 7, 3)}).to_csv(
        folder / "grades.csv", index=False)
    summary = nntune.tune({"study": "grades", "storage": f"sqlite:///{folder / 'g.db'}",
                           "task": {"data": {"kind": "csv", "path": str(folder / "grades.csv"), "target": "grade"}},
                           "search": {"trials": 1, "sampler": "random"}, "space": {},
                           "fixed": {"epochs": 5, "optimizer": "adam", "lr": 0.01}},
                          report=False, model_file=folder / "grades.pt")
    return folder, summary.model_path


def test_integer_labels_are_predicted_as_integers_in_json_and_csv(grades, call_cli, tmp_path) -> None:
    folder, path = grades
    code, _, err = call_cli("predict", str(path), str(folder / "grades.csv"), "-o", str(tmp_path / "p.json"))
    assert code == 0, err
    rows = json.loads((tmp_path / "p.json").read_text())
    assert {type(r["prediction"]) for r in rows} == {int} and {r["prediction"] for r in rows} <= {3, 7}
    assert {"p_3", "p_7"} <= set(rows[0])  # the probability columns keep the names
    code, out, err = call_cli("predict", str(path), str(folder / "grades.csv"))
    assert code == 0, err
    table = pd.read_csv(pd.io.common.StringIO(out))
    assert set(table["prediction"]) <= {3, 7} and (table["prediction"] == table["grade"]).mean() > 0.8


def test_tuned_model_predict_gives_integer_labels(grades) -> None:
    _, path = grades
    model = nntune.load_model(path)
    got = model.predict(np.array([[2.0, 0.0], [-2.0, 0.0]], dtype=np.float32))
    assert got == [7, 3] and model.classes == ["3", "7"] and model.labels == [3, 7]
