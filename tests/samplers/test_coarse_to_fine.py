"""Coarse-to-fine: the notes' 0-1-2-3 procedure (range, random draws, short runs, narrow)."""

from __future__ import annotations

import json
import math
import statistics

import pytest

import nntune
from nntune import Beta, Choice, Float, Int, Space, TrialState
from nntune.samplers import CoarseToFineSampler, narrow
from nntune.trial import FrozenTrial


def trials(*params: dict, values: list[float] | None = None) -> list[FrozenTrial]:
    return [FrozenTrial(number=i, state=TrialState.COMPLETE, params=p,
                        value=(values[i] if values else float(i))) for i, p in enumerate(params)]


def decades(d: Float) -> float:
    return math.log10(d.high / d.low)


def test_log_range_narrows_in_decades_around_the_best():
    space = Space({"lr": Float(1e-6, 1.0, log=True)})
    top = trials({"lr": 5e-4}, {"lr": 1e-3}, {"lr": 2e-3})
    lr = narrow(space, top, margin=0.1).params["lr"]
    assert lr.log and lr.low <= 5e-4 and 2e-3 <= lr.high
    assert lr.low < 1e-3 < lr.high
    assert decades(lr) < 2.5  # from 6 decades
    # Narrowing on a linear scale would have kept the bottom near 1e-6: 1e-3 is 0.1% of [1e-6, 1].
    assert lr.low > 10**-4.5 and lr.high < 10**-1.5


def test_beta_narrows_on_the_one_minus_beta_scale():
    space = Space({"beta": Beta(0.9, 0.9999)})
    beta = narrow(space, trials({"beta": 0.99}, {"beta": 0.995}), margin=0.05).params["beta"]
    assert isinstance(beta, Beta)
    assert 0.98 < beta.low < 0.99 and 0.995 < beta.high < 0.998
    # The margin is 5% of the range's 3 decades of (1 - beta), on either side.
    assert math.log10(1 - beta.low) == pytest.approx(-2 + 0.05 * 3, abs=1e-9)
    assert math.log10(1 - beta.high) == pytest.approx(math.log10(0.005) - 0.05 * 3, abs=1e-9)


def test_linear_int_step_and_choice_narrowing():
    space = Space({"units": Int(8, 512, step=8), "x": Float(0.0, 1.0, step=0.05),
                   "act": Choice(("relu", "tanh", "gelu")), "layers": Int(1, 64, log=True)})
    top = trials({"units": 64, "x": 0.3, "act": "gelu", "layers": 4},
                 {"units": 96, "x": 0.4, "act": "relu", "layers": 8})
    out = narrow(space, top, margin=0.0).params
    assert out["units"] == Int(64, 96, step=8)
    assert (out["x"].low, out["x"].high, out["x"].step) == (pytest.approx(0.3), pytest.approx(0.4), 0.05)
    assert out["act"] == Choice(("relu", "gelu"))  # original order kept
    assert out["layers"].log and out["layers"].low == 4 and out["layers"].high == 8


def test_conditions_follow_the_narrowed_choices_and_unused_params_keep_their_range():
    space = Space({"opt": Choice(("sgd", "adam")), "momentum": Beta(0.5, 0.99)},
                  conditions={"momentum": {"opt": ["sgd"]}})
    out = narrow(space, trials({"opt": "adam"}, {"opt": "adam"}), margin=0.1)
    assert out.params["opt"] == Choice(("adam",))
    assert out.params["momentum"] == Beta(0.5, 0.99)
    assert out.conditions["momentum"] == {"opt": []}
    assert narrow(space, [], margin=0.1) == space


def objective(trial: nntune.Trial, space: Space) -> float:
    p = trial.suggest_space(space)
    return (math.log10(p["lr"]) + 3) ** 2 + (p["x"] - 0.2) ** 2 + (p["act"] != "tanh")


SPACE = Space({"lr": Float(1e-6, 1.0, log=True), "x": Float(-1.0, 1.0), "act": Choice(("relu", "tanh"))})


def run(seed: int = 0, n: int = 45) -> tuple[nntune.Study, CoarseToFineSampler]:
    sampler = CoarseToFineSampler(seed=seed, stages=3, trials_per_stage=15, top_k=5, margin=0.1)
    study = nntune.create_study(sampler=sampler, space=SPACE)
    study.optimize(lambda t: objective(t, SPACE), n_trials=n)
    return study, sampler


def test_stages_shrink_around_the_best_region_and_later_trials_stay_inside():
    study, sampler = run()
    stages = sampler.stages_for(SPACE, study.trials, "minimize")
    assert [s["stage"] for s in stages] == [0, 1, 2]
    assert [s["first_trial"] for s in stages] == [0, 15, 30]
    spaces = [Space.from_json(s["space"]) for s in stages]
    assert spaces[0] == SPACE
    widths = [decades(sp.params["lr"]) for sp in spaces]
    assert widths[0] > widths[1] > widths[2]
    assert spaces[2].params["lr"].low < 1e-3 < spaces[2].params["lr"].high
    for t in study.trials:
        assert spaces[sampler.stage_of(t.number)].contains(t.params)
    # The top trials each stage was narrowed around are the best ones before it began.
    before = sorted((t for t in study.trials if t.number < 15), key=lambda t: t.value)[:5]
    assert stages[1]["narrowed_around"] == [t.number for t in before]
    json.dumps(stages)  # storable with the study


def test_later_stages_improve_on_the_coarse_stage_by_5x_over_seeds():
    finals, coarse = [], []
    for seed in range(6):
        study, _ = run(seed)
        finals.append(study.best_value)
        coarse.append(min(t.value for t in study.trials if t.number < 15))
    assert statistics.median(finals) < min(0.1, statistics.median(coarse) / 5)


def test_coarse_to_fine_beats_staying_coarse():
    def best(sampler) -> float:
        study = nntune.create_study(sampler=sampler, space=SPACE)
        study.optimize(lambda t: objective(t, SPACE), n_trials=45)
        return study.best_value

    fine = sorted(best(CoarseToFineSampler(seed=s, trials_per_stage=15)) for s in range(5))
    coarse = sorted(best(nntune.samplers.RandomSampler(seed=s)) for s in range(5))
    assert fine[2] < coarse[2] / 3


def test_deterministic_and_only_finished_trials_count():
    a, _ = run(seed=3, n=20)
    b, _ = run(seed=3, n=20)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    sampler = CoarseToFineSampler(seed=0, trials_per_stage=2, top_k=1)
    running = FrozenTrial(number=0, state=TrialState.RUNNING, params={"lr": 1e-3, "x": 0.0, "act": "relu"})
    failed = FrozenTrial(number=1, state=TrialState.FAILED, params={"lr": 1e-2, "x": 0.1, "act": "relu"})
    assert sampler.space_for(SPACE, [running, failed], "minimize", number=3) == SPACE


def test_maximize_narrows_around_the_largest_values():
    space = Space({"x": Float(0.0, 1.0)})
    history = trials({"x": 0.1}, {"x": 0.9}, {"x": 0.5}, values=[1.0, 9.0, 5.0])
    sampler = CoarseToFineSampler(seed=0, trials_per_stage=3, top_k=1, margin=0.05)
    x = sampler.space_for(space, history, "maximize", number=3).params["x"]
    assert x.low == pytest.approx(0.85) and x.high == pytest.approx(0.95)
    assert sampler.space_for(space, history, "minimize", number=3).params["x"].high == pytest.approx(0.15)
