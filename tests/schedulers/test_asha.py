"""ASHA: rung promotion on constructed histories, and an end-to-end study that saves steps."""

from __future__ import annotations

import math

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.samplers import RandomSampler
from nntune.schedulers import ASHA, Decision, NoScheduler, promotable
from nntune.schedulers._asha import crossed_rungs, rung_value
from nntune.trial import FrozenTrial, TrialState


def trial(number: int, curve: dict[int, float], state: TrialState = TrialState.PRUNED) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, intermediate_values=dict(curve))


VALUES = [0.9, 0.1, 0.5, 0.3, 0.8, 0.2, 0.7, 0.4, 0.6]  # best three: 0.1, 0.2, 0.3


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_promotable_keeps_exactly_the_top_third(direction: str) -> None:
    values = VALUES if direction == "minimize" else [1 - v for v in VALUES]
    kept = [v for v in values if promotable(values, v, 3, direction)]
    best = sorted(values, reverse=direction == "maximize")[:3]
    assert sorted(kept) == sorted(best)


def test_promotable_keeps_the_top_half_with_eta_2_and_the_best_of_a_short_rung() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert [promotable(values, v, 2, "minimize") for v in values] == [False, True, False, True]
    # Fewer arrivals than eta: only the best so far goes on.
    assert promotable([2.0], 2.0, 3, "minimize")
    assert promotable([2.0, 1.0], 1.0, 3, "minimize")
    assert not promotable([2.0, 1.0], 2.0, 3, "minimize")


def test_non_finite_values_never_go_on_and_rank_last() -> None:
    assert not promotable([math.nan, 1.0, 2.0], math.nan, 3, "minimize")
    assert promotable([math.nan, math.inf, 5.0], 5.0, 3, "minimize")


def test_rungs_sit_at_powers_of_eta_below_the_budget() -> None:
    assert ASHA(1, 27, 3).rungs() == [1, 3, 9]
    assert ASHA(2, 100, 4).rungs() == [2, 8, 32]
    assert ASHA(1, None, 3).rungs(upto=30) == [1, 3, 9, 27]


def test_decide_promotes_exactly_the_top_third_at_each_rung_of_a_constructed_history() -> None:
    asha = ASHA(min_resource=1, max_resource=27, reduction_factor=3)
    # Nine trials reached rung 0 (epoch 1).
    history = [trial(i, {1: v}) for i, v in enumerate(VALUES)]
    going_on = [t.number for t in history if asha.decide(t, 1, history, "minimize") == Decision.CONTINUE]
    assert going_on == [1, 3, 5]
    # Those three reach rung 1 (epoch 3): one of them goes on.
    at_rung_1 = {1: 0.25, 3: 0.05, 5: 0.15}
    history = [trial(n, {1: VALUES[n], 2: VALUES[n], 3: at_rung_1[n]}) if n in at_rung_1 else t
               for n, t in enumerate(history)]
    going_on = [n for n in at_rung_1
                if asha.decide(history[n], 3, history, "minimize") == Decision.CONTINUE]
    assert going_on == [3]


def test_a_trial_is_judged_only_when_it_crosses_a_rung() -> None:
    asha = ASHA(1, 27, 3)
    others = [trial(i, {1: 0.1, 2: 0.1, 3: 0.1}) for i in range(6)]
    worst = trial(9, {1: 5.0, 2: 5.0})
    # Between rungs (epoch 2) the worst trial goes on; it was judged at epoch 1 already.
    assert asha.decide(worst, 2, [*others, worst], "minimize") == Decision.CONTINUE
    assert asha.decide(trial(9, {1: 5.0}), 1, [*others, worst], "minimize") == Decision.STOP
    # A trial reporting every other epoch is judged at the first report past the rung.
    sparse = trial(9, {2: 5.0, 4: 5.0})
    assert crossed_rungs(sparse.intermediate_values, 4, asha.rungs()) == [3]
    assert asha.decide(sparse, 4, [*others, sparse], "minimize") == Decision.STOP
    assert rung_value({2: 1.0, 4: 0.5}, 3) == 0.5 and rung_value({2: 1.0}, 3) is None


