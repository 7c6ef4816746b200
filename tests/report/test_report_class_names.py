"""The report's confusion matrix names its classes, as the data set does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nntune
from nntune.report.figures import confusion_figure


def _confusion_axes(page: str) -> tuple[list[str], list[str]]:
    plot = page[page.index('"plot-confusion",'):]
    heatmap = json.loads(re.search(r'\[(\{.*?"type":"heatmap"\})\]', plot).group(1))
    return heatmap["x"], heatmap["y"]


def test_a_tuned_breast_cancer_study_names_benign_and_malignant(tmp_path: Path, monkeypatch) -> None:
    # nntune codes malignant as 1 (scikit-learn codes it 0): rows "0" and "1" would read backwards
    monkeypatch.chdir(tmp_path)
    summary = nntune.tune({"study": "bc", "storage": f"sqlite:///{tmp_path / 'bc.db'}",
                           "task": {"data": "breast_cancer"}, "search": {"trials": 1},
                           "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True}},
                           "fixed": {"epochs": 1}}, report=tmp_path / "bc.html", model_file=False)
    page = Path(summary.report_path).read_text("utf-8")
    assert _confusion_axes(page) == (["benign", "malignant"], ["benign", "malignant"])


def test_a_look_without_names_keeps_the_class_numbers() -> None:
    heatmap = confusion_figure([[3, 1], [0, 4]]).data[0]
    assert list(heatmap.x) == ["0", "1"]
    assert list(confusion_figure([[3, 1], [0, 4]], ["a", "b", "c"]).data[0].y) == ["0", "1"]
