"""WilcoxonPruner: the rule on constructed values (against scipy's own p-values), the
arguments' checks, and real studies over 20 instances, side by side with Optuna's pruner."""

from __future__ import annotations

import inspect
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy.stats import wilcoxon

import nntune
from nntune.exceptions import ConfigError, PruningUndefined
from nntune.pruners import MedianPruner, WilcoxonPruner
from nntune.pruners._wilcoxon import best_curve, signed_rank_p, wilcoxon_verdict
from nntune.schedulers import Decision
from nntune.trial import FrozenTrial, TrialState


def p_value(diffs: list[float], alternative: str) -> float:
    return float(wilcoxon(diffs, alternative=alternative, zero_method="zsplit").pvalue)


# The rule ----------------------------------------------------------------------------------

@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("seed", range(6))
def test_p_value_is_scipys_one_sided_test_on_the_shared_instances(direction, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 25))
    best = {int(s): float(v) for s, v in zip(rng.permutation(40)[:n], rng.normal(size=n))}
    shift = float(rng.normal(0.0, 0.5))
    values = {s: v + shift + float(rng.normal(0.0, 0.3)) for s, v in best.items()}
    verdict = wilcoxon_verdict(values, best, direction, 0.1, 2)
    diffs = [values[s] - best[s] for s in sorted(values)]
    expected = p_value(diffs, "less" if direction == "maximize" else "greater")
    assert verdict.p_value == pytest.approx(expected, rel=1e-12)
    mine, theirs = np.mean(list(values.values())), np.mean(list(best.values()))
    worse_on_average = mine < theirs if direction == "maximize" else mine > theirs
    assert verdict.prune == (expected < 0.1 and worse_on_average)


@pytest.mark.parametrize("seed", range(4))
def test_ties_and_zeros_give_scipys_permutation_p_value(seed):
    # Discrete scores (right or wrong per question) tie and cancel: scipy then runs an exact
    # sign-flip permutation test up to 13 differences, which the rule enumerates itself.
    rng = np.random.default_rng(seed)
    for n in (2, 3, 5, 8, 10):
        diffs = [float(v) for v in rng.integers(-2, 3, size=n) * 0.5]
        for alternative in ("less", "greater"):
            assert signed_rank_p(diffs, alternative) == p_value(diffs, alternative), (diffs, alternative)


def test_thirteen_tied_differences_take_milliseconds_not_scipys_second():
    diffs = [1.0 if i % 4 else 0.0 for i in range(12)] + [-1.0]
    start = time.perf_counter()
    ours = signed_rank_p(diffs, "greater")
    took = time.perf_counter() - start
    start = time.perf_counter()
    theirs = p_value(diffs, "greater")
    assert ours == theirs and took * 20 < time.perf_counter() - start
    assert signed_rank_p(diffs + [2.0], "greater") == p_value(diffs + [2.0], "greater")  # 14: scipy's asymptotic


def test_consistently_worse_instances_prune_from_the_fourth_at_the_default_threshold():
    best = {i: float(i % 2) for i in range(10)}
    worse = {i: best[i] + 1.0 for i in range(10)}
    # All differences positive: p = 2**-n, below 0.1 from n = 4.
    for n in range(1, 11):
        verdict = wilcoxon_verdict({i: worse[i] for i in range(n)}, best, "minimize", 0.1, 2)
        assert verdict.prune == (n >= 4), n
        if n >= 2:
            assert verdict.p_value == pytest.approx(2.0 ** -n)
    four = {i: worse[i] for i in range(4)}
    assert not wilcoxon_verdict(four, best, "minimize", 2.0 ** -4, 2).prune  # p must be below the threshold
    # The same values are better when larger is better.
    assert not wilcoxon_verdict(worse, best, "maximize", 0.1, 2).prune
    assert wilcoxon_verdict(best, worse, "maximize", 0.1, 2).prune


def test_startup_steps_count_only_instances_both_trials_reported():
    best = {i: 0.0 for i in range(0, 20, 2)}  # even instances
    values = {i: 1.0 for i in range(12)}  # six of them even
    assert wilcoxon_verdict(values, best, "minimize", 0.1, 6).prune
    seven = wilcoxon_verdict(values, best, "minimize", 0.1, 7)
    assert not seven.prune and math.isnan(seven.p_value)  # untested
    assert seven.note == "unpaired steps"  # the odd instances are left out


