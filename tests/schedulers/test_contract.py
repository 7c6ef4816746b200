"""The contract every scheduler keeps: no stop before its first judged step, decisions that
are functions of their arguments alone, and an end-to-end study through ``create_study``
whose pruned trials keep their curves."""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable

import pytest

import nntune
from nntune.schedulers import (
    ASHA,
    BOHB,
    PBT,
    CurveExtrapolation,
    SCHEDULERS,
    Decision,
    Hyperband,
    MedianStopping,
    NoScheduler,
    Scheduler,
    make_scheduler,
)
from nntune.trial import FrozenTrial, TrialState

EPOCHS = 18

# name: (a fresh scheduler, the first step at which it may stop a trial)
SCHEDULER_CASES: dict[str, tuple[Callable[[], Scheduler], int]] = {
    "median": (lambda: MedianStopping(n_startup_trials=3, n_warmup_steps=2), 3),
    "asha": (lambda: ASHA(min_resource=2, max_resource=EPOCHS, reduction_factor=3), 2),
    "hyperband": (lambda: Hyperband(min_resource=2, max_resource=EPOCHS, reduction_factor=3, seed=0), 2),
    "bohb": (lambda: BOHB(min_resource=2, max_resource=EPOCHS, reduction_factor=3, seed=0), 2),
    "pbt": (lambda: PBT(population=4, ready_epochs=3, seed=0), 3),
    "curve": (lambda: CurveExtrapolation(min_steps=4, max_resource=EPOCHS), 4),
}
NAMES = sorted(SCHEDULER_CASES)


def curve(quality: float, last: int) -> dict[int, float]:
    return {e: quality + 1 / e for e in range(1, last + 1)}


def random_history(seed: int, n: int = 24) -> list[FrozenTrial]:
    rng = random.Random(seed)
    states = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING]
    out = []
    for number in range(n):
        state = rng.choice(states)
        last = EPOCHS if state == TrialState.COMPLETE else rng.randint(1, EPOCHS - 1)
        values = curve(rng.random(), last)
        out.append(FrozenTrial(number=number, state=state, intermediate_values=values,
                               value=values[last] if state != TrialState.RUNNING else None,
                               params={"q": 0.5}))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_scheduler_follows_the_protocol_and_is_registered(name: str) -> None:
    make, _ = SCHEDULER_CASES[name]
    assert isinstance(make(), Scheduler)
    assert type(make_scheduler(name)) is type(make()) is SCHEDULERS[name]
    assert repr(make()).startswith(type(make()).__name__)


@pytest.mark.parametrize("name", NAMES)
def test_no_stop_before_the_first_rung_or_the_warm_up(name: str) -> None:
    make, first = SCHEDULER_CASES[name]
    scheduler = make()
    # Twenty finished trials far better than the newcomer at every epoch.
    history = [FrozenTrial(number=i, state=TrialState.COMPLETE, intermediate_values=curve(0.0, EPOCHS),
                           value=0.0) for i in range(20)]
    for number in range(20, 40):
        for step in range(1, first):
            bad = FrozenTrial(number=number, state=TrialState.RUNNING,
                              intermediate_values={e: (math.nan if e == step else 50.0) for e in range(1, step + 1)})
            assert scheduler.decide(bad, step, [*history, bad], "minimize") == Decision.CONTINUE


@pytest.mark.parametrize("name", NAMES)
def test_decisions_depend_only_on_the_arguments(name: str) -> None:
    make, _ = SCHEDULER_CASES[name]
    first, second = make(), make()
    stops = 0
    for seed in range(4):
        history = random_history(seed)
        frozen = copy.deepcopy(history)
        shuffled = random.Random(seed).sample(history, len(history))
        for t in history:
            for step in t.intermediate_values:
                view = FrozenTrial(number=t.number, state=TrialState.RUNNING,
                                   intermediate_values={s: v for s, v in t.intermediate_values.items() if s <= step})
                decisions = {first.decide(view, step, history, "minimize"),
                             second.decide(view, step, shuffled, "minimize"),
                             first.decide(view, step, history, "minimize")}
                assert len(decisions) == 1, (t.number, step)
                stops += decisions == {Decision.STOP}
        assert history == frozen  # nothing was changed in place
    assert stops > 0


@pytest.mark.parametrize("name", NAMES)
def test_end_to_end_through_create_study_pruned_trials_keep_their_curves(name: str) -> None:
    make, first = SCHEDULER_CASES[name]
    scheduler = make()
    steps = 0

    def objective(trial: nntune.Trial) -> float:
        nonlocal steps
        q = trial.suggest_float("q", 0.0, 1.0)
        for epoch in range(1, EPOCHS + 1):
            steps += 1
            trial.report(q + 1 / epoch, epoch)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return q + 1 / EPOCHS

    study = nntune.create_study(scheduler=scheduler, sampler=getattr(scheduler, "sampler", None), seed=11)
    study.optimize(objective, n_trials=24)
    trials = study.trials
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    assert pruned and steps < 24 * EPOCHS
    for t in pruned:
        assert t.last_step >= first
        assert t.intermediate_values == curve(t.params["q"], t.last_step)
        assert t.value == t.intermediate_values[t.last_step]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert all(t.last_step == EPOCHS for t in complete)
    assert len(pruned) + len(complete) == 24


def test_no_scheduler_never_stops() -> None:
    for t in random_history(0):
        assert NoScheduler().decide(t, t.last_step or 1, random_history(0), "minimize") == Decision.CONTINUE
