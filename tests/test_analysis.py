"""Study-level analysis: history, parameter importance, best region, each on known data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nntune.analysis import (
    IMPORTANCE_MIN_TRIALS,
    best_region,
    encode,
    history,
    param_importance,
    param_points,
    study_space,
    thin,
)
from nntune.space import Beta, Choice, Float, Int, Space
from nntune.trial import FrozenTrial, TrialState

SPACE = Space({"lr": Float(1e-5, 1.0, log=True), "units": Int(16, 512, log=True),
               "noise": Float(0.0, 1.0), "optimizer": Choice(("sgd", "adam")), "beta1": Beta(0.5, 0.999)})


def trials_where_lr_matters(n: int, seed: int = 0) -> list[FrozenTrial]:
    """Value peaks at lr = 1e-3 (in decades); the other parameters do nothing."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        params = SPACE.sample(rng)
        value = 1.0 - abs(math.log10(params["lr"]) + 3) / 5
        out.append(FrozenTrial(number=i, state=TrialState.COMPLETE, params=params,
                               distributions=dict(SPACE.params), value=value))
    return out


def test_history_is_best_so_far_in_either_direction():
    values = [0.5, 0.7, None, 0.6, 0.9]
    states = [TrialState.COMPLETE] * 5
    states[3] = TrialState.PRUNED
    ts = [FrozenTrial(number=i, state=s, value=v) for i, (s, v) in enumerate(zip(states, values))]
    assert history(ts, "maximize") == {"number": [0, 1, 4], "value": [0.5, 0.7, 0.9], "best": [0.5, 0.7, 0.9]}
    assert history(ts, "minimize")["best"] == [0.5, 0.5, 0.5]


def test_importance_finds_the_parameter_that_matters():
    imp = param_importance(trials_where_lr_matters(80), SPACE, seed=0)
    shares = imp["importance"]
    assert list(shares)[0] == "lr" and shares["lr"] > 0.8
    assert sum(shares.values()) == pytest.approx(1.0)
    assert imp["n_trials"] == 80 and imp["r2"] > 0.9
    assert param_importance(trials_where_lr_matters(80), SPACE, seed=0) == imp  # seeded, repeatable


def test_importance_of_values_near_the_float_limits_is_that_of_ordinary_values():
    # Squared errors of values near 1e300 overflowed (NaN drops, a fit R^2 of NaN, equal shares)
    # and those near 1e-300 underflowed to 0; a value's scale changes no importance.
    # Scaled by powers of two (about 1e299 and 1e-299), the values change no bit of the result.
    base = param_importance(trials_where_lr_matters(40), SPACE, seed=0)
    assert math.isfinite(base["r2"])
    for scale in (2.0 ** 995, 2.0 ** -995):
        ts = trials_where_lr_matters(40)
        for t in ts:
            t.value *= scale
        assert param_importance(ts, SPACE, seed=0) == base


def test_importance_needs_enough_varied_trials():
    few = trials_where_lr_matters(IMPORTANCE_MIN_TRIALS - 1)
    assert param_importance(few, SPACE)["importance"] == {}
    flat = trials_where_lr_matters(20)
    for t in flat:
        t.value = 0.5
    assert param_importance(flat, SPACE)["importance"] == {}


def test_importance_from_fewer_trials_when_asked_but_never_from_one():
    few = trials_where_lr_matters(IMPORTANCE_MIN_TRIALS - 1)
    shares = param_importance(few, SPACE, min_trials=2)["importance"]
    assert set(shares) == set(SPACE.params) and sum(shares.values()) == pytest.approx(1.0)
    assert param_importance(trials_where_lr_matters(1), SPACE, min_trials=0)["importance"] == {}


def test_importance_thins_large_studies_and_handles_conditional_parameters():
    ts = trials_where_lr_matters(60)
    for t in ts[::2]:
        del t.params["beta1"]  # inactive in half the trials
    imp = param_importance(ts, SPACE, max_trials=30)
    assert imp["n_trials"] == 30 and list(imp["importance"])[0] == "lr"


def test_encoding_is_the_unit_cube_on_each_scale():
    t = FrozenTrial(number=0, state=TrialState.COMPLETE,
                    params={"lr": 1e-3, "units": 16, "noise": 0.25, "optimizer": "adam", "beta1": 0.99})
    row = encode(SPACE, [t])[0]
    assert row[0] == pytest.approx(0.4)  # 1e-3 is 2 of 5 decades up from 1e-5
    assert row[2] == pytest.approx(0.25) and row[3] == pytest.approx(0.75)
    missing = FrozenTrial(number=1, state=TrialState.COMPLETE, params={"optimizer": "rmsprop"})
    assert (encode(SPACE, [missing])[0] == -1.0).all()


