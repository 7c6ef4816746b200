"""TPE: its pure parts (split, Parzen estimators, ranking) and its behaviour as a sampler."""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

import nntune
from nntune import Beta, Choice, Float, Int, Space, TrialState
from nntune.samplers import RandomSampler, TPESampler
from nntune.samplers._define_by_run import rank_key, ranked
from nntune.samplers._parzen import Layout, bandwidths, fit_parzen, log_density, sample_parzen
from nntune.samplers._tpe import default_gamma, split, tpe_choose
from nntune.space import grid_values
from nntune.trial import FrozenTrial


def test_split_sizes():
    assert [default_gamma(n) for n in (1, 10, 11, 100, 1000)] == [1, 1, 2, 10, 25]
    assert split(1, default_gamma) == 1
    assert split(2, 0.9) == 1  # the bad group is never empty when there are two trials
    assert split(40, 0.25) == 10
    assert split(40, lambda n: 3) == 3


def mass(space: Space, mu: np.ndarray, n_grid: int = 4001) -> float:
    """Total probability of the estimator over a one-parameter space."""
    layout = Layout.of(space)
    dist = next(iter(space.params.values()))
    if isinstance(dist, Float) and dist.step is None or isinstance(dist, Beta):
        x = np.linspace(0, 1, n_grid)[:, None]
        return float(np.trapezoid(np.exp(log_density(fit_parzen(mu, layout), layout, x)), x[:, 0]))
    if isinstance(dist, Float):
        values = list(np.arange(dist.low, dist.high + dist.step / 2, dist.step))
    else:
        values = dist.values if isinstance(dist, Choice) else grid_values(dist, dist.high - dist.low + 1)
    x = np.array([[dist.to_unit(v)] for v in values])
    return float(np.exp(log_density(fit_parzen(mu, layout), layout, x)).sum())


@pytest.mark.parametrize("dist", [Float(0, 1), Float(1e-5, 1, log=True), Beta(0.9, 0.999), Int(1, 9),
                                  Int(1, 300, log=True), Float(0, 1, step=0.1), Choice(("a", "b", "c"))])
def test_parzen_estimators_are_normalized_on_every_kind_of_parameter(dist):
    space = Space({"p": dist})
    mu = np.array([[dist.to_unit(dist.from_unit(u))] for u in (0.02, 0.3, 0.35, 0.97)])
    assert mass(space, mu) == pytest.approx(1.0, abs=2e-3)
    assert mass(space, mu[:1]) == pytest.approx(1.0, abs=2e-3)


def test_a_kernel_over_a_missing_parameter_is_the_uniform_prior():
    layout = Layout.of(Space({"a": Float(0, 1), "b": Float(0, 1)}))
    mu = np.array([[0.2, np.nan], [0.8, 0.5]])
    est = fit_parzen(mu, layout)
    g = np.linspace(0, 1, 301)
    xx, yy = np.meshgrid(g, g)
    dens = np.exp(log_density(est, layout, np.column_stack([xx.ravel(), yy.ravel()]))).reshape(xx.shape)
    assert np.trapezoid(np.trapezoid(dens, g, axis=1), g) == pytest.approx(1.0, abs=5e-3)
    # A point that lacks b is scored on a alone: the marginal, which also integrates to 1.
    only_a = np.column_stack([g, np.full_like(g, np.nan)])
    assert np.trapezoid(np.exp(log_density(est, layout, only_a)), g) == pytest.approx(1.0, abs=5e-3)


def test_bandwidths_shrink_with_agreement_but_one_axis_fits_keep_a_floor():
    layout = Layout.of(Space({"x": Float(0, 1)}))
    lone = bandwidths(np.array([[0.5]]), layout)[0][0]
    tight = bandwidths(np.full((8, 1), 0.5) + np.linspace(0, 0.01, 8)[:, None], layout)[0][0]
    wide = bandwidths(np.linspace(0, 1, 8)[:, None], layout)[0][0]
    assert tight < lone and tight < wide
    assert tight < 0.05
    assert bandwidths(np.full((8, 1), 0.5), layout, min_share=1.0)[0][0] == pytest.approx(1 / 9)


def test_samples_follow_the_estimator():
    layout = Layout.of(Space({"a": Float(0, 1), "c": Choice(("x", "y"))}))
    est = fit_parzen(np.array([[0.3, 0.75]] * 30), layout, prior_weight=1.0)
    draws = sample_parzen(est, layout, np.random.default_rng(0), 4000)
    assert abs(np.median(draws[:, 0]) - 0.3) < 0.03
    assert np.mean(draws[:, 1] >= 0.5) > 0.8  # the kernel keeps "y" most of the time
    assert draws.min() >= 0 and draws.max() <= 1


