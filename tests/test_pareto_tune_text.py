"""What ``nntune tune`` prints for several objectives and constraints: a leaderboard column
per objective, and a progress bar whose best value is a feasible trial's."""

from __future__ import annotations

from rich.console import Console

from nntune.cli_progress import TuneProgress
from nntune.cli_text import leaderboard_table
from nntune.config import parse_config
from nntune.trial import TrialState, create_trial
from nntune.distributions import FloatDistribution


def _trial(number: int, values: list[float], constraint: float):
    t = create_trial(state=TrialState.COMPLETE, values=values, params={"lr": 0.01},
                     distributions={"lr": FloatDistribution(1e-3, 1e-1, log=True)}, constraints=[constraint])
    t.number = number
    return t


def test_the_leaderboard_shows_every_objective():
    console = Console(width=200, record=True)
    console.print(leaderboard_table([_trial(0, [0.9, 4191.0], -1.0)], "accuracy", "top", ["accuracy", "params"]))
    text = console.export_text()
    assert "val accuracy" in text and "4191" in text and "0.9" in text and "hyperparameters" in text


def test_the_progress_bar_skips_a_trial_that_breaks_a_constraint():
    cfg = parse_config({"task": {"metric": "accuracy", "constraints": {"params": {"max": 1000}}}})
    progress = TuneProgress(Console(file=open("/dev/null", "w")), cfg, "header")

    class Study:
        direction = "maximize"

    progress.on_trial(Study(), _trial(0, [0.95], 500.0))  # better but too big
    progress.on_trial(Study(), _trial(1, [0.80], -10.0))
    assert progress.best == 0.80
