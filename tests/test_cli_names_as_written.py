"""Study names, choice values and paths are the user's words: ``exp[bs=64]`` or ``x[/]y``
are printed as written, never read as rich markup (which dropped ``[bs=64]`` and raised
MarkupError on ``[/]``, after the study was created)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import nntune
from nntune.builtin import TestResult as Look
from nntune.cli_progress import TuneProgress, tune_header
from nntune.cli_text import leaderboard_table, print_test
from nntune.config import parse_config
from nntune.distributions import CategoricalDistribution
from nntune.trial import TrialState, create_trial

NAMES = ["exp[bs=64]", "x[/]y", "b[i]old"]


def _console() -> Console:
    return Console(file=io.StringIO(), width=200, record=True)


@pytest.mark.parametrize("name", NAMES)
def test_the_tune_header_shows_the_study_and_data_as_named(name):
    cfg = parse_config({"study": name, "task": {"data": "iris"}})
    console = _console()
    study = nntune.create_study(study_name=name)  # in memory, holding no trial: nothing to run
    TuneProgress(console, cfg, tune_header(cfg, "sqlite:///a [1].db", "maximize validation accuracy")).on_start(study, 0)
    first, second = console.export_text().splitlines()[:2]
    assert first == f"study {name} in sqlite:///a [1].db: mlp on iris, maximize validation accuracy"
    assert second.endswith("nothing to run")


@pytest.mark.parametrize("name", NAMES)
def test_the_leaderboard_and_the_test_look_show_the_study_as_named(name):
    t = create_trial(state=TrialState.COMPLETE, value=0.9, params={"act": "[red]x"},
                     distributions={"act": CategoricalDistribution(["[red]x", "y"])})
    t.number = 0
    console = _console()
    console.print(leaderboard_table([t], "accuracy", f"top 1 trials of {name}"))
    print_test(console, name, Look(0, {"accuracy": 0.8}, 1))
    text = console.export_text()
    assert f"top 1 trials of {name}" in text and "act=[red]x" in text
    assert f"the test split of study {name} has now been evaluated once" in text


def test_studies_lists_a_bracketed_name_as_named(call_cli, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    for name in NAMES:
        nntune.create_study(study_name=name, storage=url)
    code, out, err = call_cli("studies", "--storage", url)
    assert code == 0, err
    for name in NAMES:
        assert f" {name} " in out


def test_babysit_ends_with_the_study_as_named(call_cli, tmp_path):
    code, out, err = call_cli("babysit", "--storage", f"sqlite:///{tmp_path / 'b.db'}", "--study", "b[i]old",
                              "--set", "task.data=iris", "--set", "fixed.epochs=1")
    assert code == 0, err
    assert "trial 0 of study b[i]old: complete, validation accuracy" in out