def test_choose_goes_where_good_beats_bad():
    space = Space({"x": Float(0, 1)})
    good = np.array([[0.3], [0.32], [0.28]])
    bad = np.random.default_rng(1).random((40, 1)) * 0.4 + 0.6
    picks = [tpe_choose(space, good, bad, np.random.default_rng(s), 24)[0] for s in range(10)]
    assert all(0.1 < p < 0.5 for p in picks)


def finished(number: int, state: TrialState, value: float | None = None, steps: dict | None = None) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, params={"x": 0.5}, value=value,
                       intermediate_values=steps or {})


def test_ranking_rule_puts_complete_first_then_pruned_by_how_far_they_got():
    history = [
        finished(0, TrialState.PRUNED, 0.01, {1: 0.01}),      # great value, but only one epoch
        finished(1, TrialState.COMPLETE, 0.9),
        finished(2, TrialState.PRUNED, 0.5, {1: 0.6, 9: 0.5}),  # got to epoch 9
        finished(3, TrialState.DIVERGED),
        finished(4, TrialState.FAILED),
        finished(5, TrialState.RUNNING),
        finished(6, TrialState.COMPLETE, 0.2),
        finished(7, TrialState.PRUNED, 0.3, {1: 0.3}),
        finished(8, TrialState.PRUNED),
    ]
    assert [t.number for t in ranked(history, "minimize")] == [6, 1, 2, 0, 7, 8, 3]
    assert [t.number for t in ranked(history, "maximize")][:2] == [1, 6]
    assert [t.number for t in ranked(history, "minimize", consider_pruned=False)] == [6, 1, 3]
    assert rank_key(history[4], "minimize") is None


def quadratic(p: dict) -> float:
    return sum((p[f"x{i}"] - c) ** 2 for i, c in enumerate((1.0, -2.0, 0.5)))


QUAD = Space({f"x{i}": Float(-5.0, 5.0) for i in range(3)})


def best_after(sampler, n: int = 50) -> float:
    study = nntune.create_study(sampler=sampler, space=QUAD)
    study.optimize(lambda t: quadratic(t.suggest_space(QUAD)), n_trials=n)
    return study.best_value


def test_tpe_beats_random_on_a_quadratic():
    seeds = range(5)
    tpe = statistics.median(best_after(TPESampler(seed=s)) for s in seeds)
    rnd = statistics.median(best_after(RandomSampler(seed=s)) for s in seeds)
    assert tpe < rnd / 2


def test_univariate_mode_also_learns():
    tpe = statistics.median(best_after(TPESampler(seed=s, multivariate=False)) for s in range(5))
    rnd = statistics.median(best_after(RandomSampler(seed=s)) for s in range(5))
    assert tpe < rnd


def test_deterministic_and_valid_on_every_kind_of_parameter():
    space = Space({"opt": Choice(("sgd", "adam")), "lr": Float(1e-5, 1, log=True), "beta": Beta(0.9, 0.999),
                   "units": Int(8, 512, log=True), "layers": Int(1, 5), "drop": Float(0, 0.5, step=0.05)},
                  conditions={"beta": {"opt": ["sgd"]}})

    def run(seed: int, direction: str) -> list[dict]:
        study = nntune.create_study(sampler=TPESampler(seed=seed, n_startup_trials=5), space=space,
                                    direction=direction)
        study.optimize(lambda t: sum(abs(v) for v in t.suggest_space(space).values() if not isinstance(v, str)),
                       n_trials=25)
        for t in study.trials:
            assert space.contains(t.params)
            assert ("beta" in t.params) == (t.params["opt"] == "sgd")
        return [t.params for t in study.trials]

    assert run(0, "minimize") == run(0, "minimize")
    assert run(0, "minimize") != run(1, "minimize")
    assert run(0, "minimize")[5:] != run(0, "maximize")[5:]


def test_pruned_trials_count_as_information_only_when_asked():
    space = Space({"x": Float(0, 1)})
    pruned = [FrozenTrial(number=i, state=TrialState.PRUNED, params={"x": i / 10}, value=1.0,
                          intermediate_values={1: 1.0}) for i in range(10)]
    complete = [FrozenTrial(number=10, state=TrialState.COMPLETE, params={"x": 0.55}, value=0.1)]
    history = pruned + complete
    random_pick = RandomSampler(seed=0).suggest(space, history, number=11)
    assert TPESampler(seed=0, consider_pruned=False).suggest(space, history, number=11) == random_pick
    modelled = TPESampler(seed=0, consider_pruned=True, gamma=lambda n: 1).suggest(space, history, number=11)
    assert modelled != random_pick
    assert abs(modelled["x"] - 0.55) < 0.2  # the one complete trial is the good group