@pytest.mark.parametrize("n_startup_steps", [0, 1])
def test_two_shared_instances_at_least_whatever_the_startup(n_startup_steps):
    one = wilcoxon_verdict({3: 100.0}, {3: 0.0}, "minimize", 1.0, n_startup_steps)
    assert not one.prune and math.isnan(one.p_value)
    two = wilcoxon_verdict({3: 100.0, 5: 100.0}, {3: 0.0, 5: 0.0}, "minimize", 1.0, n_startup_steps)
    assert two.prune and two.p_value == pytest.approx(0.25)


def test_zero_differences_split_so_a_copy_of_the_best_is_never_pruned():
    best = {i: float(i % 3) for i in range(9)}
    same = wilcoxon_verdict(dict(best), best, "minimize", 0.99, 2)
    assert same.p_value == pytest.approx(1.0) and not same.prune
    # Ties among the nonzero differences and zeros beside them: scipy's value still.
    values = {i: v + (1.0 if i % 4 else 0.0) for i, v in best.items()}
    verdict = wilcoxon_verdict(values, best, "minimize", 0.1, 2)
    assert verdict.p_value == pytest.approx(p_value([values[i] - best[i] for i in range(9)], "greater"))
    assert verdict.prune


def test_a_trial_whose_mean_is_as_good_as_the_best_trials_is_kept():
    # The best trial also ran hard instances 10..19 that this trial has not reached: this
    # trial is worse on every shared instance, yet its mean so far is lower. Kept.
    best = {i: 1.0 for i in range(10)} | {i: 10.0 for i in range(10, 20)}
    values = {i: 2.0 for i in range(10)}
    verdict = wilcoxon_verdict(values, best, "minimize", 0.1, 2)
    assert verdict.p_value < 0.01 and not verdict.prune
    assert wilcoxon_verdict(values, {i: 1.0 for i in range(20)}, "minimize", 0.1, 2).prune


@pytest.mark.parametrize("values, best, note", [
    ({}, {0: 1.0}, "no values"),
    ({0: 5.0, 1: math.nan, 2: 5.0, 3: 5.0, 4: 5.0}, {i: 0.0 for i in range(5)}, "not finite"),
    ({0: 5.0, 1: math.inf, 2: 5.0, 3: 5.0, 4: 5.0}, {i: 0.0 for i in range(5)}, "not finite"),
    ({i: 5.0 for i in range(5)}, {0: 0.0, 1: None, 2: 0.0, 3: 0.0, 4: 0.0}, "best not finite"),
    ({i: 5.0 for i in range(5)}, {}, "best has no values"),
    ({i: 5.0 for i in range(5)}, None, ""),
])
def test_what_cannot_be_judged_is_kept(values, best, note):
    verdict = wilcoxon_verdict(values, best, "minimize", 0.1, 2)
    assert not verdict.prune and verdict.note == note


# The pruner ----------------------------------------------------------------------------------

def finished(number: int, value: float | None, curve: dict[int, float], state: TrialState = TrialState.COMPLETE,
             **system: Any) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, value=value, intermediate_values=dict(curve),
                       system_attrs=dict(system))


def test_compares_with_the_best_complete_feasible_trial():
    flat = {i: 1.0 for i in range(10)}
    history = [
        finished(0, 5.0, {i: 5.0 for i in range(10)}),
        finished(1, 1.0, flat),
        finished(2, 0.0, {i: 0.0 for i in range(10)}, TrialState.PRUNED),  # not complete
        finished(3, 0.5, {i: 0.5 for i in range(10)}, constraints=[1.0]),  # infeasible
    ]
    assert best_curve(history, "minimize") == (1, flat)
    assert best_curve(history, "maximize")[0] == 0
    assert best_curve(history[2:3], "minimize") is None
    running = FrozenTrial(number=4, state=TrialState.RUNNING, intermediate_values={i: 3.0 for i in range(4)})
    pruner = WilcoxonPruner()
    assert pruner.decide(running, 3, history, "minimize") == Decision.STOP  # worse than trial 1
    assert pruner.decide(running, 3, history, "maximize") == Decision.STOP  # worse than trial 0
    high = FrozenTrial(number=4, state=TrialState.RUNNING, intermediate_values={i: 6.0 for i in range(4)})
    assert pruner.decide(high, 3, history, "maximize") == Decision.CONTINUE  # better than trial 0
    assert pruner.decide(running, 3, history[2:], "minimize") == Decision.CONTINUE  # no complete feasible one


