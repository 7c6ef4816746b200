"""``nntune show`` beside the report and the best trial, on SQLite studies built with nntune's
API: one ranking everywhere, trials in flight counted and named, and the diagnoses and
changes while training of failed and diverged trials printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

import nntune
from nntune.control import set_trial_params
from nntune.report import render_html
from nntune.report.data import build_report_data
from nntune.show import ranked_rows, render_show, show_data
from nntune.trial import TrialState


def rendered(data: dict, width: int = 220) -> str:
    console = Console(record=True, width=width)
    render_show(data, console)
    return console.export_text()


def new_study(url: str, name: str, direction: str) -> nntune.Study:
    return nntune.create_study(study_name=name, storage=url, direction=direction,
                               sampler=nntune.samplers.RandomSampler(seed=0))


def run_trial(study: nntune.Study, value: float, loss: float, epochs: int) -> nntune.Trial:
    """A trial asked and trained for ``epochs`` epochs at ``value`` (validation loss ``loss``),
    left running for the caller to tell."""
    trial = study.ask()
    trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    for epoch in range(1, epochs + 1):
        trial.report(value, epoch, {"epoch": epoch, "train_loss": loss, "val_loss": loss, "value": value})
    trial.set_user_attr("val_loss", loss)
    return trial


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'views.db'}"


def ranked_study(url: str) -> nntune.Study:
    """Three complete trials tied at 0.90 (validation losses 0.30, 0.10, 0.10; 10, 12, 8
    epochs), a trial stopped early at 0.95 (better than any complete one), one stopped at
    0.90 with the lowest loss of all, and a complete one at 0.80."""
    study = new_study(url, "ranked", "maximize")
    for value, loss, epochs, pruned in ((0.90, 0.30, 10, False), (0.90, 0.10, 12, False), (0.90, 0.10, 8, False),
                                        (0.95, 0.50, 3, True), (0.90, 0.05, 4, True), (0.80, 0.20, 10, False)):
        trial = run_trial(study, value, loss, epochs)
        study.tell(trial, state=TrialState.PRUNED) if pruned else study.tell(trial, value)
    return study


def test_show_the_report_and_the_best_trial_share_one_ranking(url):
    study = ranked_study(url)
    # The README's order: by value (the pruned 0.95 first); at equal value complete before
    # pruned, then the lower validation loss, then fewer epochs.
    expected = [3, 2, 1, 0, 4, 5]
    data = show_data(url, "ranked")
    assert [r["number"] for r in ranked_rows(data)] == expected
    report = build_report_data(url, "ranked")
    assert [r["number"] for r in report["trials"]["rows"]] == expected
    assert report["diagnosis"][0]["number"] == 3  # the top trials are the leaderboard's
    assert data["best"] == report["summary"]["best"]["number"] == study.best_trial.number == 2
    board = rendered(data).split("top 6 trials", 1)[1].split("└", 1)[0]
    assert [line.split("│")[1].strip() for line in board.splitlines()
            if line.startswith("│") and line.split("│")[1].strip().isdigit()] == [str(n) for n in expected]


def live_study(url: str) -> nntune.Study:
    """One complete trial; trial 1 diverged (its objective returned NaN); trial 2 failed
    after a change of its learning rate taken after epoch 1; trial 3 running (its process
    gone, as after kill -9) after 2 epochs; trial 4 queued."""
    study = new_study(url, "live", "minimize")
    study.tell(run_trial(study, 0.2, 0.2, 3), 0.2)
    study.tell(run_trial(study, 1.0, 1.0, 1), float("nan"))
    failing = run_trial(study, 0.5, 0.5, 1)
    set_trial_params(study.storage, study.id, "live", failing.number, {"lr": 0.002})
    study.storage.take_param_changes(study.id, failing.number, 1, failing.params)
    study.tell(failing, state=TrialState.FAILED)
    run_trial(study, 0.3, 0.3, 2)
    study.enqueue_trial({"lr": 0.01})
    return study


def test_running_and_waiting_trials_are_counted_and_named(url):
    live_study(url)
    data = show_data(url, "live")
    assert data["counts"] == {"complete": 1, "pruned": 0, "failed": 1, "diverged": 1, "running": 1, "waiting": 1}
    text = rendered(data)
    assert "trial 3 (2 epochs so far) is running; 1 trial waiting in the queue" in text
    assert "1 complete, 0 pruned, 1 failed, 1 diverged, 1 running, 1 waiting" in text
    json.dumps(data, allow_nan=False)
    report = build_report_data(url, "live")
    assert report["summary"]["counts"] == data["counts"]
    page = render_html(report)
    assert "1 running, 1 waiting" in page and "trial 3 (2 epochs so far) is running" in page


def test_nothing_ranked_yet_is_said_in_words(url):
    study = new_study(url, "started", "maximize")
    run_trial(study, 0.5, 0.5, 1)
    text = rendered(show_data(url, "started"))
    assert "top 0 trials" not in text and "no trial of started has a value yet" in text
    assert "trial 0 (1 epoch so far) is running" in text


def test_failed_and_diverged_trials_keep_their_diagnosis_and_changes_in_the_text(url):
    live_study(url)
    data = show_data(url, "live")
    rows = {r["number"]: r for r in data["trials"]}
    assert rows[1]["findings"] == ["diverged"] and rows[2]["changes"][0]["param"] == "lr"
    text = rendered(data)
    diagnosis = text.split("diagnosis of those trials", 1)[1].split("changes while training", 1)[0]
    assert "objective returned nan" in diagnosis and "learning rate is far too large" in diagnosis
    changes = text.split("changes while training", 1)[1].split("└", 1)[0]
    assert [line.split("│")[1].strip() for line in changes.splitlines()
            if line.startswith("│") and line.split("│")[1].strip().isdigit()] == ["2"]
    assert "0.002" in changes


def test_the_tune_leaderboard_marks_a_trial_that_breaks_a_constraint_as_show_does(url):
    from nntune.cli_text import leaderboard_table
    from nntune.report.data import feasible_first
    from nntune.trial import ranked

    study = new_study(url, "bounded", "maximize")
    for value, size in ((0.9, -1.0), (0.95, 1.0)):
        trial = run_trial(study, value, 0.1, 2)
        trial.set_constraint("size", size)
        study.tell(trial, value)
    console = Console(record=True, width=200)
    console.print(leaderboard_table(feasible_first(ranked(study.trials, "maximize")), "accuracy", "top 2"))  # the runner's order
    tune = console.export_text()
    show = rendered(show_data(url, "bounded"))
    for text in (tune, show):
        states = [line.split("│")[2].strip() for line in text.split("└", 1)[0].splitlines()
                  if line.startswith("│") and line.split("│")[1].strip().isdigit()]
        assert states == ["complete", "complete, infeasible"]  # the best first: a trial that breaks a constraint after
    assert study.best_trial.number == 0


def _last_column(text: str) -> str:
    """The last column's cells of a table's body, joined without their line breaks."""
    body = text.split("┡", 1)[1].split("└", 1)[0]
    return "".join(line.split("│")[-2].strip() for line in body.splitlines() if line.startswith("│"))


@pytest.mark.parametrize("width", [60, 80])
def test_a_terminal_of_80_columns_or_fewer_shows_every_hyperparameter_whole(url, width):
    # Rich cut long cells short with an ellipsis: an 80-column terminal read
    # "optimizer=rms…" and "momentum=0.97…", a value lost to the reader.
    from nntune.cli_text import leaderboard_table

    study = new_study(url, "narrow", "maximize")
    for value in (0.91, 0.93):
        trial = study.ask()
        for name, choices in (("optimizer", ["rmsprop", "momentum"]), ("lr_schedule", ["constant", "cosine"])):
            trial.suggest_categorical(name, choices)
        trial.suggest_float("momentum", 0.9, 0.999)
        trial.report(value, 1)
        study.tell(trial, value)
    wanted = ["".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in t.params.items())
              for t in sorted(study.trials, key=lambda t: -t.value)]
    console = Console(record=True, width=width)
    console.print(leaderboard_table(sorted(study.trials, key=lambda t: -t.value), "accuracy", "top 2"))
    for text in (rendered(show_data(url, "narrow"), width), console.export_text()):
        assert "…" not in text
        assert _last_column(text) == "".join(wanted)
