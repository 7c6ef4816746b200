"""PBT: exploit from the top quantile only for the bottom quantile, explore within bounds,
the stop decision, proposals as plain data, and a driven population on a constructed task."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.schedulers import PBT, Decision, Proposal, exploit, explore, run_pbt
from nntune.schedulers._pbt import PARENT, PARENT_STEP, perturb
from nntune.space import Beta, Choice, Float, Int, Space
from nntune.trial import FrozenTrial, TrialState

VALUES = {0: 0.8, 1: 0.1, 2: 0.5, 3: 0.3, 4: 0.9, 5: 0.2, 6: 0.7, 7: 0.4}  # best: 1, 5; worst: 4, 0


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_exploit_copies_a_top_quantile_trial_only_for_the_bottom_quantile(direction: str) -> None:
    values = VALUES if direction == "minimize" else {n: 1 - v for n, v in VALUES.items()}
    parents = {n: exploit(values, n, 0.25, direction) for n in values}
    assert {n for n, p in parents.items() if p is not None} == {0, 4}
    assert (parents[4], parents[0]) == (1, 5)  # the worst copies the best, the next the next


def test_exploit_rounds_the_quantile_up_and_ranks_non_finite_last() -> None:
    assert exploit({0: 1.0}, 0, 0.25, "minimize") is None  # alone at its step: nobody to copy
    assert exploit({0: 1.0, 1: 2.0}, 1, 0.25, "minimize") == 0  # ceil(2 * 0.25) = 1
    assert exploit({0: 1.0, 1: 2.0}, 0, 0.25, "minimize") is None
    assert exploit({0: 1.0, 1: 2.0, 2: 3.0}, 2, 0.25, "minimize") == 0  # ceil(3 * 0.25) = 1
    assert exploit({0: 1.0, 1: 2.0, 2: 3.0}, 1, 0.25, "minimize") is None
    assert exploit({0: 1.0, 1: 2.0, 2: 3.0, 3: math.nan}, 3, 0.25, "minimize") == 0
    assert exploit({0: 1.0, 1: 2.0, 2: 3.0, 3: math.nan}, 2, 0.25, "minimize") is None
    assert exploit({0: 1.0, 1: 2.0, 2: 3.0, 3: 4.0}, 3, 0.5, "minimize") in (0, 1)
    # Never more than half: of 3 trials at quantile 0.5, one copies and one is copied.
    assert [exploit({0: 1.0, 1: 2.0, 2: 3.0}, n, 0.5, "minimize") for n in range(3)] == [None, None, 0]


SPACE = Space({"lr": Float(1e-4, 1.0, log=True), "dropout": Float(0.0, 0.5),
               "units": Int(8, 128, step=8), "beta": Beta(0.9, 0.999),
               "act": Choice(("relu", "tanh", "gelu"))})


def test_explore_keeps_every_value_within_the_space() -> None:
    rng = np.random.default_rng([0, 1])
    corners = [{"lr": 1e-4, "dropout": 0.0, "units": 8, "beta": 0.9, "act": "relu"},
               {"lr": 1.0, "dropout": 0.5, "units": 128, "beta": 0.999, "act": "gelu"},
               {"lr": 0.01, "dropout": 0.45, "units": 120, "beta": 0.99, "act": "tanh"}]
    for _ in range(300):
        for params in corners:
            out = explore(params, SPACE, rng, (0.5, 2.0), resample_probability=0.25)
            assert SPACE.contains(out), out


def test_explore_perturbs_by_the_factors_when_nothing_is_resampled() -> None:
    params = {"lr": 0.01, "dropout": 0.2, "units": 64, "beta": 0.99, "act": "tanh"}
    seen = set()
    for seed in range(40):
        out = explore(params, SPACE, np.random.default_rng(seed), (0.8, 1.2), resample_probability=0.0)
        assert out["lr"] in (pytest.approx(0.008), pytest.approx(0.012))
        assert out["dropout"] in (pytest.approx(0.16), pytest.approx(0.24))
        assert out["units"] in (48, 80)  # 51.2 and 76.8 snapped to the step of 8
        assert out["beta"] in (pytest.approx(1 - 0.008), pytest.approx(1 - 0.012))  # (1 - beta) scaled
        assert out["act"] in ("relu", "gelu")
        seen.add(round(out["lr"], 6))
    assert seen == {0.008, 0.012}


def test_explore_resamples_with_the_given_probability_reproducibly() -> None:
    params = {"lr": 0.01}
    space = Space({"lr": Float(1e-4, 1.0, log=True)})
    draws = [explore(params, space, np.random.default_rng([5, i]), (0.8, 1.2), 0.3)["lr"]
             for i in range(2000)]
    resampled = sum(not (math.isclose(v, 0.008) or math.isclose(v, 0.012)) for v in draws)
    assert abs(resampled / 2000 - 0.3) < 0.04
    assert draws == [explore(params, space, np.random.default_rng([5, i]), (0.8, 1.2), 0.3)["lr"]
                     for i in range(2000)]
    always = [explore(params, space, np.random.default_rng(i), (0.8, 1.2), 1.0)["lr"] for i in range(50)]
    assert len({round(v, 9) for v in always}) == 50


def test_perturb_moves_small_integers_and_choices_by_at_least_one_step() -> None:
    assert perturb(Int(1, 5), 2, 1.2) == 3 and perturb(Int(1, 5), 2, 0.8) == 1
    assert perturb(Int(1, 5), 5, 1.2) == 5 and perturb(Int(1, 5), 1, 0.8) == 1
    assert perturb(Choice(("a", "b")), "a", 0.8) == "a" and perturb(Choice(("a", "b")), "a", 1.2) == "b"


def test_explore_follows_conditions() -> None:
    space = Space({"opt": Choice(("sgd", "momentum")), "beta": Beta(0.8, 0.99)},
                  conditions={"beta": {"opt": ["momentum"]}})
    out = explore({"opt": "sgd"}, space, np.random.default_rng(0), (1.2,), 0.0)
    assert out == {"opt": "momentum", "beta": out["beta"]} and space.contains(out)
    back = explore(out, space, np.random.default_rng(0), (0.8,), 0.0)
    assert back == {"opt": "sgd"}
    # A parent value outside a narrower space is redrawn, or clamped for numbers.
    narrow = Space({"opt": Choice(("adam",)), "lr": Float(0.01, 0.1)})
    assert explore({"opt": "sgd", "lr": 5.0}, narrow, np.random.default_rng(0), (0.8,), 0.0) == \
        {"opt": "adam", "lr": 0.1}


def member(number: int, curve: dict[int, float], state: TrialState = TrialState.RUNNING,
           params: dict | None = None, **attrs: int) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, intermediate_values=dict(curve),
                       params=params or {"lr": 0.01 * (number + 1)},
                       distributions={"lr": Float(1e-4, 1.0, log=True)}, user_attrs=dict(attrs))


def population(step: int) -> list[FrozenTrial]:
    return [member(n, {s: v for s in range(1, step + 1)}) for n, v in VALUES.items()]


def test_pbt_stops_the_bottom_members_only_at_ready_steps() -> None:
    pbt = PBT(population=8, ready_epochs=4, quantile=0.25, seed=0)
    history = population(8)
    stopped = {t.number for t in history if pbt.decide(t, 8, history, "minimize") == Decision.STOP}
    assert stopped == {0, 4}
    early = population(7)
    assert all(pbt.decide(t, s, early, "minimize") == Decision.CONTINUE for t in early for s in (1, 2, 3, 5, 6, 7))
    # A member resumed at epoch 4 is first judged at epoch 8, after training 4 epochs of its own.
    child = member(9, {5: 9.0, 6: 9.0, 7: 9.0, 8: 9.0}, pbt_parent=1, pbt_parent_step=4)
    fresh_view = FrozenTrial(number=9, state=TrialState.RUNNING, intermediate_values=child.intermediate_values)
    assert pbt.start_step(fresh_view, [*history, child]) == 4
    assert pbt.decide(fresh_view, 8, [*history, child], "minimize") == Decision.STOP
    child6 = member(9, {5: 9.0, 6: 9.0, 7: 9.0, 8: 9.0}, pbt_parent=1, pbt_parent_step=6)
    assert pbt.decide(child6, 8, [*history, child6], "minimize") == Decision.CONTINUE


def test_a_stopped_member_gets_a_perturbed_copy_of_a_top_member_as_plain_data() -> None:
    pbt = PBT(population=8, ready_epochs=4, quantile=0.25, resample_probability=0.0, seed=3)
    history = population(8)
    proposal = pbt.propose(history[4], history, "minimize")
    assert isinstance(proposal, Proposal) and proposal.parent in (1, 5) and proposal.parent_step == 8
    parent_lr = history[proposal.parent].params["lr"]
    assert proposal.params["lr"] in (pytest.approx(parent_lr * 0.8), pytest.approx(parent_lr * 1.2))
    assert proposal == pbt.propose(history[4], list(reversed(history)), "minimize")
    assert Proposal.from_attrs(proposal.params, proposal.to_attrs()) == proposal
    assert Proposal.from_attrs({}, {}) is None
    # With the space given, exploration stays in it even where the parent's distribution is wider.
    narrow = PBT(space=Space({"lr": Float(0.001, 0.0125)}), resample_probability=0.0, seed=3)
    assert all(0.001 <= narrow.propose(t, history, "minimize").params["lr"] <= 0.0125 for t in history)
    assert pbt.propose(member(0, {}), history, "minimize") is None


def test_children_of_one_parent_at_one_step_explore_independently() -> None:
    # Each stopped member seeds its own draws (Ray's PBT draws per child too): children that
    # copy the same parent at the same step coincide only where every parameter happened to
    # take the same of the factors' two moves (frequent with one or two parameters).
    names = [f"p{i}" for i in range(6)]
    history = [FrozenTrial(number=n, state=TrialState.RUNNING, intermediate_values={4: float(n)},
                           params=dict.fromkeys(names, 0.01),
                           distributions=dict.fromkeys(names, Float(1e-4, 1.0, log=True))) for n in range(41)]
    pbt = PBT(population=1, quantile=0.5, resample_probability=0.0, seed=7)
    proposals = [pbt.propose(t, history, "minimize") for t in history[1:]]
    assert {(p.parent, p.parent_step) for p in proposals} == {(0, 4)}
    # 40 independent draws among 2**6 outcomes give about 30 distinct ones; one shared draw, 1.
    assert len({tuple(p.params.values()) for p in proposals}) >= 25


@pytest.mark.parametrize("kwargs", [{"quantile": 0.0}, {"quantile": 0.6}, {"ready_epochs": 0},
                                    {"perturb": ()}, {"resample_probability": 1.5},
                                    {"refill": "yes"}, {"seed": -1}])  # -1 failed at the first proposal
def test_bad_settings_name_the_field(kwargs: dict) -> None:
    with pytest.raises(ConfigError) as err:
        PBT(**kwargs)
    assert err.value.field == next(iter(kwargs))


def rate(lr: float) -> float:
    """Per-epoch shrink of a constructed loss: best at lr = 0.1, slower a decade away."""
    return 0.3 * math.exp(-((math.log10(lr) + 1) ** 2))


def test_run_pbt_replaces_stopped_members_with_resumed_perturbed_copies() -> None:
    epochs, checkpoints = 12, {}
    resumed: list[Proposal] = []

    def objective_factory(proposal: Proposal | None):
        def objective(trial: nntune.Trial) -> float:
            lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
            start, weight = 0, 1.0
            if proposal is not None:
                resumed.append(proposal)
                assert trial.params["lr"] == proposal.params["lr"]
                start, weight = proposal.parent_step, checkpoints[proposal.parent, proposal.parent_step]
            for epoch in range(start + 1, epochs + 1):
                weight *= 1 - rate(lr)
                checkpoints[trial.number, epoch] = weight
                trial.report(weight, epoch)
                if trial.should_prune():
                    raise nntune.TrialPruned()
            return weight
        return objective

    # max_resource: a member that reached the last epoch is finished, not exploited.
    pbt = PBT(population=8, ready_epochs=3, quantile=0.25, seed=0, max_resource=epochs)
    study = nntune.create_study(scheduler=pbt, seed=1)
    # The population starts good-first, so the later, poor members meet better ones at
    # their first ready step (members run one after another here).
    for lr in (0.1, 0.05, 0.2, 0.02, 1e-4, 2e-4, 3e-4, 1e-3):
        study.enqueue_trial({"lr": lr})
    ran = run_pbt(study, objective_factory, n_trials=60)
    trials = study.trials
    assert ran == len(trials) < 60  # it ended once every lineage finished
    fresh = [t for t in trials if "pbt_parent" not in t.user_attrs]
    children = [t for t in trials if "pbt_parent" in t.user_attrs]
    assert len(fresh) == 8 and len(children) == len(resumed) > 0
    assert sum(t.state == TrialState.PRUNED for t in trials) == len(children)
    for child in children:
        parent, step = child.user_attrs["pbt_parent"], child.user_attrs["pbt_parent_step"]
        assert step % 3 == 0 and min(child.intermediate_values) == step + 1
        assert step in trials[parent].intermediate_values
    best_fresh = min(t.intermediate_values[max(t.intermediate_values)] for t in fresh
                     if max(t.intermediate_values) == epochs)
    assert study.best_value <= best_fresh


def test_run_pbt_stops_starting_trials_once_the_timeout_has_passed() -> None:
    ticks = iter(range(1000))  # each look at the clock is one second later

    def objective_factory(proposal: Proposal | None):
        def objective(trial: nntune.Trial) -> float:
            lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
            for epoch in range(1, 7):
                trial.report(rate(lr) * epoch, epoch)
                if trial.should_prune():
                    raise nntune.TrialPruned()
            return rate(lr)
        return objective

    study = nntune.create_study(scheduler=PBT(population=8, ready_epochs=2, seed=0), seed=1)
    ran = run_pbt(study, objective_factory, n_trials=60, timeout=3.5, clock=lambda: float(next(ticks)))
    started = [t for t in study.trials if t.state != TrialState.WAITING]  # a replacement may wait
    assert ran == len(started) == 3  # checked before each trial: at 1, 2 and 3 s, not at 4 s
    assert study.stop_requested and study.stop_reason == "timeout of 3.5s reached"


def stored(n: int, state: TrialState, child: bool = False) -> FrozenTrial:
    """A founding member, or with ``child`` a replacement resumed from member 0 at step 1."""
    return member(n, {}, state, **({PARENT: 0, PARENT_STEP: 1} if child else {}))


def test_admission_asks_for_queued_or_missing_members_waits_on_running_ones() -> None:
    pbt = PBT(population=2, ready_epochs=1)

    assert pbt.admission([]) == "ask"
    assert pbt.admission([stored(0, TrialState.COMPLETE)]) == "ask"  # a founding member is missing
    full = [stored(0, TrialState.COMPLETE), stored(1, TrialState.RUNNING)]
    assert pbt.admission(full) == "wait"  # member 1 may yet be stopped and replaced
    assert pbt.admission([*full, stored(2, TrialState.WAITING, child=True)]) == "queued"
    done = [stored(0, TrialState.COMPLETE), stored(1, TrialState.PRUNED), stored(2, TrialState.COMPLETE, True)]
    assert pbt.admission(done) == "done"


def test_a_refilled_population_starts_new_members_instead_of_waiting_or_ending() -> None:
    pbt = PBT(population=2, ready_epochs=1, refill=True)

    assert pbt.admission([stored(0, TrialState.COMPLETE)]) == "ask"  # a founding member is missing
    one_training = [stored(0, TrialState.COMPLETE), stored(1, TrialState.RUNNING)]
    assert pbt.admission(one_training) == "ask"  # one of two places is free: a new member
    assert pbt.admission([*one_training, stored(2, TrialState.WAITING, child=True)]) == "queued"  # replacements first
    both_training = [*one_training, stored(2, TrialState.RUNNING)]
    assert pbt.admission(both_training) == "wait"  # the population is full
    finished = [stored(0, TrialState.COMPLETE), stored(1, TrialState.PRUNED), stored(2, TrialState.COMPLETE, True)]
    assert pbt.admission(finished) == "ask"  # every lineage ended: new members, not "done"
    assert "refill=True" in repr(pbt) and "refill" not in repr(PBT())


def test_refill_keeps_a_serial_population_going_until_the_trial_count() -> None:
    """Every founding lineage ends after 2 epochs; with refill the study still runs all 10
    trials it may hold, later members resuming earlier ones' checkpoints where they lag."""
    study = nntune.create_study(direction="minimize", sampler=nntune.samplers.RandomSampler(seed=0),
                                scheduler=PBT(population=3, ready_epochs=1, seed=0, max_resource=2,
                                              refill=True))

    def factory(proposal: Proposal | None):
        def objective(trial):
            x = trial.suggest_float("x", -1.0, 1.0)
            start = 0 if proposal is None else proposal.parent_step
            for step in range(start + 1, 3):
                trial.report(x * x + 1.0 / step, step)
                if trial.should_prune():
                    raise nntune.TrialPruned()
            return x * x + 0.5
        return objective

    ran = run_pbt(study, factory, n_trials=10)
    trials = study.get_trials()
    assert ran == 10 and len(trials) == 10
    assert len([t for t in trials if PARENT not in t.user_attrs]) > 3  # new members joined



def test_run_pbt_without_a_pbt_names_its_own_argument() -> None:
    # It named search.scheduler, a config's field, to a script that wrote no config.
    study = nntune.create_study()
    with pytest.raises(ConfigError, match=r"^pbt: run_pbt needs a PBT: pass pbt=PBT\(...\) or create the study"):
        run_pbt(study, lambda proposal: lambda trial: 1.0, n_trials=2)
    assert study.trials == []
