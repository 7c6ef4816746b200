"""Optuna's pruners by name: the pure rules, the arguments' checks, "auto" resources and a
pruner written for Optuna. (tests/compat runs them against Optuna's own on one script.)"""

from __future__ import annotations

import math

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)
from nntune.pruners._rules import best_of_curve, first_in_interval, outside, percentile_cut, stalled
from nntune.schedulers import Decision
from nntune.trial import FrozenTrial, TrialState


def done(number: int, curve: dict[int, float]) -> FrozenTrial:
    return FrozenTrial(number=number, state=TrialState.COMPLETE, value=curve[max(curve)],
                       intermediate_values=dict(curve))


def running(number: int, curve: dict[int, float]) -> FrozenTrial:
    return FrozenTrial(number=number, state=TrialState.RUNNING, intermediate_values=dict(curve))


def test_first_in_interval_follows_optunas_windows():
    # warm-up 2, interval 3: windows start at steps 2, 5, 8, ...
    assert not first_in_interval(1, [0, 1], 2, 3)
    assert first_in_interval(2, [0, 1, 2], 2, 3)
    assert not first_in_interval(3, [2, 3], 2, 3)
    assert first_in_interval(5, [2, 3, 4, 5], 2, 3)
    assert first_in_interval(7, [2, 7], 2, 3)  # a sparse reporter is judged at its next report


def test_percentile_cut_counts_from_the_good_end():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert percentile_cut(values, 25, "minimize", 1) == 2.0
    assert percentile_cut(values, 25, "maximize", 1) == 4.0
    assert math.isnan(percentile_cut(values, 25, "minimize", 6))  # too few to judge


def test_curve_rules():
    assert best_of_curve({0: 3.0, 1: float("nan"), 2: 1.0}, "minimize") == 1.0
    assert math.isnan(best_of_curve({0: float("nan")}, "maximize"))
    assert stalled({0: 1.0, 1: 1.5, 2: 1.4}, patience=1, min_delta=0.0, direction="minimize")
    assert not stalled({0: 1.0, 1: 0.9, 2: 1.4}, patience=1, min_delta=0.0, direction="minimize")
    assert not stalled({0: 1.0, 1: 1.5}, patience=1, min_delta=0.0, direction="minimize")  # too short
    assert outside(None, 0, 1) and outside(2.0, 0, 1) and not outside(0.5, 0, 1)


def test_median_stops_the_trial_worse_than_the_median_at_its_step():
    history = [done(i, {0: v, 1: v}) for i, v in enumerate([1.0, 2.0, 3.0])]
    pruner = MedianPruner(n_startup_trials=3)
    assert pruner.decide(running(3, {0: 2.5, 1: 2.5}), 1, history, "minimize") == Decision.STOP
    assert pruner.decide(running(3, {0: 1.5, 1: 1.5}), 1, history, "minimize") == Decision.CONTINUE
    assert pruner.decide(running(3, {0: 2.5}), 0, history[:2], "minimize") == Decision.CONTINUE  # startup


def test_threshold_and_patient_and_nop():
    t = ThresholdPruner(lower=0.1, n_warmup_steps=1)
    assert t.decide(running(0, {0: 0.0}), 0, [], "maximize") == Decision.CONTINUE  # warm-up
    assert t.decide(running(0, {0: 0.5, 1: 0.0}), 1, [], "maximize") == Decision.STOP
    patient = PatientPruner(None, patience=1)
    assert patient.decide(running(0, {0: 1.0, 1: 2.0, 2: 2.0}), 2, [], "minimize") == Decision.STOP
    assert NopPruner().decide(running(0, {0: math.nan}), 0, [], "minimize") == Decision.CONTINUE


@pytest.mark.parametrize("make, field", [
    (lambda: PercentilePruner(120.0), "percentile"),
    (lambda: MedianPruner(interval_steps=0), "interval_steps"),
    (lambda: ThresholdPruner(), "lower"),
    (lambda: ThresholdPruner(lower=2, upper=1), "lower"),
    (lambda: PatientPruner(None, patience=-1), "patience"),
    (lambda: SuccessiveHalvingPruner(bootstrap_count=2), "bootstrap_count"),  # with "auto", as Optuna
    (lambda: SuccessiveHalvingPruner(min_resource=1, bootstrap_count=-1), "bootstrap_count"),
    (lambda: SuccessiveHalvingPruner(min_resource=1, bootstrap_count=1.5), "bootstrap_count"),
    (lambda: HyperbandPruner(bootstrap_count=1), "bootstrap_count"),  # max_resource="auto"
    (lambda: HyperbandPruner(max_resource=0), "max_resource"),
])
def test_bad_arguments_name_the_field(make, field):
    with pytest.raises(ConfigError) as err:
        make()
    assert err.value.field == field


