"""Median stopping: below-median trials stop, but only after warm-up and start-up."""

from __future__ import annotations

import math

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers import RandomSampler
from nntune.schedulers import Decision, MedianStopping
from nntune.schedulers._median import best_so_far, below_median, is_check_step
from nntune.trial import FrozenTrial, TrialState


def trial(number: int, curve: dict[int, float], state: TrialState = TrialState.COMPLETE) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, intermediate_values=dict(curve))


def finished(values: list[float], epochs: int = 10) -> list[FrozenTrial]:
    """Finished trials whose value at every epoch is the given one."""
    return [trial(i, {e: v for e in range(1, epochs + 1)}) for i, v in enumerate(values)]


HISTORY = finished([1.0, 2.0, 3.0, 4.0, 5.0])  # median 3.0 at every epoch


def decide(rule: MedianStopping, curve: dict[int, float], step: int, history: list[FrozenTrial] = HISTORY,
           direction: str = "minimize") -> Decision:
    t = FrozenTrial(number=99, state=TrialState.RUNNING, intermediate_values=curve)
    return rule.decide(t, step, [*history, t], direction)  # type: ignore[arg-type]


def test_below_median_trials_stop_only_after_warm_up() -> None:
    rule = MedianStopping(n_startup_trials=5, n_warmup_steps=3)
    bad = {e: 4.0 for e in range(1, 8)}
    assert [decide(rule, {e: 4.0 for e in range(1, s + 1)}, s) for s in range(1, 5)] == [
        Decision.CONTINUE] * 3 + [Decision.STOP]
    assert decide(rule, bad, 7) == Decision.STOP
    good = {e: 2.5 for e in range(1, 8)}
    assert decide(rule, good, 7) == Decision.CONTINUE
    assert decide(rule, {e: 3.0 for e in range(1, 8)}, 7) == Decision.CONTINUE  # equal is not worse


def test_maximizing_flips_the_comparison() -> None:
    rule = MedianStopping(n_startup_trials=5, n_warmup_steps=0)
    assert decide(rule, {1: 2.0}, 1, direction="maximize") == Decision.STOP
    assert decide(rule, {1: 4.0}, 1, direction="maximize") == Decision.CONTINUE
    assert decide(rule, {1: 3.0}, 1, direction="maximize") == Decision.CONTINUE  # equal is not worse


def test_the_best_value_so_far_is_compared_not_the_latest() -> None:
    rule = MedianStopping(n_startup_trials=5, n_warmup_steps=0)
    assert decide(rule, {1: 2.0, 2: 9.0}, 2) == Decision.CONTINUE
    assert best_so_far({1: 2.0, 2: 9.0, 3: 1.0}, 2, "minimize") == 2.0
    assert best_so_far({1: 2.0, 2: 9.0}, 2, "maximize") == 9.0
    assert math.isnan(best_so_far({1: math.nan}, 1, "minimize"))


def test_no_trial_stops_before_enough_trials_finished_or_reported_the_step() -> None:
    rule = MedianStopping(n_startup_trials=5, n_warmup_steps=0)
    bad = {1: 9.0}
    assert decide(rule, bad, 1, history=HISTORY[:4]) == Decision.CONTINUE
    running = [trial(10 + i, {1: 0.0}, TrialState.RUNNING) for i in range(5)]
    assert decide(rule, bad, 1, history=[*HISTORY[:4], *running]) == Decision.CONTINUE
    pruned = [trial(20, {1: 0.5}, TrialState.PRUNED)]
    assert decide(rule, bad, 1, history=[*HISTORY[:4], *pruned]) == Decision.STOP
    # min_trials: at least that many finished trials must have reported this step.
    short = finished([1.0, 2.0, 3.0, 4.0, 5.0], epochs=2)
    assert decide(MedianStopping(5, 0, min_trials=5), {e: 9.0 for e in range(1, 4)}, 3,
                  history=short) == Decision.CONTINUE
    assert decide(MedianStopping(5, 0, min_trials=5), {e: 9.0 for e in range(1, 3)}, 2,
                  history=short) == Decision.STOP


def test_interval_steps_judges_every_kth_step_after_warm_up() -> None:
    rule = MedianStopping(n_startup_trials=1, n_warmup_steps=2, interval_steps=3)
    judged = [s for s in range(1, 11) if decide(rule, {e: 9.0 for e in range(1, s + 1)}, s) == Decision.STOP]
    assert judged == [3, 6, 9]
    # Sparse reports are judged at the first report at or past a check step.
    assert is_check_step(5, {2: 0, 5: 0}, warmup=2, interval=3)
    assert not is_check_step(5, {3: 0, 4: 0, 5: 0}, warmup=2, interval=3)


def test_below_median_ignores_non_finite_values_and_stops_a_diverged_trial() -> None:
    assert not below_median(3.0, [1.0, 5.0, math.nan], "minimize")
    assert below_median(math.nan, [1.0], "minimize")
    assert not below_median(9.0, [], "minimize")


@pytest.mark.parametrize("kwargs", [{"n_warmup_steps": -1}, {"interval_steps": 0}, {"min_trials": 0},
                                    {"n_startup_trials": 1.5}])
def test_bad_settings_name_the_field(kwargs: dict) -> None:
    with pytest.raises(ConfigError) as err:
        MedianStopping(**kwargs)
    assert err.value.field == next(iter(kwargs))


def test_median_stopping_end_to_end_stops_the_worse_half_after_warm_up() -> None:
    def objective(t: nntune.Trial) -> float:
        q = t.suggest_float("q", 0.0, 1.0)
        for epoch in range(1, 16):
            t.report(q + 1 / epoch, epoch)
            if t.should_prune():
                raise nntune.TrialPruned()
        return q + 1 / 15

    study = nntune.create_study(sampler=RandomSampler(2), scheduler=MedianStopping(n_startup_trials=5, n_warmup_steps=4),
                                seed=2)
    study.optimize(objective, n_trials=30)
    trials = study.trials
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    assert len(pruned) >= 8
    assert all(t.number >= 5 and t.last_step >= 5 for t in pruned)
    assert sum(t.last_step == 5 for t in pruned) >= len(pruned) // 2
    best_pruned = min(t.params["q"] for t in pruned)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(t.params["q"] for t in complete)[len(complete) // 2] < best_pruned
