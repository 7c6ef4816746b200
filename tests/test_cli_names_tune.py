"""``nntune tune`` and ``nntune show`` print a study named ``x[/]y`` as named: the name is no
rich markup (it raised MarkupError after creating the study, or dropped ``[bs=64]``)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("name", ["exp[bs=64]", "x[/]y"])
def test_tune_and_show_print_the_study_as_named(call_cli, tmp_path, monkeypatch, name):
    monkeypatch.setenv("COLUMNS", "300")  # each line whole
    url = f"sqlite:///{tmp_path / 't.db'}"
    code, out, err = call_cli("tune", "--storage", url, "--study", name, "--set", "task.data=iris",
                              "--set", "search.trials=1", "--set", "fixed.epochs=1", "--set", "space={}")
    assert code == 0, err
    assert out.startswith(f"study {name} in {url}: mlp on iris")
    assert f"top 1 trial of {name}" in out and f"the test split of study {name} has now" in out
    code, out, err = call_cli("show", "--storage", url, "--study", name)
    assert code == 0, err
    assert f"top 1 trial of {name} " in out and f"the test split of {name} " in out
