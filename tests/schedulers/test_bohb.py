"""BOHB: Hyperband's decisions, a model fitted on the largest budget with enough
observations, a kept random fraction, and an end-to-end study that finds the good region."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

import nntune
import nntune.schedulers._bohb
from nntune.exceptions import ConfigError
from nntune.samplers import RandomSampler
from nntune.schedulers import ASHA, BOHB, Hyperband
from nntune.schedulers._bohb import model_budget, model_history, observations, value_at_budget
from nntune.space import Float, Space
from nntune.trial import FrozenTrial, TrialState

SPACE = Space({"x": Float(0.0, 1.0)})


def trial(number: int, last: int, state: TrialState = TrialState.PRUNED, value: float | None = None,
          x: float = 0.5) -> FrozenTrial:
    """A trial that reported ``number + epoch / 100`` at epochs 1..last."""
    return FrozenTrial(number=number, state=state, params={"x": x}, distributions={"x": SPACE.params["x"]},
                       intermediate_values={e: number + e / 100 for e in range(1, last + 1)}, value=value)


def test_observations_at_a_budget_are_every_trial_that_reached_it_valued_there() -> None:
    history = [trial(0, 1), trial(1, 3), trial(2, 9, TrialState.COMPLETE, value=7.0),
               trial(3, 4, TrialState.RUNNING), trial(4, 9, TrialState.FAILED),
               FrozenTrial(number=5, state=TrialState.COMPLETE, value=0.5),
               FrozenTrial(number=6, state=TrialState.WAITING)]
    at3 = observations(history, 3, max_resource=9)
    assert [(t.number, t.state, t.value) for t in at3] == [
        (1, TrialState.COMPLETE, 1.03), (2, TrialState.COMPLETE, 2.03), (3, TrialState.COMPLETE, 3.03)]
    assert [(t.number, t.value) for t in observations(history, 9, 9)] == [(2, 2.09), (5, 0.5)]
    assert len(observations(history, 1, 9)) == 4
    assert value_at_budget(history[5], 3, 9) is None
    # The largest budget that has enough observations is the model's.
    assert model_budget(history, [1, 3, 9], 9, min_points=2) == 9
    assert model_budget(history, [1, 3, 9], 9, min_points=3) == 3
    assert model_budget(history, [1, 3, 9], 9, min_points=4) == 1
    assert model_budget(history, [1, 3, 9], 9, min_points=5) is None
    # The model also sees the trials pruned before the budget, as pruned: they rank as bad.
    fitted = model_history(history, 3, 9)
    assert [(t.number, t.state) for t in fitted] == [
        (1, TrialState.COMPLETE), (2, TrialState.COMPLETE), (3, TrialState.COMPLETE), (0, TrialState.PRUNED)]
    assert fitted[-1] == history[0]


def test_a_fixed_fraction_of_trials_stays_random() -> None:
    sampler = BOHB(seed=0).sampler
    share = sum(sampler.is_random(n) for n in range(3000)) / 3000
    assert abs(share - 1 / 3) < 0.03
    assert not any(BOHB(seed=0, random_fraction=0.0).sampler.is_random(n) for n in range(200))
    assert all(BOHB(seed=0, random_fraction=1.0).sampler.is_random(n) for n in range(200))


def test_draws_are_random_until_some_budget_has_enough_observations() -> None:
    bohb = BOHB(1, 9, 3, seed=4, random_fraction=0.0)
    few = [trial(i, 9, TrialState.COMPLETE, value=1.0) for i in range(3)]  # 1 parameter: needs 4
    random = RandomSampler(4)
    for n in range(5, 15):
        assert bohb.sampler.suggest(SPACE, few, number=n) == random.suggest(SPACE, few, number=n)
        assert bohb.sampler.suggest_one("y", Float(0, 1), few, number=n) == \
            random.suggest_one("y", Float(0, 1), few, number=n)


class RecordingModel:
    """Stands in for TPE: records what it was fitted on."""

    calls: list[tuple[int, list[tuple[int, float | None, str]]]] = []

    def __init__(self, seed: int, n_startup_trials: int) -> None:
        self.seed, self.n_startup_trials = seed, n_startup_trials

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        RecordingModel.calls.append((self.n_startup_trials, [(t.number, t.value, t.state.value) for t in history]))
        return {"x": 0.123}

    def suggest_one(self, name: str, dist: Any, history: Sequence[FrozenTrial], *, number: int,
                    direction: str = "minimize") -> Any:
        RecordingModel.calls.append((self.n_startup_trials, [(t.number, t.value, t.state.value) for t in history]))
        return 0.456


def test_the_model_is_fitted_on_the_largest_budget_with_enough_observations(monkeypatch) -> None:
    monkeypatch.setattr(nntune.schedulers._bohb, "TPESampler", RecordingModel)
    RecordingModel.calls = []
    bohb = BOHB(1, 9, 3, seed=0, random_fraction=0.0)
    # 8 trials reached epoch 1, 5 reached epoch 3, 2 finished: with one parameter a budget
    # needs 4 observations, so the model sees the 5 values at epoch 3 (and, as pruned, the
    # 3 trials stopped at epoch 1).
    history = [trial(i, 1) for i in range(3)] + [trial(i, 3) for i in range(3, 6)] + \
              [trial(i, 9, TrialState.COMPLETE, value=0.0) for i in range(6, 8)]
    at3 = [(n, n + 0.03, "complete") for n in range(3, 8)] + [(n, None, "pruned") for n in range(3)]
    assert bohb.sampler.suggest(SPACE, history, number=8) == {"x": 0.123}
    assert RecordingModel.calls[-1] == (4, at3)
    assert bohb.sampler.suggest_one("x", SPACE.params["x"], history, number=8) == 0.456
    assert RecordingModel.calls[-1] == (4, at3)
    # With min_points=2 the two finished trials are enough: the full budget wins.
    BOHB(1, 9, 3, seed=0, random_fraction=0.0, min_points=2).sampler.suggest(SPACE, history, number=8)
    assert RecordingModel.calls[-1] == (2, [(6, 6.09, "complete"), (7, 7.09, "complete")] +
                                        [(n, None, "pruned") for n in range(6)])


def test_bohb_decides_as_hyperband_with_the_same_seed() -> None:
    bohb, hb = BOHB(1, 27, 3, seed=5), Hyperband(1, 27, 3, seed=5)
    assert [bohb.bracket_of(n) for n in range(80)] == [hb.bracket_of(n) for n in range(80)]
    history = [trial(i, 3) for i in range(40)]
    assert [bohb.decide(t, 3, history, "minimize") for t in history] == \
           [hb.decide(t, 3, history, "minimize") for t in history]
    assert bohb.brackets == hb.brackets and bohb.max_resource == 27
    assert bohb.describe(history[7]) == hb.describe(history[7])


@pytest.mark.parametrize("kwargs", [{"random_fraction": 1.5}, {"min_points": 1}, {"reduction_factor": 1}])
def test_bad_settings_name_the_field(kwargs: dict) -> None:
    with pytest.raises(ConfigError) as err:
        BOHB(**kwargs)
    assert err.value.field == next(iter(kwargs))


def test_bohb_study_concentrates_its_model_draws_near_the_optimum() -> None:
    bohb = BOHB(min_resource=1, max_resource=9, reduction_factor=3, seed=0)

    def objective(t: nntune.Trial) -> float:
        x = t.suggest_float("x", 0.0, 1.0)
        for epoch in range(1, 10):
            t.report((x - 0.3) ** 2 + 1 / epoch, epoch)
            if t.should_prune():
                raise nntune.TrialPruned()
        return (x - 0.3) ** 2 + 1 / 9

    study = nntune.create_study(scheduler=bohb, sampler=bohb.sampler, seed=0,
                                space=Space({"x": Float(0.0, 1.0)}))
    study.optimize(objective, n_trials=60)
    late = [t for t in study.trials if t.number >= 20]
    model = [abs(t.params["x"] - 0.3) for t in late if not bohb.sampler.is_random(t.number)]
    random = [abs(t.params["x"] - 0.3) for t in late if bohb.sampler.is_random(t.number)]
    assert len(model) >= 15 and len(random) >= 5
    assert sum(model) / len(model) < 0.5 * sum(random) / len(random)
    assert abs(study.best_params["x"] - 0.3) < 0.05
    assert sum(t.state == TrialState.PRUNED for t in study.trials) >= 20


class RecordingSampler:
    """A model-based sampler instance that records the history it is shown."""

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed
        self.seen: list[list[tuple[int, float | None, str]]] = []

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        self.seen.append([(t.number, t.value, t.state.value) for t in history])
        return {"x": 0.321}

    def suggest_one(self, name: str, dist: Any, history: Sequence[FrozenTrial], *, number: int,
                    direction: str = "minimize") -> Any:
        self.seen.append([(t.number, t.value, t.state.value) for t in history])
        return 0.654


def test_under_asha_a_model_compares_trials_at_equal_budgets() -> None:
    """The first arrivals ran to the end with poor curves (0, 1); later, better trials were
    stopped at epoch 3. At epoch 3 the model sees every one of them with its value there,
    instead of ranking the two finished ones above all the others."""
    model = RecordingSampler()
    sampler = nntune.schedulers.equal_budget_sampler(ASHA(1, 9, 3), model)
    assert sampler.budgets == [1, 3, 9] and sampler.random_fraction == 0.0 and sampler.seed == 7
    history = [trial(i, 9, TrialState.COMPLETE, value=i + 0.09) for i in range(2)] + \
              [trial(i, 3) for i in range(2, 5)] + [trial(i, 1) for i in range(5, 8)]
    assert sampler.suggest(SPACE, history, number=8) == {"x": 0.321}
    at3 = [(n, n + 0.03, "complete") for n in range(5)] + [(n, None, "pruned") for n in range(5, 8)]
    assert model.seen[-1] == at3
    assert sampler.suggest_one("x", SPACE.params["x"], history, number=8) == 0.654
    assert model.seen[-1] == at3
    # Before any rung has enough observations (one parameter: 4), draws are the seed's random ones.
    assert sampler.suggest(SPACE, history[:3], number=9) == RandomSampler(7).suggest(SPACE, [], number=9)
    assert "RecordingSampler" in repr(sampler)


def test_under_hyperband_the_budgets_are_every_brackets_rungs() -> None:
    sampler = nntune.schedulers.equal_budget_sampler(Hyperband(1, 27, 3), RecordingSampler())
    assert sampler.budgets == [1, 3, 9, 27]
    with pytest.raises(ConfigError) as err:
        nntune.schedulers.equal_budget_sampler(ASHA(1, None, 3), RecordingSampler())
    assert err.value.field == "max_resource"