def test_warns_when_values_are_not_finite():
    history = [finished(0, 0.0, {i: 0.0 for i in range(5)})]
    running = FrozenTrial(number=1, state=TrialState.RUNNING,
                          intermediate_values={0: 1.0, 1: math.nan, 2: 1.0, 3: 1.0, 4: 1.0})
    with pytest.warns(UserWarning, match="trial 1 include NaN"):
        assert WilcoxonPruner().decide(running, 4, history, "minimize") == Decision.CONTINUE


@pytest.mark.filterwarnings("ignore:the values of trial 0 include NaN")
def test_an_instance_where_the_best_trial_was_not_finite_is_left_out_with_a_warning():
    # Stored curves keep finite values only: the best trial's NaN at instance 2 is no value.
    def objective(trial: nntune.Trial) -> float:
        values = [0.0, 0.0, math.nan, 0.0, 0.0, 0.0] if trial.number == 0 else [1.0] * 6
        for step, value in enumerate(values):
            trial.report(value, step)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return float(np.nanmean(values))

    study = nntune.create_study(pruner=WilcoxonPruner(p_threshold=0.1))
    with pytest.warns(UserWarning, match=r"trial 1 reported steps for which the best trial \(trial 0\) has no "
                                         r"value \(not reported, or NaN or infinite\)"):
        study.optimize(objective, n_trials=2)
    assert study.trials[0].intermediate_values == {0: 0.0, 1: 0.0, 3: 0.0, 4: 0.0, 5: 0.0}
    assert (study.trials[1].state, study.trials[1].last_step) == ("pruned", 4)


@pytest.mark.parametrize("kwargs, field", [
    ({"p_threshold": -0.01}, "p_threshold"),
    ({"p_threshold": 1.5}, "p_threshold"),
    ({"p_threshold": "0.1"}, "p_threshold"),
    ({"p_threshold": True}, "p_threshold"),
    ({"n_startup_steps": -1}, "n_startup_steps"),
    ({"n_startup_steps": 2.5}, "n_startup_steps"),
])
def test_bad_arguments_name_the_argument_in_one_line(kwargs, field):
    with pytest.raises(ConfigError) as raised:
        WilcoxonPruner(**kwargs)
    assert raised.value.field == field and "\n" not in str(raised.value) and str(raised.value).startswith(field)


def test_signature_is_optunas():
    optuna = pytest.importorskip("optuna")
    assert inspect.signature(WilcoxonPruner) == inspect.signature(optuna.pruners.WilcoxonPruner)
    assert "WilcoxonPruner" in nntune.pruners.__all__
    assert repr(WilcoxonPruner(p_threshold=0.05, n_startup_steps=5)) == \
        "WilcoxonPruner(p_threshold=0.05, n_startup_steps=5)"


def test_several_objectives_keep_it_and_asking_it_says_pruning_is_undefined():
    for pruner in (WilcoxonPruner(), MedianPruner()):  # kept, as Optuna keeps every pruner
        study = nntune.create_study(directions=["minimize", "maximize"], pruner=pruner)
        trial = study.ask()
        trial.report(1.0, 0)
        with pytest.raises(PruningUndefined):
            trial.should_prune()
    assert issubclass(PruningUndefined, NotImplementedError)  # as Optuna's should_prune raises there


# Real studies --------------------------------------------------------------------------------

N_INSTANCES = 20
DIFFICULTY = [((7 * i) % N_INSTANCES) / N_INSTANCES for i in range(N_INSTANCES)]  # easy and hard instances
# A fixed sequence: a mediocre incumbent first, the best (0.3) third, near misses and clear losers after.
CONFIGS = [0.6, 0.9, 0.3, 0.0, 0.32, 0.75, 0.45, 0.1, 0.28, 0.5, 0.2, 1.0, 0.35, 0.25]
BEST = 0.3


def loss(x: float, instance: int) -> float:
    """Instance difficulty plus a penalty for straying from 0.3, with a little per-instance
    disturbance: every configuration meets hard and easy instances, only 0.3 is best on average."""
    return DIFFICULTY[instance] + 4.0 * (x - BEST) ** 2 + 0.05 * math.sin(37.0 * instance + 11.0 * x)


