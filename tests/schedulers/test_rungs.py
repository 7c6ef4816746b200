"""Robust and cost-aware rungs: the compared value, cost positions, the unjudged cap, and
budget-derived rungs, on constructed curves and clocks and on real studies."""

from __future__ import annotations

import math
import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.schedulers import ASHA, Decision, Hyperband
from nntune.schedulers._asha import crossed_rungs, halving_decision, rung_value
from nntune.schedulers._rungs import (budget_rungs, compared_curve, cost_factor, elapsed_seconds, leads_by_epochs,
                                      reference_cost, seconds_per_step)
from nntune.trial import FrozenTrial, TrialState

def trial(number: int, curve: dict[int, float], *, cost: float | None = None,
          state: TrialState = TrialState.PRUNED) -> FrozenTrial:
    """A trial whose reports recorded ``cost`` seconds per epoch (none when ``cost`` is None)."""
    timed = {} if cost is None else {"elapsed_s": [max(curve), max(curve) * cost]}
    return FrozenTrial(number=number, state=state, intermediate_values=dict(curve), system_attrs=timed)


def test_compared_curve_last_best_and_smoothed() -> None:
    curve = {1: 0.5, 2: 0.9, 3: 0.7, 4: math.nan}
    last = compared_curve(curve, "last", "maximize")
    assert [last[s] for s in (1, 2, 3)] == [0.5, 0.9, 0.7] and math.isnan(last[4])
    assert compared_curve(curve, "best", "maximize") == {1: 0.5, 2: 0.9, 3: 0.9, 4: 0.9}
    assert compared_curve(curve, "best", "minimize") == {1: 0.5, 2: 0.5, 3: 0.5, 4: 0.5}
    smooth = compared_curve(curve, "smoothed", "maximize")
    assert smooth[1] == 0.5 and smooth[2] == pytest.approx(0.7) and smooth[3] == pytest.approx(0.8)
    assert math.isnan(smooth[4])
    with pytest.raises(ConfigError, match="compare"):
        ASHA(compare="median")


def test_a_noisy_first_epoch_stops_a_trial_under_last_but_not_under_best() -> None:
    # Trial 3 dipped at epoch 3 after a strong epoch 2; its peers rose steadily.
    peers = [trial(0, {1: 0.5, 2: 0.6, 3: 0.7}), trial(1, {1: 0.4, 2: 0.5, 3: 0.6}),
             trial(2, {1: 0.3, 2: 0.4, 3: 0.5})]
    noisy = trial(3, {1: 0.6, 2: 0.8, 3: 0.55})
    history = [*peers, noisy]
    assert ASHA(1, 9, 3).decide(noisy, 3, history, "maximize") == Decision.STOP
    assert ASHA(1, 9, 3, compare="best").decide(noisy, 3, history, "maximize") == Decision.CONTINUE
    assert ASHA(1, 9, 3, compare="smoothed").decide(noisy, 3, history, "maximize") == Decision.CONTINUE
    hb = Hyperband(1, 9, 3, compare="best")
    assert hb.compare == "best" and "compare='best'" in repr(hb)


def test_positions_scale_steps_by_cost() -> None:
    assert rung_value({1: 0.1, 2: 0.2}, 3, scale=2.0) == 0.2
    assert rung_value({1: 0.1, 2: 0.2}, 3) is None
    assert crossed_rungs({1: 0.1}, 1, [1, 3, 9], scale=10.0) == [1, 3, 9]
    assert crossed_rungs({1: 0.1, 2: 0.2}, 2, [1, 3, 9, 27], scale=15.0) == [27]
    assert seconds_per_step(trial(0, {1: 0.0, 2: 0.0}, cost=15.0)) == 15.0
    assert elapsed_seconds(trial(0, {1: 0.0, 4: 0.0}, cost=2.0)) == (4, 8.0)
    assert seconds_per_step(trial(0, {1: 0.0})) is None
    assert reference_cost([1.0, None, 3.0, 100.0]) == 3.0
    assert cost_factor(30.0, 3.0) == 10.0 and cost_factor(1.0, 3.0) == 1.0 and cost_factor(None, 3.0) == 1.0