def test_suggestion_time_at_1000_trials_is_a_few_milliseconds():
    rng = np.random.default_rng(0)
    history = []
    for i in range(1000):
        params = QUAD.sample(rng)
        history.append(FrozenTrial(number=i, state=TrialState.COMPLETE, params=params,
                                   distributions=dict(QUAD.params), value=quadratic(params)))
    sampler = TPESampler(seed=0)
    times = []
    for k in range(7):
        start = time.perf_counter()
        sampler.suggest(QUAD, history, number=1000 + k)
        times.append(time.perf_counter() - start)
    # A few ms on an idle core; the bound leaves room for a busy CI machine.
    assert statistics.median(times) < 0.1


def test_row_cache_matches_encode_and_notices_changed_params_and_spaces() -> None:
    from nntune.samplers._define_by_run import RowCache, encode

    space = Space({"lr": Float(1e-4, 1.0, log=True), "act": Choice(("relu", "tanh"))})
    trials = [FrozenTrial(number=n, state=TrialState.COMPLETE, value=float(n),
                          params={"lr": 10 ** -(1 + n % 3), "act": ("relu", "tanh")[n % 2]}) for n in range(100)]
    cache = RowCache()
    assert np.array_equal(cache.encode(space, trials), encode(space, trials), equal_nan=True)
    picked = trials[::-7]  # any order and subset
    assert np.array_equal(cache.encode(space, picked), encode(space, picked), equal_nan=True)
    # Same number, other parameters (e.g. another study's trial): encoded again.
    other = [FrozenTrial(number=3, state=TrialState.COMPLETE, value=0.0, params={"lr": 0.5, "act": "relu"})]
    assert np.array_equal(cache.encode(space, other), encode(space, other), equal_nan=True)
    narrower = Space({"lr": Float(1e-3, 1.0, log=True)})
    assert np.array_equal(cache.encode(narrower, trials), encode(narrower, trials), equal_nan=True)


def test_rank_cache_matches_ranked_as_a_history_grows_and_changes() -> None:
    from nntune.samplers._define_by_run import RankCache

    rng = np.random.default_rng(0)
    states = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.DIVERGED, TrialState.FAILED, TrialState.RUNNING]
    history: list[FrozenTrial] = []
    cache = RankCache()
    for number in range(150):
        state = states[int(rng.choice(5, p=[0.6, 0.2, 0.05, 0.05, 0.1]))]
        steps = {s: float(rng.random()) for s in range(1, int(rng.integers(0, 4)) + 1)}
        history.append(FrozenTrial(number=number, state=state, value=float(rng.random()) if state != TrialState.RUNNING else None,
                                   intermediate_values=steps if state != TrialState.COMPLETE else {}))
        if number % 10 == 5:  # a running trial finishes: a new object for that trial
            running = [t for t in history if t.state == TrialState.RUNNING]
            if running:
                t = running[0]
                history[t.number] = FrozenTrial(number=t.number, state=TrialState.COMPLETE, value=0.5)
        for direction in ("minimize", "maximize") if number % 25 == 0 else ("minimize",):
            got = cache.ranked(history, direction)
            assert [t.number for t in got] == [t.number for t in ranked(history, direction)]
    other = history[:40]  # another history altogether
    assert [t.number for t in cache.ranked(other, "minimize")] == [t.number for t in ranked(other, "minimize")]


def test_optunas_group_recipe_runs_on_a_conditional_space():
    from nntune.exceptions import ConfigError

    def objective(trial):
        kind = trial.suggest_categorical("kind", ["a", "b"])
        x = trial.suggest_float(f"x_{kind}", -3, 3)
        return (x - (1 if kind == "a" else -2)) ** 2 + (kind == "b") * 0.5

    sampler = nntune.samplers.TPESampler(seed=0, multivariate=True, group=True, warn_independent_sampling=False,
                                         n_startup_trials=8)
    study = nntune.create_study(sampler=sampler)
    study.optimize(objective, n_trials=40)
    assert study.best_value < 0.05 and study.best_params["kind"] == "a"
    with pytest.raises(ConfigError, match="^group: needs multivariate=True"):
        nntune.samplers.TPESampler(multivariate=False, group=True)


