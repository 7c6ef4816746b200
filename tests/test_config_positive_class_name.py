"""``task.positive_class`` given as a class's name (``malignant``) is refused with the index to
give instead and the data's classes; it said only "input should be a valid integer"."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("given, said", [
    ("malignant", "give the class's index, not its name: 'malignant' is 1 (classes: 0 benign, 1 malignant)"),
    ("tumour", "give a class's index, not a name; 'tumour' is not a class of breast_cancer "
               "(classes: 0 benign, 1 malignant)"),
    ("-1", "must be a class index >= 0, got -1"),
])
def test_a_class_name_is_refused_with_its_index(call_cli, tmp_path, monkeypatch, given, said):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--dry-run", "--set", "task.data=breast_cancer", "--set", "task.metric=recall",
                              "--set", f"task.positive_class={given}")
    assert (code, out) == (2, "")
    assert err == f"nntune: error: task.positive_class: {said}\n"
    assert not list(tmp_path.iterdir())


def test_an_index_is_taken(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--dry-run", "--json", "--set", "task.data=breast_cancer",
                              "--set", "task.metric=recall", "--set", "task.positive_class=1")
    assert code == 0, err
