"""The shared leaderboard (``report.data.rank``: ``nntune show``, the report, the dashboard)
with trials valued inf or -inf, which complete as in Optuna: they are ranked where Optuna
orders them (-inf the best when minimizing, +inf the worst), so ``study.best_trial`` heads
the leaderboard instead of being left out of it."""

from __future__ import annotations

import json
import math

import optuna
import pytest

import nntune
from nntune.report import render_html
from nntune.report.data import best_of, build_report_data, objectives_rank, rank
from nntune.show import ranked_rows, show_data

VALUES = [3.0, -math.inf, 1.0, math.inf, 2.0]


def optimized(module, direction: str, **options) -> list:
    module.logging.set_verbosity(module.logging.WARNING)
    study = module.create_study(direction=direction, **options)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), VALUES[t.number])[1], n_trials=len(VALUES))
    return study


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_rank_orders_infinite_values_as_optuna_sorts_them(direction):
    study = optimized(nntune, direction)
    expected = optimized(optuna, direction).trials_dataframe().sort_values(
        "value", ascending=direction == "minimize", kind="stable")["number"].tolist()
    leaderboard = rank(study.trials, direction)
    assert [t.number for t in leaderboard] == expected
    assert best_of(leaderboard).number == study.best_trial.number


def test_a_pruned_trial_without_a_value_stays_off_the_leaderboard():
    study = optimized(nntune, "minimize")
    trial = study.ask()
    study.tell(trial, state=nntune.trial.TrialState.PRUNED)
    assert trial.number not in [t.number for t in rank(study.trials, "minimize")]


def test_several_objectives_rank_a_trial_whose_first_value_is_infinite():
    study = nntune.create_study(directions=["minimize", "minimize"])
    pairs = [(1.0, 2.0), (-math.inf, 5.0), (2.0, 1.0)]
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), pairs[t.number])[1], n_trials=len(pairs))
    ranked = objectives_rank(study.trials, "minimize", ["minimize", "minimize"])
    assert [t.number for t in ranked] == [1, 0, 2]  # all on the front, ordered by the first objective


@pytest.fixture
def url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'inf.db'}"
    optimized(nntune, "minimize", study_name="inf", storage=url)
    return url


def test_the_report_lists_the_trials_valued_inf_best_first(url):
    data = build_report_data(url, "inf")
    rows = data["trials"]["rows"]
    assert [r["number"] for r in rows] == [1, 2, 4, 0, 3]
    assert rows[0]["value"] == -math.inf and rows[0]["std_error"] is None
    page = render_html(data)
    trials = page.split('<section id="trials"', 1)[1].split("</section>", 1)[0]
    assert ">-inf<" in trials and ">inf<" in trials


def test_show_leads_with_study_best_trial_and_json_stays_strict(url, call_cli):
    data = show_data(url, "inf")
    assert [r["number"] for r in ranked_rows(data)][0] == data["best"] == 1
    code, out, err = call_cli("show", "--storage", url, "--study", "inf")
    assert code == 0, err
    assert "top 5 trials of inf" in out
    board = [line.split("│")[1:4] for line in out.splitlines() if line.startswith("│")]
    assert [[c.strip() for c in cells] for cells in board[:2]] == [["1", "complete", "-inf"], ["2", "complete", "1"]]
    assert [c.strip() for c in board[-1]] == ["3", "complete", "inf"]
    code, out, err = call_cli("show", "--storage", url, "--study", "inf", "--json")
    assert code == 0, err
    shown = json.loads(out, parse_constant=pytest.fail)  # strict: inf and -inf are text, not null
    assert [r["value"] for r in shown["trials"]] == [3.0, "-inf", 1.0, "inf", 2.0]
