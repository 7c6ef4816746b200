"""``nntune tune``'s leaderboard for several objectives: ranked as ``show`` ranks it (by
non-dominated rank, trials that break a constraint after every feasible one), not by the
first objective alone."""

from __future__ import annotations

from nntune.config import parse_config
from nntune.runner import prepare, run_tune
from nntune.samplers import is_feasible
from nntune.show import ranked_rows, show_data


def test_the_tune_leaderboard_puts_feasible_fronts_first_as_show_does(tmp_path):
    cfg = parse_config({"study": "board", "storage": f"sqlite:///{tmp_path / 's.db'}",
                        "task": {"data": "digits", "train_size": 300, "metric": ["accuracy", "params"],
                                 "constraints": {"params": {"max": 1500}}},
                        "search": {"sampler": "random", "trials": 6, "seed": 3},
                        "space": {"units": {"type": "int", "low": 4, "high": 128, "log": True},
                                  "lr": {"type": "float", "low": 1e-2, "high": 1e-1, "log": True}},
                        "fixed": {"epochs": 1, "layers": 1}})
    summary = run_tune(prepare(cfg))
    board = summary.leaderboard
    feasible = [is_feasible(t) for t in board]
    assert any(feasible) and not all(feasible), "the space should hold networks on both sides of the bound"
    assert feasible == sorted(feasible, reverse=True)  # no infeasible trial above a feasible one
    assert {t.number for t in board[:len(summary.front)]} == {t.number for t in summary.front}
    assert [t.number for t in board] == [r["number"] for r in ranked_rows(show_data(cfg.storage, "board"))]
