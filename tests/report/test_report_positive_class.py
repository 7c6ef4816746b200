"""The report's test look says which class its binary precision, recall, f1 and specificity
are of, as ``nntune tune`` does: class 1 of two, or the config's ``task.positive_class``."""

from __future__ import annotations

from typing import Any

from nntune.report import render_html
from nntune.report.data import build_report_data
from nntune.storage import get_storage
from nntune.trial import TrialState


def looked_study(url: str, name: str, attrs: dict[str, Any], metrics: dict[str, Any]) -> None:
    storage = get_storage(url)
    sid = storage.create_study(name, "maximize", attrs)
    number = storage.create_trial(sid, params={}, distributions={})
    storage.finish_trial(sid, number, TrialState.COMPLETE, 0.9)
    storage.record_test_evaluation(sid, number, metrics)


def look_section(url: str, name: str) -> str:
    page = render_html(build_report_data(url, name))
    return page.split('<section id="test">', 1)[1].split("</section>", 1)[0]


BINARY = {"accuracy": 0.95, "recall": 0.9, "tp": 38, "fp": 1, "fn": 4, "tn": 71, "classes": ["benign", "malignant"],
          "confusion_matrix": [[71, 1], [4, 38]]}


def test_binary_scores_name_their_class(tmp_path):
    url = f"sqlite:///{tmp_path / 'binary.db'}"
    looked_study(url, "second", {"config": {"task": {}}}, BINARY)
    looked_study(url, "first", {"config": {"task": {"positive_class": 0}}}, BINARY)
    assert "are of class malignant against the rest" in look_section(url, "second")
    assert "are of class benign against the rest" in look_section(url, "first")


def test_macro_averages_name_no_class(tmp_path):
    url = f"sqlite:///{tmp_path / 'macro.db'}"
    looked_study(url, "macro", {"config": {"task": {}}}, {"accuracy": 0.9, "recall": 0.9, "classes": ["a", "b", "c"],
                                                          "confusion_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]})
    assert "against the rest" not in look_section(url, "macro")
