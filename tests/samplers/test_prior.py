"""PriorSampler: trial 0 at the priors, a share ``weight`` of later trials drawn near them,
the rest the wrapped sampler's own."""

from __future__ import annotations

import math
import statistics

import pytest

import nntune
from nntune import Beta, Choice, Float, Int, Space
from nntune.exceptions import ConfigError
from nntune.samplers import PriorSampler, RandomSampler, TPESampler
from nntune.samplers._prior import draw_near, keep_probability

SPACE = Space({
    "optimizer": Choice(("sgd", "momentum", "adam", "rmsprop", "adagrad")),
    "lr": Float(1e-4, 1.0, log=True),
    "momentum": Beta(0.5, 0.999),
    "units": Int(16, 512, log=True),
    "beta2": Beta(0.9, 0.999),
}, conditions={"momentum": {"optimizer": ["momentum"]}})
PRIORS = {"optimizer": "adam", "lr": 1e-3, "beta2": 0.999}


def prior_sampler(seed: int = 0, **kw) -> PriorSampler:
    return PriorSampler(RandomSampler(seed=seed), PRIORS, **kw)


def test_trial_zero_takes_the_priors_and_the_base_fills_the_rest():
    s = prior_sampler()
    params = s.suggest(SPACE, [], number=0, direction="maximize")
    base = RandomSampler(seed=0).suggest(SPACE, [], number=0, direction="maximize")
    assert {k: params[k] for k in PRIORS} == PRIORS
    assert params["units"] == base["units"]
    assert "momentum" not in params  # adam does not activate it, whatever the base drew


def test_other_trials_are_the_base_samplers_own():
    s, base = prior_sampler(), RandomSampler(seed=0)
    own = [k for k in range(1, 200) if not s.from_prior(k)]
    assert own
    for k in own:
        assert s.suggest(SPACE, [], number=k) == base.suggest(SPACE, [], number=k)


@pytest.mark.parametrize("weight", [0.0, 0.25, 0.5, 1.0])
def test_the_share_of_prior_draws_is_the_weight(weight):
    s = prior_sampler(weight=weight)
    share = sum(s.from_prior(k) for k in range(1, 4001)) / 4000
    assert abs(share - weight) < 0.03
    assert s.from_prior(0)  # the baseline runs whatever the weight


def test_numeric_draws_centre_on_the_prior_with_the_spread_on_the_unit_scale():
    s = prior_sampler(weight=1.0, spread=0.1)
    dist = SPACE.params["lr"]
    units = [dist.to_unit(s.suggest(SPACE, [], number=k)["lr"]) for k in range(1, 3001)]
    centre = dist.to_unit(1e-3)  # 0.25: one decade of four above 1e-4
    assert abs(statistics.median(units) - centre) < 0.01
    assert abs(statistics.stdev(units) - 0.1) < 0.01  # truncation at 0 is 2.5 sd away
    # On a log scale: about two thirds within 10 ** +-0.4 of the prior.
    lrs = [dist.from_unit(u) for u in units]
    assert 0.62 < sum(10 ** -0.4 < lr / 1e-3 < 10 ** 0.4 for lr in lrs) / len(lrs) < 0.74


def test_a_prior_at_the_edge_draws_inside_the_range():
    s = prior_sampler(weight=1.0)
    values = [s.suggest(SPACE, [], number=k)["beta2"] for k in range(1, 2001)]
    assert all(0.9 <= v <= 0.999 for v in values)
    assert statistics.median(values) > 0.995  # half-normal below the top of the (1 - beta) scale


