"""``stalled``: a define-by-run trial that reports only its value, frozen far short of the
study's best (at chance under a rate far too large, crawling under one far too small,
frozen where a decay took the rate to zero), is told so instead of "the curves look
healthy". Curves recorded from real runs: digits MLPs trained by a plain objective (30
epochs, validation accuracy or loss reported), and the few-trial races' recordings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nntune
from nntune.diagnose import diagnose, diagnose_trials
from nntune.diagnose_stall import stalled_finding
from nntune.trial import TrialState

# digits, a 64-128-10 MLP, seed 0, validation accuracy per epoch (the objective's reports)
ACCURACY = {
    "adam 1e-3": [0.7463, 0.8481, 0.8722, 0.887, 0.8926, 0.9259, 0.9296, 0.9296, 0.9296, 0.9426, 0.9463, 0.9481,
                  0.95, 0.9537, 0.9519, 0.9611, 0.9574, 0.9574, 0.9611, 0.9667, 0.9611, 0.9593, 0.9667, 0.9574,
                  0.9648, 0.9648, 0.9648, 0.9685, 0.9667, 0.9685],
    "sgd 1e-4": [0.1, 0.1019, 0.1019, 0.1019, 0.1019, 0.1019, 0.1037, 0.1056, 0.1056, 0.1056, 0.1056, 0.1074,
                 0.1074, 0.1074, 0.1111, 0.1111, 0.1111, 0.1111, 0.1111, 0.1111, 0.1111, 0.113, 0.1148, 0.1148,
                 0.1148, 0.1167, 0.1148, 0.1148, 0.1148, 0.1148],
    "sgd 2.0": [0.1833, 0.1463, 0.1, 0.0889, 0.0963, 0.0833, 0.0981, 0.1, 0.0889, 0.1056, 0.1, 0.0889, 0.1, 0.0833,
                0.1056, 0.0981, 0.1056, 0.1, 0.1111, 0.1056, 0.1, 0.1, 0.0981, 0.1111, 0.0833, 0.0981, 0.0889,
                0.1056, 0.0981, 0.0833],
    "adam 0.05": [0.9204, 0.9204, 0.9444, 0.9611, 0.9389, 0.9444, 0.9648, 0.9315, 0.8926, 0.937, 0.9648, 0.963,
                  0.9556, 0.9685, 0.9704, 0.9759, 0.9796, 0.9778, 0.9815, 0.9815, 0.9796, 0.9815, 0.9815, 0.9815,
                  0.9833, 0.9833, 0.9833, 0.9833, 0.9833, 0.9833],
    "sgd 0.01, exponential decay 0.6": [0.187, 0.2722, 0.3093, 0.3407, 0.3444, 0.35, 0.3611, 0.363, 0.3648,
                                        *[0.3667] * 21],
}
# the same runs reporting the validation loss (minimized)
LOSS = {
    "adam 1e-3": [1.842, 1.2198, 0.7915, 0.5725, 0.4535, 0.3667, 0.3203, 0.2786, 0.2547, 0.2329, 0.2094, 0.2043,
                  0.1852, 0.1774, 0.1726, 0.1651, 0.1632, 0.1558, 0.15, 0.1397, 0.1413, 0.1362, 0.1307, 0.1359,
                  0.128, 0.1225, 0.1238, 0.1179, 0.1199, 0.1195],
    "sgd 2.0": [2.761, 2.297, 2.3368, 2.3443, 2.3358, 2.334, 2.3448, 2.3338, 2.3468, 2.3197, 2.3555, 2.3278,
                2.4218, 2.3471, 2.3323, 6.08, 2.3202, 2.3485, 2.3254, 2.3526, 2.322, 2.3303, 2.316, 2.3498, 2.3408,
                2.3155, 2.3703, 2.3329, 2.3418, 2.3316],
    "sgd 0.01, exponential decay 0.6": [2.2821, 2.2614, 2.2489, 2.2413, 2.2367, 2.2339, 2.2322, 2.2312, 2.2306,
                                        2.2302, 2.23, 2.2299, 2.2298, *[2.2297] * 17],
}


def study_of(curves: dict[str, list[float]], direction: str) -> nntune.Study:
    study = nntune.create_study(direction=direction)
    for name, values in curves.items():
        trial = study.ask({"run": nntune.distributions.CategoricalDistribution(list(curves))})
        for epoch, value in enumerate(values):
            trial.report(value, epoch)
        study.tell(trial, values[-1])
    return study


def kinds(study: nntune.Study, curves: dict[str, list[float]]) -> dict[str, list[str]]:
    found = diagnose_trials(study.trials, study.direction.name.lower())
    return {name: [f.kind for f in found[n]] for n, name in enumerate(curves)}


def test_runs_frozen_far_short_of_the_best_are_named_and_good_ones_are_not():
    found = kinds(study_of(ACCURACY, "maximize"), ACCURACY)
    assert found == {"adam 1e-3": [], "sgd 1e-4": ["stalled"], "sgd 2.0": ["stalled"], "adam 0.05": [],
                     "sgd 0.01, exponential decay 0.6": ["stalled"]}
    study = study_of(ACCURACY, "maximize")
    (decayed,) = diagnose_trials(study.trials, "maximize")[4]
    assert decayed.summary == ("the reported value went from 0.187 to 0.3667 (its best 0.3667) against the study's "
                               "best of 0.9833; its last 15 epochs closed 0.0% of that gap, and 77% of it is left")
    assert decayed.severity == "warning" and "decay that reaches zero early" in decayed.advice


def test_a_minimized_value_reads_the_same():
    assert kinds(study_of(LOSS, "minimize"), LOSS) == {"adam 1e-3": [], "sgd 2.0": ["stalled"],
                                                       "sgd 0.01, exponential decay 0.6": ["stalled"]}


def test_a_crawl_the_rate_rule_explains_is_not_named_twice():
    # SGD at 1e-4 reporting its loss: still falling steadily at the end, so lr_too_small says it.
    crawl = [2.3166 - 0.00035 * i for i in range(30)]
    curves = {"adam 1e-3": LOSS["adam 1e-3"], "sgd 1e-4": crawl}
    assert kinds(study_of(curves, "minimize"), curves)["sgd 1e-4"] == ["lr_too_small"]


def test_a_running_trial_or_one_with_records_is_not_read_so():
    study = study_of(ACCURACY, "maximize")
    trial = study.ask()
    for epoch, value in enumerate(ACCURACY["sgd 2.0"]):
        trial.report(value, epoch)
    running = study.trials[-1]
    assert running.state == TrialState.RUNNING
    assert diagnose(running, study_best=0.9833, direction="maximize") == []
    recorded = study.ask()  # the same curve with the trainer's records: its own rules read those
    for epoch, (value, loss) in enumerate(zip(ACCURACY["sgd 0.01, exponential decay 0.6"],
                                              LOSS["sgd 0.01, exponential decay 0.6"])):
        recorded.report(value, epoch, metrics={"train_loss": loss, "val_loss": loss, "train_accuracy": value,
                                               "val_accuracy": value})
    study.tell(recorded, value)
    found = [f.kind for f in diagnose(study.trials[-1], study_best=0.9833, direction="maximize")]
    assert found and "stalled" not in found


@pytest.mark.parametrize("task, named", [("mnist_cnn", 8), ("wide_mlp", 3)])
def test_the_few_trial_races_recordings_name_few(task: str, named: int):
    # Full 6-epoch curves of real trials, each read against its race's best final value.
    path = Path(__file__).parents[1] / "benchmarks" / "data" / f"{task}_curves.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    best = {seed: max(r["final"] for r in rows if r["seed"] == seed) for seed in {r["seed"] for r in rows}}
    hits = [r for r in rows if stalled_finding(-np.array(r["values"]), -best[r["seed"]], maximize=True)]
    assert len(hits) == named
    assert all(max(r["values"]) <= best[r["seed"]] - 0.06 for r in hits)  # none came near its race's best