def test_auto_resources_wait_for_the_first_complete_trial():
    sh = SuccessiveHalvingPruner()
    assert sh.decide(running(1, {0: 9.0, 1: 9.0}), 1, [], "minimize") == Decision.CONTINUE
    sh.decide(running(1, {0: 9.0}), 0, [done(0, {s: 1.0 for s in range(300)})], "minimize")
    assert sh.min_resource == 2  # 299 // 100 steps, as Optuna
    hb = HyperbandPruner(min_resource=1, reduction_factor=3)
    assert hb.describe(running(0, {0: 1.0})) == {}
    hb.decide(running(1, {0: 9.0}), 0, [done(0, {s: 1.0 for s in range(9)})], "minimize")
    assert hb.max_resource == 9  # last step 8, plus one, as Optuna


def test_auto_resources_read_the_longest_complete_trial():
    """Trials told before the first look (another worker's, or added) count as in Optuna:
    the longest complete one sets the resources, not the lowest-numbered."""
    history = [done(0, {s: 1.0 for s in range(50)}), done(1, {s: 1.0 for s in range(400)})]
    sh = SuccessiveHalvingPruner()
    sh.decide(running(2, {0: 9.0}), 0, history, "minimize")
    assert sh.min_resource == 3  # 399 // 100
    hb = HyperbandPruner(min_resource=1, reduction_factor=3)
    hb.decide(running(2, {0: 9.0}), 0, history, "minimize")
    assert hb.max_resource == 400


def test_optimize_runs_under_the_default_hyperband_pruner():
    """``HyperbandPruner()`` (max_resource "auto") as most scripts write it: the search plans
    its budget before any bracket exists."""
    def objective(trial):
        for step in range(9):
            trial.report(float(step + trial.number), step)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return 1.0

    study = nntune.create_study(pruner=HyperbandPruner())
    study.optimize(objective, n_trials=6, timeout=60)
    assert len(study.trials) == 6
    assert study.pruner.max_resource == 9
    assert TrialState.PRUNED in {t.state for t in study.trials}


def test_a_pruner_written_for_optuna_is_asked_through_prune():
    seen = []

    class EveryOther(BasePruner):
        def prune(self, study, trial):
            seen.append((study.study_name, trial.last_step))
            return trial.number % 2 == 1 and trial.last_step >= 2

    def objective(trial):
        for step in range(5):
            trial.report(float(step), step)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return 1.0

    study = nntune.create_study(study_name="p", pruner=EveryOther())
    study.optimize(objective, n_trials=4)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.PRUNED] * 2
    assert [t.last_step for t in study.trials] == [4, 2, 4, 2]
    assert seen[0] == ("p", 0)


def test_builtin_pruners_answer_optunas_prune_too():
    study = nntune.create_study()
    for i, v in enumerate([1.0, 2.0, 3.0]):
        study.add_trial(nntune.create_trial(value=v, intermediate_values={0: v}))
    assert MedianPruner(n_startup_trials=1).prune(study, running(3, {0: 2.5}))
    assert not MedianPruner(n_startup_trials=1).prune(study, running(3, {0: 1.5}))


def test_bootstrap_count_stops_the_first_arrivals_at_each_rung_as_optuna() -> None:
    # Optuna 5.1 on these curves: trials 0 and 1 stop at rung 1 (step 1) as its first two
    # arrivals, trials 2 and 4 are behind trial 0 there, trial 3 leads rung 1 and is the
    # first arrival at rung 2 (step 2).
    levels = [0.1, 0.2, 0.3, 0.05, 0.15]

    def objective(trial: nntune.Trial) -> float:
        for step in range(4):
            trial.report(levels[trial.number], step)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return levels[trial.number]

    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, bootstrap_count=2)
    study = nntune.create_study(pruner=pruner)
    study.optimize(objective, n_trials=len(levels))
    assert [(t.state, t.last_step) for t in study.trials] == [
        ("pruned", 1), ("pruned", 1), ("pruned", 1), ("pruned", 2), ("pruned", 1)]
    hyperband = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3, bootstrap_count=1)
    number = next(n for n in range(30) if hyperband.bracket_of(n).min_resource == 1)  # rungs at 1 and 3
    assert hyperband.decide(running(number, {0: 0.0, 1: 0.0}), 1, [], "minimize") == Decision.STOP