def test_best_region_spans_the_top_trials_on_each_parameters_own_scale():
    ts = trials_where_lr_matters(100)
    region = best_region(ts, SPACE, "maximize", top_k=10)
    top = sorted(ts, key=lambda t: -t.value)[:10]
    assert region["top_trials"] == [t.number for t in top]
    lr = region["params"]["lr"]
    assert lr["full"] == {"scale": "log", "low": 1e-5, "high": 1.0}
    lrs = [t.params["lr"] for t in top]
    assert lr["region"]["low"] == pytest.approx(min(lrs)) and lr["region"]["high"] == pytest.approx(max(lrs))
    assert lr["best"] == top[0].params["lr"]
    assert region["params"]["beta1"]["full"]["scale"] == "1-beta log"
    used = {t.params["optimizer"] for t in top}
    assert set(region["params"]["optimizer"]["region"]["values"]) == used
    # The narrowed space is JSON and a valid next stage: every top trial lies inside it.
    nxt = Space.from_json(region["space"])
    assert all(nxt.contains(t.params) for t in top)


def test_minimizing_flips_the_ranking():
    ts = trials_where_lr_matters(50)
    worst = min(ts, key=lambda t: t.value)
    assert best_region(ts, SPACE, "minimize", top_k=1)["top_trials"] == [worst.number]


def test_study_space_prefers_the_declared_one_else_infers_it():
    ts = trials_where_lr_matters(5)
    assert study_space(ts, {"space": SPACE.to_json()}) == SPACE
    inferred = study_space(ts, {})
    assert inferred.params == SPACE.params


def test_param_points_and_thinning():
    ts = trials_where_lr_matters(10)
    pts = param_points(ts, SPACE)
    assert pts["lr"]["number"] == list(range(10)) and len(pts["lr"]["x"]) == 10
    assert thin(list(range(10)), 4) == [0, 3, 6, 9]
    assert thin(list(range(3)), 10) == [0, 1, 2]


def test_best_region_ranks_as_the_leaderboard_and_leaves_out_infeasible_trials(tmp_path):
    import nntune

    study = nntune.create_study(study_name="region", storage=f"sqlite:///{tmp_path / 'region.db'}",
                                direction="maximize", sampler=nntune.samplers.RandomSampler(seed=0))
    # Trials 0 and 1 tie at 0.9, and 1 has the lower validation loss; 2 is the most accurate
    # but breaks its constraint; 3 is complete and feasible, below them.
    for value, loss, constraint in ((0.9, 0.3, -1.0), (0.9, 0.1, -1.0), (0.99, 0.1, 1.0), (0.8, 0.2, -1.0)):
        trial = study.ask()
        trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        trial.set_user_attr("val_loss", loss)
        trial.set_constraint("size", constraint)
        study.tell(trial, value)
    trials = study.get_trials()
    region = best_region(trials, study_space(trials), "maximize", top_k=3)
    assert region["top_trials"] == [1, 0, 3]
    assert region["params"]["lr"]["best"] == study.best_trial.params["lr"] == trials[1].params["lr"]
    assert region["params"]["lr"]["in_best"] is True


def test_the_best_so_far_counts_only_trials_that_meet_the_constraints():
    from nntune.trial import CONSTRAINTS_KEY

    ts = [FrozenTrial(number=i, state=TrialState.COMPLETE, value=v, system_attrs={CONSTRAINTS_KEY: [c]})
          for i, (v, c) in enumerate(((0.1, 1.0), (0.5, 0.0), (0.05, 0.5), (0.3, -1.0)))]
    assert history(ts, "minimize")["best"] == [None, 0.5, 0.5, 0.3]


def test_a_few_trials_of_x_plus_y_give_both_parameters_a_share():
    import nntune
    from nntune.analysis import importance_min_leaf
    from nntune.samplers import RandomSampler

    assert [importance_min_leaf(n) for n in (8, 15, 16, 23, 24, 1000)] == [1, 1, 2, 2, 3, 3]
    study = nntune.create_study(sampler=RandomSampler(0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=8)
    shares = nntune.importance.get_param_importances(study)
    assert min(shares.values()) > 0.1  # leaves of 3 trials gave {"x": 1.0, "y": 0.0}