def test_rung_of_is_where_a_pruned_trial_stopped() -> None:
    asha = ASHA(1, 27, 3)
    assert asha.rung_of(trial(0, {1: 1.0, 2: 1.0, 3: 1.0})) == 1
    assert asha.rung_of(trial(0, {k: 1.0 for k in range(1, 28)}, TrialState.COMPLETE)) == 2
    assert asha.rung_of(trial(0, {})) is None
    assert asha.describe(trial(0, {1: 1.0, 2: 1.0, 3: 1.0})) == {"rung": 1, "rung_step": 3}
    assert ASHA(2, 27, 3).describe(trial(0, {1: 1.0})) == {}


@pytest.mark.parametrize("kwargs", [{"min_resource": 0}, {"reduction_factor": 1},
                                    {"min_resource": 9, "max_resource": 3}, {"min_resource": 1.5}])
def test_bad_settings_name_the_field(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        ASHA(**kwargs)


EPOCHS = 27


def loss_curve(quality: float, epoch: int) -> float:
    """A constructed learning curve: every trial improves, the better ones stay better."""
    return quality + 1.0 / epoch


def run_study(scheduler: object, n_trials: int = 30) -> tuple[nntune.Study, int]:
    steps = 0

    def objective(t: nntune.Trial) -> float:
        nonlocal steps
        q = t.suggest_float("quality", 0.0, 1.0)
        for epoch in range(1, EPOCHS + 1):
            steps += 1
            t.report(loss_curve(q, epoch), epoch)
            if t.should_prune():
                raise nntune.TrialPruned()
        return loss_curve(q, EPOCHS)

    study = nntune.create_study(sampler=RandomSampler(3), scheduler=scheduler, seed=3)
    study.optimize(objective, n_trials=n_trials)
    return study, steps


def test_asha_prunes_the_bad_trials_and_spends_fewer_steps_than_no_scheduler() -> None:
    full, full_steps = run_study(NoScheduler())
    study, steps = run_study(ASHA(min_resource=1, max_resource=EPOCHS, reduction_factor=3))
    assert full_steps == 30 * EPOCHS
    assert steps < 0.5 * full_steps
    trials = study.trials
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(pruned) >= 15 and complete
    best_quality = min(t.params["quality"] for t in trials)
    assert study.best_params["quality"] == best_quality  # the best configuration was never stopped
    median_quality = sorted(t.params["quality"] for t in trials)[len(trials) // 2]
    assert all(t.params["quality"] > best_quality for t in pruned)
    assert sum(t.params["quality"] > median_quality for t in pruned) >= len(trials) // 2 - 2
    assert study.best_value == full.best_value  # same seed, same draws: nothing was lost
    asha = study.scheduler
    for t in pruned:  # the curve stays in storage, cut at the rung where the trial stopped
        assert t.intermediate_values == {e: loss_curve(t.params["quality"], e)
                                         for e in range(1, t.last_step + 1)}
        assert t.last_step in asha.rungs() and t.value == t.intermediate_values[t.last_step]


def test_two_threads_share_the_rungs_and_every_stop_had_a_better_peer() -> None:
    """Under optimize(n_jobs=2) each trial is judged on the rung values recorded so far, by
    both threads: a trial stopped at a rung was behind a value already there, the best
    value at the first rung is never stopped there, and full trials are judged at every rung."""
    import time

    def objective(t: nntune.Trial) -> float:
        x = t.suggest_float("x", 0.0, 1.0)
        for epoch in range(1, 10):
            time.sleep(0.002)  # lets the other thread report between epochs
            t.report(x * epoch / 9, epoch)
            if t.should_prune():
                raise nntune.TrialPruned()
        return x

    scheduler = ASHA(1, 9, 3)
    study = nntune.create_study(direction="maximize", sampler=RandomSampler(seed=4), scheduler=scheduler)
    study.optimize(objective, n_trials=24, n_jobs=2)
    trials = study.trials
    stopped = [t for t in trials if t.state == TrialState.PRUNED]
    assert len(trials) == 24 and 0 < len(stopped) < 24
    for t in stopped:
        rung = scheduler.rungs(9)[scheduler.rung_of(t)]
        mine = rung_value(t.intermediate_values, rung)
        peers = [rung_value(o.intermediate_values, rung) for o in trials if o.number != t.number]
        assert any(v is not None and v > mine for v in peers), t.number
    first = max(trials, key=lambda t: t.intermediate_values[1])
    assert first.state == TrialState.COMPLETE