def run(lib: Any, configs: list[float], *, sign: float = 1.0, on_prune: str = "raise", storage: Any = None,
        n_jobs: int = 1, pruner: Callable[[], Any] | None = None, study: Any = None) -> dict[float, int]:
    """Each configuration's number of instances evaluated when it was pruned (absent: ran all 20)."""
    pruned_at: dict[float, int] = {}

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        order = np.random.default_rng(round(x * 1000)).permutation(N_INSTANCES)  # its own shuffled order
        seen: list[float] = []
        for instance in order:
            seen.append(sign * loss(x, int(instance)))
            trial.report(seen[-1], int(instance))
            if trial.should_prune():
                pruned_at[x] = len(seen)
                if on_prune == "raise":
                    raise lib.TrialPruned()
                break  # Optuna's documented alternative: return the mean of what was evaluated
        return sum(seen) / len(seen)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's ExperimentalWarning
        if study is None:
            make = pruner or (lambda: lib.pruners.WilcoxonPruner())
            study = lib.create_study(storage=storage, direction="minimize" if sign > 0 else "maximize",
                                     sampler=lib.samplers.RandomSampler(seed=0), pruner=make())
        for x in configs:
            study.enqueue_trial({"x": x})
        study.optimize(objective, n_trials=len(configs), n_jobs=n_jobs)
    return pruned_at


def test_clearly_worse_configurations_stop_after_a_few_instances_and_the_best_never():
    pruned = run(nntune, CONFIGS)
    assert BEST not in pruned
    clearly_worse = [0.9, 0.0, 0.75, 0.45, 0.1, 0.5, 1.0]  # 0.2 or more off the best (0.6 ran first)
    assert all(pruned[x] <= 6 for x in clearly_worse), pruned
    # 0.2 met easy instances first: its mean stayed below the best's, so it ran on until it did not.
    assert pruned[0.2] == 15
    assert 0.32 not in pruned  # as good as the best within the disturbance
    assert sum(pruned.values()) < 0.5 * N_INSTANCES * len(pruned)  # most of their work saved


@pytest.mark.parametrize("on_prune", ["raise", "return"])
@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["minimize", "maximize"])
@pytest.mark.parametrize("args", [{}, {"p_threshold": 0.05, "n_startup_steps": 6}, {"p_threshold": 0.3,
                                                                                      "n_startup_steps": 0}])
def test_prunes_the_trials_optuna_prunes_at_the_same_instances(on_prune, sign, args):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ours = run(nntune, CONFIGS, sign=sign, on_prune=on_prune, pruner=lambda: nntune.pruners.WilcoxonPruner(**args))
    theirs = run(optuna, CONFIGS, sign=sign, on_prune=on_prune,
                 pruner=lambda: optuna.pruners.WilcoxonPruner(**args))
    assert ours == theirs
    assert ours and BEST not in ours


def test_sqlite_storage_and_two_threads_prune_the_same_trials(tmp_path):
    in_memory = run(nntune, CONFIGS)
    assert run(nntune, CONFIGS, storage=f"sqlite:///{tmp_path / 'one.db'}") == in_memory
    # With two threads trials finish in any order; with the best one run first it is the
    # reference throughout, so each trial's fate is its own.
    rest = [x for x in CONFIGS if x != BEST]
    for storage in (None, f"sqlite:///{tmp_path / 'two.db'}"):
        study = nntune.create_study(storage=storage, sampler=nntune.samplers.RandomSampler(seed=0),
                                    pruner=WilcoxonPruner())
        assert run(nntune, [BEST], study=study) == {}
        two = run(nntune, rest, study=study, n_jobs=2)
        one = run(nntune, [BEST, *rest])
        assert two == one and len(two) == len(rest) - 1  # 0.32 is as good as the best
        states = {t.params["x"]: t.state for t in study.get_trials()}
        assert states[BEST] == TrialState.COMPLETE and study.best_params == {"x": BEST}
        assert [x for x, s in states.items() if s == TrialState.PRUNED] == [x for x in rest if x in two]


def test_asking_twice_at_one_step_gives_the_same_answer():
    answers: list[tuple[bool, bool]] = []

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for instance in range(N_INSTANCES):
            trial.report(loss(x, instance), instance)
            first, second = trial.should_prune(), trial.should_prune()
            answers.append((first, second))
            if first:
                raise nntune.TrialPruned()
        return float(np.mean([loss(x, i) for i in range(N_INSTANCES)]))

    study = nntune.create_study(pruner=WilcoxonPruner(), sampler=nntune.samplers.RandomSampler(seed=0))
    for x in (BEST, 0.9):
        study.enqueue_trial({"x": x})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warning about it
        study.optimize(objective, n_trials=2)
    assert all(a == b for a, b in answers) and answers[-1] == (True, True)