def test_kernel_weights_set_each_kernels_share_and_a_zero_prior_drops_the_uniform_part():
    layout = Layout.of(Space({"x": Float(0, 1)}))
    mu = np.r_[np.full(8, 0.2), np.full(8, 0.8)][:, None]  # two tight groups of 8 kernels
    even, heavy = fit_parzen(mu, layout), fit_parzen(mu, layout, weights=np.r_[np.full(8, 3.0), np.ones(8)])
    at = np.array([[0.2], [0.8], [0.5]])
    d_even, d_heavy = np.exp(log_density(even, layout, at)), np.exp(log_density(heavy, layout, at))
    assert d_even[0] == pytest.approx(d_even[1], rel=1e-6) and d_heavy[0] > 2.5 * d_heavy[1]
    draws = sample_parzen(heavy, layout, np.random.default_rng(0), 4000)[:, 0]
    assert np.mean(draws < 0.5) == pytest.approx((24 + 0.5) / 33, abs=0.03)  # kernels 24:8, the prior split
    for est in (even, heavy):  # still a density
        g = np.linspace(0, 1, 4001)[:, None]
        assert np.trapezoid(np.exp(log_density(est, layout, g)), g[:, 0]) == pytest.approx(1.0, abs=2e-3)
    far = np.array([[0.999]])
    no_prior = fit_parzen(np.array([[0.2]] * 8), layout, prior_weight=0.0)
    assert log_density(no_prior, layout, far)[0] < log_density(fit_parzen(np.array([[0.2]] * 8), layout), layout, far)[0] - 5
    assert np.isfinite(log_density(fit_parzen(np.empty((0, 1)), layout, prior_weight=0.0), layout, far)).all()
    with pytest.raises(ValueError, match="weights"):
        fit_parzen(mu, layout, weights=np.array([1.0]))


def test_without_the_magic_clip_clustered_kernels_narrow_past_its_floor():
    layout = Layout.of(Space({"x": Float(0, 1)}))
    cluster = np.full((30, 1), 0.5) + np.linspace(0, 1e-4, 30)[:, None]
    assert bandwidths(cluster, layout, min_share=1.0)[0][0] == pytest.approx(1 / 31)  # one-axis: 1 / (m + 1)
    unclipped = bandwidths(cluster, layout, min_share=1.0, clip=False)[0][0]
    assert unclipped < 1 / 31 and unclipped == bandwidths(cluster, layout, clip=False)[0][0]  # Scott's rule alone
    crowd = np.full((20000, 1), 0.5)
    assert bandwidths(crowd, layout)[0][0] == pytest.approx(0.01)  # the floor of 1 / 100
    assert bandwidths(crowd, layout, clip=False)[0][0] < 0.005


def test_optunas_parzen_switches_are_taken_and_weights_favour_the_trials_they_weigh():
    from nntune.samplers._tpe import group_weights

    # weights(n) is handed out oldest trial first whatever the rank order.
    assert list(group_weights([7, 2, 5], lambda n: np.arange(1.0, n + 1))) == [3.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="must return 3 values"):
        group_weights([7, 2, 5], lambda n: np.ones(n + 1))
    rnd = statistics.median(best_after(RandomSampler(seed=s)) for s in range(3))
    for kwargs in ({"consider_prior": False}, {"consider_magic_clip": False}, {"consider_endpoints": True},
                   {"weights": lambda n: np.linspace(0.1, 1.0, n)}):
        best = statistics.median(best_after(TPESampler(seed=s, **kwargs)) for s in range(3))
        assert best < rnd / 4, (kwargs, best, rnd)  # each still learns the quadratic
    # Weight only the newest trial: every suggestion after the start-up lands near the last one.
    sampler = TPESampler(seed=0, n_startup_trials=5, prior_weight=1e-9, gamma=0.5,
                         weights=lambda n: np.r_[np.zeros(n - 1), 1.0] if n else np.ones(0))
    space = Space({"x": Float(0, 1)})
    history = [FrozenTrial(number=i, state=TrialState.COMPLETE, params={"x": x}, value=abs(x - 0.5),
                           distributions={"x": Float(0, 1)})
               for i, x in enumerate([0.45, 0.55, 0.1, 0.9, 0.51, 0.05])]
    picks = [sampler.suggest(space, history, number=6 + k)["x"] for k in range(8)]
    assert all(abs(p - 0.51) < 0.2 for p in picks), picks