def test_an_expensive_trial_is_judged_at_the_rung_its_time_reached() -> None:
    # Five cheap trials (1 s per epoch) trained 9 epochs; one costs 10 s per epoch.
    cheap = [trial(i, {e: 0.5 + 0.04 * e + 0.01 * i for e in range(1, 10)}, cost=1.0) for i in range(5)]
    costly = trial(9, {1: 0.80}, cost=10.0)  # at epoch 1 better than every cheap trial's epoch 1
    history = [*cheap, costly]
    assert ASHA(1, 27, 3).decide(costly, 1, history, "maximize") == Decision.CONTINUE
    by_time = ASHA(1, 27, 3, cost_aware=True, spare_leaders=False)
    # Ten typical epochs spent: compared at rung 9 with the cheap trials' ninth epochs (0.86+).
    assert by_time.decide(costly, 1, history, "maximize") == Decision.STOP
    # A cheap trial keeps epoch-based rungs: its cost is the median.
    fresh = trial(10, {1: 0.9}, cost=1.0)
    assert by_time.decide(fresh, 1, [*history, fresh], "maximize") == Decision.CONTINUE
    # By default a costly trial that leads the cheap ones at its own epochs goes on ...
    assert ASHA(1, 27, 3, cost_aware=True).decide(costly, 1, history, "maximize") == Decision.CONTINUE
    # ... and one that trails them at its own epochs too is stopped by its time.
    behind = trial(11, {1: 0.52}, cost=10.0)
    assert ASHA(1, 27, 3, cost_aware=True).decide(behind, 1, [*cheap, behind], "maximize") == Decision.STOP
    assert ASHA(1, 27, 3).decide(behind, 1, [*cheap, behind], "maximize") == Decision.STOP
    middling = trial(12, {1: 0.56}, cost=10.0)  # third of six at epoch 1: plain ASHA keeps 2
    assert ASHA(1, 27, 3, cost_aware=True).decide(middling, 1, [*cheap, middling], "maximize") == Decision.STOP


def test_an_unjudged_trial_stops_after_its_share_of_the_budget() -> None:
    asha = ASHA(1, 27, 3, cost_aware=True, budget_seconds=100, max_unjudged_share=0.25)
    early = trial(0, {1: 0.5, 2: 0.6}, cost=10.0)  # 20 s spent
    assert asha.decide(early, 2, [early], "maximize") == Decision.CONTINUE
    late = trial(0, {1: 0.5, 2: 0.6, 3: 0.65}, cost=10.0)  # 30 s spent, nobody to compare with
    assert asha.decide(late, 3, [late], "maximize") == Decision.STOP
    # Once a peer reached the first rung, the trial is judged by the rungs instead.
    peer = trial(1, {1: 0.4}, cost=1.0)
    assert asha.decide(late, 3, [late, peer], "maximize") == Decision.CONTINUE
    # Without a budget there is no cap; optimize(timeout=...) supplies one.
    free = ASHA(cost_aware=True)
    assert free.decide(late, 3, [late], "maximize") == Decision.CONTINUE
    free.plan_budget(100.0)
    assert free.budget_seconds == 100.0
    assert free.decide(late, 3, [late], "maximize") == Decision.STOP
    with pytest.raises(ConfigError, match="max_unjudged_share"):
        ASHA(max_unjudged_share=0)
    with pytest.raises(ConfigError, match="budget_seconds"):
        ASHA(budget_seconds=-1)


@pytest.mark.parametrize(("n", "epochs", "expected"), [
    (81, 27, (1, 3)),   # rungs 1, 3, 9: 81 / 27 = 3 pass every rung
    (12, 9, (3, 3)),    # one rung at 3 epochs: 4 of 12 finish (1 and 3 would leave 1.3)
    (12, 27, (7, 2)),   # rungs 7, 14: 12 / 4 = 3 (from 1 to 6 any eta leaves fewer)
    (40, 27, (3, 3)),   # rungs 3, 9: 40 / 9 = 4.4
    (2, 9, (9, 3)),     # too few trials for any rung: every trial finishes
])
def test_budget_rungs_leave_a_few_trials_at_the_last_rung(n: int, epochs: int, expected: tuple[int, int]) -> None:
    assert budget_rungs(n, epochs) == expected
    asha = ASHA.for_budget(n, epochs, compare="best")
    assert (asha.min_resource, asha.reduction_factor) == expected and asha.compare == "best"


def test_budget_rungs_respect_the_measured_grace_period() -> None:
    assert budget_rungs(200, 27, grace=2)[0] >= 2
    with pytest.raises(ConfigError, match="expected_trials"):
        budget_rungs(0, 9)