def test_a_choice_keeps_its_prior_with_the_mass_of_one_slice():
    assert keep_probability(1, 0.15) == 1.0
    assert keep_probability(5, 0.15) == pytest.approx(2 * statistics.NormalDist().cdf(1 / 1.5) - 1)
    assert keep_probability(5, 0.05) > keep_probability(5, 0.15) > keep_probability(5, 0.3) > 0.2
    assert keep_probability(5, 0.5) == 0.2  # a wide prior is a uniform draw, never less
    s = prior_sampler(weight=1.0)
    picks = [s.suggest(SPACE, [], number=k)["optimizer"] for k in range(1, 4001)]
    assert abs(picks.count("adam") / len(picks) - keep_probability(5, 0.15)) < 0.03
    others = [picks.count(v) for v in ("sgd", "momentum", "rmsprop", "adagrad")]
    assert min(others) > 0.8 * max(others)  # the rest evenly


def test_a_child_the_prior_activates_is_drawn_when_the_base_did_not_give_it():
    s = PriorSampler(RandomSampler(seed=1), {"optimizer": "momentum"}, weight=1.0)
    for k in range(30):
        params = s.suggest(SPACE, [], number=k)
        assert SPACE.contains(params)
        if params["optimizer"] == "momentum":
            assert "momentum" in params


def test_draw_near_follows_its_uniforms():
    dist = Int(16, 512, log=True)
    assert draw_near(dist, 128, 0.15, 0.5, 0.0) == 128  # the median of the normal is the prior
    assert draw_near(dist, 128, 0.15, 0.999, 0.0) > 128 > draw_near(dist, 128, 0.15, 0.001, 0.0)
    choice = Choice(("a", "b", "c"))
    assert draw_near(choice, "b", 0.15, 0.0, 0.9) == "b"
    assert draw_near(choice, "b", 0.15, 0.99, 0.0) == "a" and draw_near(choice, "b", 0.15, 0.99, 0.9) == "c"


def test_a_prior_outside_the_space_is_a_one_line_error():
    s = PriorSampler(RandomSampler(seed=0), {"lr": 5.0})
    with pytest.raises(ConfigError, match=r"space\.lr\.prior.*outside"):
        s.suggest(SPACE, [], number=0)
    with pytest.raises(ConfigError, match="prior_weight"):
        PriorSampler(RandomSampler(), PRIORS, weight=1.5)
    with pytest.raises(ConfigError, match="prior_spread"):
        PriorSampler(RandomSampler(), PRIORS, spread=0.0)


def test_define_by_run_parameters_take_their_priors():
    study = nntune.create_study(sampler=PriorSampler(RandomSampler(seed=2), {"lr": 1e-3}, weight=1.0))

    def objective(trial: nntune.Trial) -> float:
        return abs(math.log10(trial.suggest_float("lr", 1e-6, 1.0, log=True)) + 3)

    study.optimize(objective, n_trials=40)
    assert study.trials[0].params["lr"] == 1e-3
    assert statistics.median(t.value for t in study.trials) < 1.0  # six decades wide, within one


def regret(priors: dict, seed: int, weight: float = 0.5) -> float:
    """The best score of 12 trials of TPE (with priors) on a bowl whose minimum is at adam,
    lr 3e-3, 128 units."""
    def objective(trial: nntune.Trial) -> float:
        p = trial.suggest_space(SPACE)
        return (math.log10(p["lr"] / 3e-3) ** 2 + math.log2(p["units"] / 128) ** 2 / 4
                + (0.0 if p["optimizer"] == "adam" else 1.0))

    base = TPESampler(seed=seed, n_startup_trials=6)
    study = nntune.create_study(sampler=PriorSampler(base, priors, weight=weight) if priors else base, space=SPACE)
    study.optimize(objective, n_trials=12)
    return study.best_value


def test_right_priors_find_the_good_region_sooner_and_wrong_ones_cost_little():
    seeds = range(12)
    plain = statistics.median(regret({}, s) for s in seeds)
    right = statistics.median(regret({"optimizer": "adam", "lr": 1e-3, "units": 128}, s) for s in seeds)
    wrong = statistics.median(regret({"optimizer": "sgd", "lr": 0.5, "units": 16}, s) for s in seeds)
    assert right < 0.5 * plain
    assert wrong < plain + 1.0
