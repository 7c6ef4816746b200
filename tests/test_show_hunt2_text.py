"""``nntune show`` on studies off the happy path: the user's words in brackets (a
diagnosis quoting ``[nan, 1.0]``, a parameter or objective named ``w[red]``) are printed,
not read as rich markup; a study of several objectives without a complete trial prints a
line, not empty tables; the Pareto front's hyperparameters wrap, never cut off."""

from __future__ import annotations

import io

from rich.console import Console

import nntune
from nntune.show import render_show, show_data


def printed(url: str, study: str, width: int = 200) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None)
    render_show(show_data(url, study), console)
    return buf.getvalue()


def test_a_diagnosis_that_quotes_brackets_is_printed_whole(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"

    def objective(trial: nntune.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        return (float("nan"), 1.0) if trial.number == 1 else (x, 1 - x)

    study = nntune.create_study(storage=url, study_name="mo", directions=["minimize", "minimize"])
    study.optimize(objective, n_trials=3)
    out = printed(url, "mo")
    diagnosis = out[out.index("diagnosis of those trials"):]
    assert "objective returned [nan, 1.0]" in diagnosis


def test_names_in_brackets_are_printed_not_taken_for_styles(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"

    def objective(trial: nntune.Trial) -> tuple[float, float]:
        x = trial.suggest_float("w[red]", 0, 1)
        y = trial.suggest_float("[bold]b", 0, 1)
        return x + y, 1 - x

    study = nntune.create_study(storage=url, study_name="mo", directions=["minimize", "minimize"],
                                sampler=nntune.samplers.RandomSampler(seed=0))
    study.set_metric_names(["[red]loss", "size[1]"])
    study.optimize(objective, n_trials=10)
    out = printed(url, "mo", width=250)
    # The objectives in the leaderboard's title and columns, and in the front's.
    assert out.count("[red]loss") >= 4 and out.count("size[1]") >= 4
    # The importance table names the parameters as they were asked.
    importance = out[out.index("parameters by measured importance"):]
    assert "w[red]" in importance and "[bold]b" in importance


def test_a_study_of_several_objectives_without_a_value_prints_lines_not_empty_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    nntune.create_study(storage=url, study_name="mo", directions=["minimize", "maximize"])
    out = printed(url, "mo", width=100)
    assert "no trial of mo has a value yet" in out
    assert "no trial of mo is on the Pareto front yet (minimize objective 0, maximize objective 1)" in out
    assert "top 0 trials" not in out and "0 trials (" not in out and "┏" not in out


def test_the_front_s_hyperparameters_wrap_on_a_narrow_terminal_rather_than_being_cut(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"

    def objective(trial: nntune.Trial) -> tuple[float, float]:
        x = trial.suggest_float("learning_rate", 0.1, 1)
        trial.suggest_categorical("optimizer", ["momentum_with_nesterov"])
        return x, 1 - x

    study = nntune.create_study(storage=url, study_name="mo", directions=["minimize", "minimize"])
    study.optimize(objective, n_trials=2)
    buf = io.StringIO()
    console = Console(file=buf, width=80, color_system=None, force_terminal=True)  # a terminal: not widened
    render_show(show_data(url, "mo"), console)
    front = buf.getvalue()[buf.getvalue().index("Pareto front of mo"):]
    assert "…" not in front
    assert "momentum_with_nesterov" in front.replace("│", "").replace(" ", "").replace("\n", "")


def test_a_short_list_of_failures_keeps_its_title_on_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"

    def objective(trial: nntune.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise ValueError("no")

    study = nntune.create_study(storage=url, study_name="f")
    study.optimize(objective, n_trials=2, catch=(ValueError,))
    out = printed(url, "f", width=80)
    assert "2 trials failed or diverged (not ranked)\n" in out