@pytest.mark.parametrize(("args", "options", "message"), [
    ((12, 0), {}, "^max_resource: must be an integer >= 1, got 0$"),  # it named expected_trials, got 12
    ((12, 2.5), {}, "^max_resource: must be an integer >= 1, got 2.5$"),
    ((float("nan"), 9), {}, "^expected_trials: must be a number > 0, got nan$"),  # it gave an ASHA that never stops
    (("12", 9), {}, "^expected_trials: must be a number > 0, got '12'$"),  # a TypeError from '<='
    ((12, 9), {"min_resource": "2"}, "^min_resource: must be an integer >= 1, got '2'$"),
])
def test_for_budget_names_the_bad_argument(args: tuple, options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ASHA.for_budget(*args, **options)


def test_halving_decision_without_scale_is_unchanged() -> None:
    history = [trial(i, {1: v}) for i, v in enumerate([0.9, 0.1, 0.5])]
    assert halving_decision(history[1], 1, history, [1, 3], 3, "minimize") == Decision.CONTINUE
    assert halving_decision(history[0], 1, history, [1, 3], 3, "minimize") == Decision.STOP


def is_slow(width: float) -> bool:
    return width > 0.7  # about a third of the configurations: the study's median epoch is a cheap one


def slow_and_cheap_study(scheduler: ASHA | Hyperband, *, good_when_slow: bool, seed: int = 3,
                         n_trials: int = 40) -> list[FrozenTrial]:
    """A real study whose slow configurations cost 20 s an epoch and the cheap ones 1 s (the
    study's injected clock advances by each epoch's cost); with ``good_when_slow`` the slow
    ones are also the better ones, as wide layers often are."""
    now = [0.0]
    study = nntune.create_study(direction="maximize", scheduler=scheduler,
                                sampler=nntune.samplers.RandomSampler(seed), clock=lambda: now[0])

    def objective(t: nntune.Trial) -> float:
        slow = is_slow(t.suggest_float("width", 0.0, 1.0))
        quality = t.suggest_float("q", 0.5, 1.0) + (0.3 if slow and good_when_slow else 0.0)
        value = 0.0
        for epoch in range(1, 10):
            now[0] += 20.0 if slow else 1.0
            value = quality * (1 - 0.5 ** epoch)
            t.report(value, epoch)
            if t.should_prune():
                raise nntune.TrialPruned()
        return value

    study.optimize(objective, n_trials=n_trials, timeout=10_000)
    return study.get_trials()


def test_cost_aware_asha_stops_slow_trials_in_a_real_study() -> None:
    """Configurations differ 20x in cost per epoch (the study's injected clock advances by
    each epoch's cost); the slow ones stop after fewer epochs than the cheap ones reach."""
    asha = ASHA(1, 9, 3, cost_aware=True, budget_seconds=400, spare_leaders=False)  # a lone trial may spend 100 s
    trials = slow_and_cheap_study(asha, good_when_slow=False)
    assert all(t.system_attrs["elapsed_s"][0] == t.epochs for t in trials)
    slow_epochs = [t.epochs for t in trials if is_slow(t.params["width"])]
    cheap_epochs = [t.epochs for t in trials if not is_slow(t.params["width"])]
    assert slow_epochs and cheap_epochs
    assert max(cheap_epochs) == 9
    finished = [sum(e == 9 for e in eps) / len(eps) for eps in (slow_epochs, cheap_epochs)]
    assert finished[0] < finished[1]
    assert sum(slow_epochs) / len(slow_epochs) < sum(cheap_epochs) / len(cheap_epochs)
    assert asha.budget_seconds == 400  # given, so the timeout does not replace it


@pytest.mark.parametrize("scheduler", ["asha", "hyperband"])
def test_a_slow_configuration_that_leads_is_spared_its_time_rungs(scheduler: str) -> None:
    """Where the slow configurations are the good ones, time-scaled rungs alone stop them
    against the cheap ones' later epochs; sparing the leaders lets the best of them finish,
    and the best value found is the slow ones' again."""
    def run(spare: bool) -> list[FrozenTrial]:
        made = (ASHA(1, 9, 3, cost_aware=True, budget_seconds=10_000, spare_leaders=spare) if scheduler == "asha"
                else Hyperband(1, 9, 3, seed=1, cost_aware=True, budget_seconds=10_000, spare_leaders=spare))
        return slow_and_cheap_study(made, good_when_slow=True, seed=1, n_trials=30)

    strict, spared = run(False), run(True)
    def slow_finished(trials: list[FrozenTrial]) -> int:
        return sum(is_slow(t.params["width"]) and t.epochs == 9 for t in trials)

    assert slow_finished(spared) > slow_finished(strict)
    best = max((t for t in spared if t.value is not None), key=lambda t: t.value)
    assert is_slow(best.params["width"]) and best.epochs == 9
    # Sparing is only for leaders: slow trials still stop, and sooner than they would unscaled.
    assert any(is_slow(t.params["width"]) and t.epochs < 9 for t in spared)


def test_a_plain_study_records_no_timing() -> None:
    study = nntune.create_study(scheduler=ASHA(1, 9, 3))

    def objective(t: nntune.Trial) -> float:
        t.report(1.0, 1)
        return 1.0

    study.optimize(objective, n_trials=1)
    assert "elapsed_s" not in study.get_trials()[0].system_attrs


def test_the_options_come_from_a_config_by_name() -> None:
    from nntune.schedulers import make_scheduler

    asha = make_scheduler("asha", min_resource=1, max_resource=9, compare="smoothed", cost_aware=True)
    assert isinstance(asha, ASHA) and asha.compare == "smoothed" and asha.cost_aware
    assert "compare='smoothed', cost_aware=True" in repr(asha)
    with pytest.raises(ConfigError, match="compare"):
        make_scheduler("hyperband", compare="median")


def test_best_so_far_keeps_a_dipping_trial_in_a_real_study() -> None:
    """Trials that learn at once but dip at epoch 3: under ``best`` the rung at 3 reads their
    value before the dip, so more of them go on than under ``last``."""
    def run(compare: str) -> list[int]:
        study = nntune.create_study(direction="maximize", scheduler=ASHA(1, 9, 3, compare=compare),
                                    sampler=nntune.samplers.RandomSampler(5))

        def objective(t: nntune.Trial) -> float:
            q = t.suggest_float("q", 0.0, 1.0)
            dips = t.suggest_categorical("dips", [False, True])
            value = 0.0
            for epoch in range(1, 10):
                value = (q - (0.5 if epoch == 3 else 0.0)) if dips else q * min(epoch, 4) / 4
                t.report(value, epoch)
                if t.should_prune():
                    raise nntune.TrialPruned()
            return value

        study.optimize(objective, n_trials=30)
        return [t.number for t in study.get_trials() if t.epochs == 9 and t.params["dips"]]

    assert len(run("best")) > len(run("last"))


def test_leads_by_epochs_reads_the_peers_at_the_same_epochs() -> None:
    peers = [trial(0, {1: 0.5, 3: 0.9}), trial(1, {2: 0.6})]  # trial 1 first reported at epoch 2
    assert leads_by_epochs(trial(5, {1: 0.61}), 1, peers, "maximize")      # ahead of 0.5 and 0.6
    assert not leads_by_epochs(trial(5, {1: 0.55}), 1, peers, "maximize")  # behind trial 1's 0.6
    assert leads_by_epochs(trial(5, {1: 0.45}), 1, peers, "minimize")
    assert not leads_by_epochs(trial(5, {3: 0.8}), 3, peers, "maximize")
    assert leads_by_epochs(trial(5, {4: 0.1}), 4, peers, "maximize")  # no peer that far
    assert not leads_by_epochs(trial(5, {1: math.nan}), 1, [], "maximize")
    # ``best`` compares the best so far on both sides.
    dipped = trial(5, {1: 0.7, 2: 0.4})
    assert not leads_by_epochs(dipped, 2, peers[1:], "maximize")
    assert leads_by_epochs(dipped, 2, peers[1:], "maximize", compare="best")


def test_cost_aware_hyperband_caps_an_unjudged_trial_and_takes_the_budget() -> None:
    hb = Hyperband(1, 27, 3, cost_aware=True, max_unjudged_share=0.25)
    late = trial(0, {1: 0.5, 2: 0.6, 3: 0.65}, cost=10.0)  # 30 s, nobody to compare with
    assert hb.decide(late, 3, [late], "maximize") == Decision.CONTINUE  # no budget yet
    hb.plan_budget(100.0)
    assert hb.budget_seconds == 100.0 and "cost_aware=True" in repr(hb)
    assert hb.decide(late, 3, [late], "maximize") == Decision.STOP
    peer = trial(1, {1: 0.4}, cost=1.0)  # any bracket's trial that reached the first epoch
    assert hb.decide(late, 3, [late, peer], "maximize") == Decision.CONTINUE
    with pytest.raises(ConfigError, match="max_unjudged_share"):
        Hyperband(max_unjudged_share=2)
    from nntune.schedulers import make_scheduler

    made = make_scheduler("hyperband", max_resource=9, cost_aware=True, spare_leaders=False)
    assert isinstance(made, Hyperband) and made.cost_aware and not made.spare_leaders


def test_only_a_trial_many_times_as_costly_is_judged_by_its_time() -> None:
    assert cost_factor(3.0, 1.0, 4.0) == 1.0 and cost_factor(5.0, 1.0, 4.0) == 5.0 and cost_factor(3.0, 1.0) == 3.0
    # Five cheap trials trained 9 epochs at 1 s each; this one costs 3 s an epoch and trails
    # their third epochs but not their first.
    cheap = [trial(i, {e: 0.5 + 0.04 * e + 0.01 * i for e in range(1, 10)}, cost=1.0) for i in range(5)]
    thrice = trial(9, {1: 0.60}, cost=3.0)
    history = [*cheap, thrice]
    assert ASHA(1, 27, 3, cost_aware=True).decide(thrice, 1, history, "maximize") == Decision.CONTINUE
    assert ASHA(1, 27, 3, cost_aware=True, min_cost_factor=1,
                spare_leaders=False).decide(thrice, 1, history, "maximize") == Decision.STOP
    assert "min_cost_factor=1" in repr(ASHA(cost_aware=True, min_cost_factor=1))
    for bad in (0.5, math.inf, True, "4"):
        with pytest.raises(ConfigError, match="min_cost_factor"):
            ASHA(cost_aware=True, min_cost_factor=bad)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="min_cost_factor"):
            Hyperband(cost_aware=True, min_cost_factor=bad)  # type: ignore[arg-type]


