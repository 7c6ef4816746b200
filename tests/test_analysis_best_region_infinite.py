"""The report's best region of a study whose best trial returned -inf (Optuna takes it as
the best of a minimized study) left that trial out: the region and its "best trial" were
another trial's, against the report's own "best trial" line."""

from __future__ import annotations

import math

import nntune
from nntune.analysis import best_region
from nntune.report.data import best_of, rank
from nntune.space import Float, Space

SPACE = Space({"x": Float(0.0, 1.0)})


def study_with_infinite_values(direction: str) -> nntune.Study:
    study = nntune.create_study(direction=direction)
    best, worst = (-math.inf, math.inf) if direction == "minimize" else (math.inf, -math.inf)
    for x, value in ((0.1, best), (0.5, 0.5), (0.6, 0.6), (0.9, worst)):
        study.enqueue_trial({"x": x})
        study.optimize(lambda t, v=value: (t.suggest_float("x", 0.0, 1.0), v)[1], n_trials=1)
    return study


def test_the_best_region_starts_at_the_trial_valued_the_best_infinity():
    for direction in ("minimize", "maximize"):
        study = study_with_infinite_values(direction)
        trials = study.get_trials()
        region = best_region(trials, SPACE, direction, top_k=10)
        assert study.best_trial.number == 0 == best_of(rank(trials, direction)).number
        # the best trial first, as the report's header and Optuna say; the blow-up left out
        assert region["top_trials"] == ([0, 1, 2] if direction == "minimize" else [0, 2, 1])
        assert region["params"]["x"]["best"] == 0.1
        assert region["params"]["x"]["region"]["low"] == 0.1 and region["params"]["x"]["region"]["high"] == 0.6