def test_bohb_takes_hyperbands_stopping_options() -> None:
    from nntune.schedulers import BOHB

    bohb = BOHB(1, 9, 3, seed=0, compare="best", cost_aware=True, max_unjudged_share=0.5)
    assert bohb.cost_aware and bohb.hyperband.compare == "best" and bohb.hyperband.max_unjudged_share == 0.5
    assert "compare='best', cost_aware=True" in repr(bohb)
    trials = slow_and_cheap_study(bohb, good_when_slow=False, n_trials=6)  # optimize(timeout=10_000)
    assert bohb.hyperband.budget_seconds == 10_000
    assert all("elapsed_s" in t.system_attrs for t in trials)  # its reports record seconds
    late = trial(0, {1: 0.5, 2: 0.6, 3: 0.65}, cost=2000.0)  # 6,000 s, nobody to compare with
    assert bohb.decide(late, 3, [late], "maximize") == Decision.STOP  # past half the budget, unjudged
    with pytest.raises(ConfigError, match="min_cost_factor"):
        BOHB(cost_aware=True, min_cost_factor=0)


@pytest.mark.parametrize("make", [lambda **kw: ASHA(1, 27, 3, cost_aware=True, **kw),
                                  lambda **kw: Hyperband(1, 27, 3, cost_aware=True, **kw)])
def test_each_optimize_caps_unjudged_trials_by_its_own_timeout(make) -> None:
    import nntune

    def objective(t: nntune.Trial) -> float:
        return t.suggest_float("x", 0, 1)

    study = nntune.create_study(pruner=make())
    study.optimize(objective, n_trials=1, timeout=8)
    assert study.scheduler.budget_seconds == 8
    # A longer search next: its cap was still a share of the first one's 8 s.
    study.optimize(objective, n_trials=1, timeout=800)
    assert study.scheduler.budget_seconds == 800
    study.optimize(objective, n_trials=1)  # no timeout: no cap, as for a fresh scheduler
    assert study.scheduler.budget_seconds is None
    own = nntune.create_study(pruner=make(budget_seconds=50))
    own.optimize(objective, n_trials=1, timeout=8)
    assert own.scheduler.budget_seconds == 50  # the scheduler's own budget stays
