"""Learning-curve extrapolation as a scheduler: constructed curves, stored predictions, real runs."""

from __future__ import annotations

import json
import math

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.schedulers import ASHA, CurveExtrapolation, Decision, MedianStopping, make_scheduler
from nntune.schedulers._curve import (cached_fit, horizon_of, judged_step, own_step_records, past_records,
                                     target_value)
from nntune.schedulers._curve_fit import calibration_factor
from nntune.trial import FrozenTrial, TrialState

E = 20


def fast(level: float) -> dict[int, float]:
    """Quick to rise, flat from about epoch 5."""
    return {e: level - 0.5 * math.exp(-1.0 * e) for e in range(1, E + 1)}


def slow(level: float) -> dict[int, float]:
    """Slow to rise: far below the fast curves at first, above them at the end."""
    return {e: level - 0.7 * math.exp(-0.15 * e) for e in range(1, E + 1)}


def done(number: int, values: dict[int, float], **attrs: object) -> FrozenTrial:
    return FrozenTrial(number=number, state=TrialState.COMPLETE, intermediate_values=dict(values),
                       value=values[max(values)], system_attrs=dict(attrs))


def running(curve: dict[int, float], upto: int, number: int = 99) -> FrozenTrial:
    return FrozenTrial(number=number, state=TrialState.RUNNING,
                       intermediate_values={s: v for s, v in curve.items() if s <= upto})


def decide(rule, curve, step, history, direction="maximize") -> Decision:
    t = running(curve, step)
    return rule.decide(t, step, [*history, t], direction)


HISTORY = [done(i, fast(0.80 + 0.01 * i)) for i in range(4)]  # the best ends at 0.83


def test_a_hopeless_curve_stops_and_a_slow_starter_that_will_win_goes_on() -> None:
    rule = CurveExtrapolation(max_resource=E)
    assert decide(rule, fast(0.5), 4, HISTORY) == Decision.STOP
    # At epoch 6 the slow starter is at 0.62, below every finished curve there (median
    # stopping drops it), but its curve is headed for 0.93.
    assert decide(rule, slow(0.95), 6, HISTORY) == Decision.CONTINUE
    assert decide(MedianStopping(n_startup_trials=4, n_warmup_steps=5), slow(0.95), 6, HISTORY) == Decision.STOP
    assert decide(ASHA(min_resource=1, max_resource=E), slow(0.95), 3, HISTORY) == Decision.STOP


def test_nothing_stops_before_min_steps_or_with_too_few_complete_trials() -> None:
    rule = CurveExtrapolation(max_resource=E, min_steps=5, n_startup_trials=3)
    assert [decide(rule, fast(0.3), s, HISTORY) for s in range(1, 6)] == [Decision.CONTINUE] * 4 + [Decision.STOP]
    assert decide(rule, fast(0.3), 8, HISTORY[:2]) == Decision.CONTINUE
    # Predictions are still made without a target, so the report can draw them.
    note = rule.annotation(99)
    assert note is not None and note["curve"]["p_beat"] is None and note["curve"]["target"] is None


def test_a_curve_already_past_the_target_never_stops() -> None:
    rule = CurveExtrapolation(max_resource=E, threshold=0.5)
    peaked = {**fast(0.9), **{e: 0.9 - 0.02 * e for e in range(5, E + 1)}}  # falling after a high point
    assert decide(rule, peaked, 8, HISTORY) == Decision.CONTINUE


def test_minimized_curves_are_judged_as_well() -> None:
    losses = [done(i, {e: -v for e, v in fast(0.8 + 0.01 * i).items()}) for i in range(4)]
    rule = CurveExtrapolation(max_resource=E)
    bad = {e: -v for e, v in fast(0.5).items()}
    good = {e: -v for e, v in slow(0.95).items()}
    assert decide(rule, bad, 4, losses, "minimize") == Decision.STOP
    assert decide(rule, good, 6, losses, "minimize") == Decision.CONTINUE
    note = rule.annotation(99)["curve"]
    assert note["mean"][-1] == pytest.approx(-0.95 + 0.7 * math.exp(-0.15 * E), abs=0.05)
    assert note["low"][-1] < note["mean"][-1] < note["high"][-1]


def test_the_horizon_is_max_resource_or_the_longest_complete_curve() -> None:
    assert horizon_of(HISTORY, 12) == 12
    assert horizon_of([*HISTORY, done(9, {1: 0.1, 40: 0.2})], None) == 40
    assert horizon_of([running(fast(0.5), 5)], None) is None
    rule = CurveExtrapolation()  # no max_resource, no finished trial: nothing to aim at
    assert decide(rule, fast(0.1), 6, []) == Decision.CONTINUE and rule.annotation(99) is None


def test_the_target_is_the_best_or_the_top_share() -> None:
    values = [0.5, 0.9, 0.7, 0.8, math.nan]
    assert target_value(values, 0.0, "maximize") == 0.9
    assert target_value(values, 0.5, "maximize") == 0.8
    assert target_value(values, 0.0, "minimize") == 0.5
    assert target_value([], 0.0, "maximize") is None
    # Beating the best half is easier than beating the best: fewer stops.
    curve = fast(0.825)
    assert decide(CurveExtrapolation(max_resource=E), curve, 6, HISTORY) == Decision.STOP
    assert decide(CurveExtrapolation(max_resource=E, top=0.5), curve, 6, HISTORY) == Decision.CONTINUE


def finished_with_predictions(errors: list[float], std: float = 0.01, step: int = 6) -> list[FrozenTrial]:
    """Complete trials whose stored prediction at ``step`` missed their final value by ``errors``."""
    final = fast(0.8)[E]
    return [done(i, fast(0.8), **{"curve": {"horizon": E, "finals": [[step, final - err, std, 0.5]]}})
            for i, err in enumerate(errors)]


def test_stored_predictions_calibrate_the_spread() -> None:
    scattered = finished_with_predictions([0.1, -0.1, 0.0])  # 10, 10 and 0 standard deviations off
    assert past_records(scattered, 6, E, 99)[0] == (pytest.approx(fast(0.8)[E] - 0.1), 0.01, fast(0.8)[E])
    assert past_records(scattered, 7, E, 99) == [] and past_records(scattered, 6, E + 1, 99) == []
    trusting, humble = CurveExtrapolation(max_resource=E), CurveExtrapolation(max_resource=E)
    decide(trusting, fast(0.7), 6, HISTORY)
    decide(humble, fast(0.7), 6, [*HISTORY, *scattered])
    a, b = trusting.annotation(99)["curve"], humble.annotation(99)["curve"]
    assert a["calibration"] == 2.0 and b["calibration"] == pytest.approx(math.sqrt(200 / 3))
    assert b["finals"][-1][2] == pytest.approx(math.sqrt(200 / 3) / 2 * a["finals"][-1][2])
    assert b["mean"] == a["mean"]  # the spread widens, the prediction stays


def test_stored_stds_are_compared_unwidened() -> None:
    # Stored widened by 4 (the record's fifth item): a miss of 0.02 is 2 fitted deviations,
    # not half of one, and so the factor learned is 2, not the floor of 1.
    final = fast(0.8)[E]
    widened = [done(i, fast(0.8), curve={"horizon": E, "finals": [[6, final - 0.02, 0.04, 0.5, 4.0]]})
               for i in range(3)]
    assert past_records(widened, 6, E, 99) == [(pytest.approx(final - 0.02), 0.01, final)] * 3
    assert calibration_factor(past_records(widened, 6, E, 99)) == pytest.approx(2.0)


def stopped(number: int, values: dict[int, float], last: int) -> FrozenTrial:
    curve = {s: v for s, v in values.items() if s <= last}
    return FrozenTrial(number=number, state=TrialState.PRUNED, intermediate_values=curve, value=curve[last])


def exact(n: int, start: int = 0) -> list[FrozenTrial]:
    """Complete trials whose stored prediction at epoch 6 hit their final value."""
    final = fast(0.8)[E]
    return [done(start + i, fast(0.8), curve={"horizon": E, "finals": [[6, final, 0.01, 0.5, 2.0]]})
            for i in range(n)]


def falling(level: float) -> dict[int, float]:
    """Rising like the others for five epochs, then falling off (a diverging run)."""
    return {e: (v if e <= 5 else fast(level)[5] - 0.05 * (e - 5)) for e, v in fast(level).items()}


def test_stopped_trials_score_their_own_last_step_from_earlier_steps() -> None:
    # Stopped at 10 after falling from epoch 6: a fit of epochs 1..s (s >= min_steps)
    # predicts epoch 10 and misses it by far more than its fitted deviation.
    history = [stopped(i, falling(0.5 + 0.01 * i), 10) for i in range(3)]
    recs = own_step_records(history, 8, E, 99, "maximize")
    assert len(recs) == 3
    for (mean, std, actual), t in zip(recs, history):
        assert actual == t.intermediate_values[10] and std > 0 and (mean - actual) / std > 3
    # The fit sees the judged one's epochs where it can: judged at 6, a curve stopped at 12
    # is fitted on 1..6 and one stopped at 6 on 1..5, each predicting its own last epoch.
    for last, seen in ((12, 6), (6, 5)):
        fit = cached_fit(tuple(range(1, seen + 1)), tuple(slow(0.9)[e] for e in range(1, seen + 1)), last, 1.0)
        assert own_step_records([stopped(0, slow(0.9), last)], 6, E, 99, "maximize") == [
            (fit.final_mean, fit.final_std(), slow(0.9)[last])]
    # Nothing from the trial asking, from running trials, from curves too short to fit
    # before their last step, or from complete trials that reached the horizon (those
    # stored their own prediction for it).
    short = stopped(5, fast(0.5), 4)
    assert own_step_records([*history, short, running(falling(0.5), 10, 7), *HISTORY], 8, E, 0,
                            "maximize") == recs[1:]
    # Minimized metrics: the same misses, in the trials' own units.
    losses = [stopped(i, {e: -v for e, v in falling(0.5 + 0.01 * i).items()}, 10) for i in range(3)]
    assert own_step_records(losses, 8, E, 99, "minimize") == [(pytest.approx(-m), pytest.approx(s), -a)
                                                               for m, s, a in recs]


def test_stopped_trials_that_fell_off_widen_the_spread_exact_ones_do_not() -> None:
    good = exact(3)  # finished trials whose predictions were exact: the floor of 1
    fell = [stopped(10 + i, falling(0.5 + 0.01 * i), 10) for i in range(3)]
    flat = [stopped(10 + i, fast(0.5 + 0.01 * i), 10) for i in range(3)]  # as fitted: no wider
    calibration = {}
    for name, extra in (("good", []), ("fell", fell), ("flat", flat)):
        for calibrate_stopped in (False, True):
            rule = CurveExtrapolation(max_resource=E, calibrate_stopped=calibrate_stopped)
            decide(rule, fast(0.7), 6, [*good, *extra])
            calibration[name, calibrate_stopped] = rule.annotation(99)["curve"]["calibration"]
    assert calibration["good", True] == calibration["good", False] == 1.0
    assert calibration["fell", False] == 1.0 and calibration["fell", True] > 2.0
    assert calibration["flat", True] < 1.5
    # Stopped trials alone make the three records the factor needs; capped at 10.
    rule = CurveExtrapolation(max_resource=E)
    decide(rule, fast(0.7), 6, [*HISTORY, *fell])
    assert 2.0 < rule.annotation(99)["curve"]["calibration"] <= 10.0
    decide(rule, fast(0.7), 6, [*HISTORY, *fell[:2]])  # two records: the default
    assert rule.annotation(99)["curve"]["calibration"] == 2.0


def test_annotation_is_handed_out_once_per_prediction_and_keeps_every_step() -> None:
    rule = CurveExtrapolation(max_resource=E)
    assert rule.annotation(99) is None
    cached_fit.cache_clear()
    for step in (4, 5, 6):
        decide(rule, slow(0.95), step, HISTORY)
    decide(rule, slow(0.95), 6, HISTORY)  # asked twice about one report: one fit, one record
    note = rule.annotation(99)
    assert note is not None and rule.annotation(99) is None
    rec = note["curve"]
    json.dumps(rec, allow_nan=False)
    assert [r[0] for r in rec["finals"]] == [4, 5, 6] and rec["step"] == 6 and rec["horizon"] == E
    assert all(r[4] == rec["calibration"] == 2.0 for r in rec["finals"])  # the std widened by 2
    assert rec["steps"] == list(range(7, E + 1)) and len(rec["mean"]) == len(rec["low"]) == len(rec["high"])
    assert 0 <= rec["p_beat"] <= 1 and math.isclose(sum(rec["weights"].values()), 1.0)
    assert cached_fit.cache_info().misses == 3


def test_bad_options_name_the_field() -> None:
    for kwargs, field in (({"threshold": 1.5}, "threshold"), ({"min_steps": 3}, "min_steps"),
                          ({"max_resource": 4}, "max_resource"), ({"top": -0.1}, "top"),
                          ({"window": 0}, "window"), ({"default_calibration": 0.5}, "default_calibration"),
                          ({"n_startup_trials": 0}, "n_startup_trials"), ({"interval_steps": True}, "interval_steps"),
                          ({"calibrate_stopped": 1}, "calibrate_stopped")):
        with pytest.raises(ConfigError) as err:
            CurveExtrapolation(**kwargs)
        assert err.value.field == field
    assert type(make_scheduler("curve", threshold=0.1)) is CurveExtrapolation
    assert repr(CurveExtrapolation()).startswith("CurveExtrapolation(threshold=0.02")


def objective(trial: nntune.Trial) -> float:
    """Constructed curves: ``q`` sets the level, ``slow`` how fast it is reached."""
    q = trial.suggest_float("q", 0.0, 1.0)
    rate = trial.suggest_categorical("rate", [0.15, 1.0])
    value = 0.0
    for epoch in range(1, E + 1):
        value = 0.5 + 0.4 * q - 0.5 * math.exp(-rate * epoch)
        trial.report(value, epoch)
        if trial.should_prune():
            raise nntune.TrialPruned()
    return value


@pytest.mark.parametrize("store, n_jobs", [("memory", 1), ("sqlite", 2)])
def test_a_define_by_run_study_stores_predictions_the_report_draws(store, n_jobs, tmp_path) -> None:
    from nntune.report import build_report_data, render_html

    url = None if store == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    # Random draws, so the saving measured is the scheduler's, not the sampler's (a TPE
    # in 2 threads draws differently from run to run).
    study = nntune.create_study(study_name="c", storage=url, direction="maximize",
                                sampler=nntune.samplers.RandomSampler(seed=2),
                                pruner=CurveExtrapolation(max_resource=E), seed=2)
    study.optimize(objective, n_trials=14, n_jobs=n_jobs)  # with 2 threads: 2 trials at once
    trials = study.get_trials()
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    assert pruned and sum(t.epochs for t in trials) < 0.7 * 14 * E
    for t in pruned:
        rec = t.system_attrs["curve"]
        assert rec["step"] == t.last_step and rec["p_beat"] < 0.02 and rec["finals"][-1][0] == t.last_step
    if n_jobs == 1:  # with threads, which trial finishes first (and so is the best to beat) varies
        best = max(t.value for t in trials if t.state == TrialState.COMPLETE)
        assert best > 0.5 + 0.4 * max(t.params["q"] for t in trials) - 0.01  # the best configuration finished
    storage = study.storage
    data = build_report_data(storage, "c")
    drawn = data["intermediate"]["predictions"]
    assert drawn and {p["number"] for p in drawn} <= {t.number for t in trials}
    json.dumps(data["intermediate"], allow_nan=False)
    assert "predicted at epoch" in render_html(data)


def test_optunas_prune_entry_point_answers_like_decide() -> None:
    study = nntune.create_study(direction="maximize", seed=0)
    rule = CurveExtrapolation(max_resource=E)
    for i, curve in enumerate([fast(0.8), fast(0.82), fast(0.83)]):
        t = study.ask()
        for e, v in curve.items():
            t.report(v, e)
        study.tell(t, curve[E])
    assert rule.prune(study, running(fast(0.4), 5, number=50)) is True
    assert rule.prune(study, running(slow(0.95), 6, number=51)) is False
    assert rule.prune(study, FrozenTrial(number=52, state=TrialState.RUNNING)) is False


def test_stopped_trials_flat_at_one_do_not_send_the_spread_to_the_cap() -> None:
    # Accuracy on 43 samples: curves that sit at 1.0 and drop one sample at their last step
    # are fitted with a near-zero std, and each such record alone is a miss of billions of
    # deviations. Floored at the metric's resolution (one sample), each is one deviation.
    one = 1 / 43

    def quantized(values: dict[int, float]) -> dict[int, float]:
        return {e: round(v / one) * one for e, v in values.items()}

    final = quantized(fast(0.8))[E]
    exact_ = [done(4 + i, quantized(fast(0.8)), curve={"horizon": E, "finals": [[6, final, 0.01, 0.5, 2.0]]})
              for i in range(5)]
    flat = [stopped(10 + i, {**{e: 1.0 for e in range(1, 10)}, 10: 1.0 - one}, 10) for i in range(3)]
    history = [done(i, quantized(fast(0.80 + 0.01 * i))) for i in range(4)] + exact_ + flat
    recs = own_step_records(history, 6, E, 99, "maximize") + past_records(history, 6, E, 99)
    assert len(recs) == 8 and sum(s < 1e-6 for _, s, _ in recs) == 3  # what the flat fits claim
    assert calibration_factor(recs) == 10.0  # unfloored: three of eight send it to the cap
    rule = CurveExtrapolation(max_resource=E)
    decide(rule, quantized(fast(0.8)), 6, history)
    note = rule.annotation(99)["curve"]
    # floored: five exact predictions and three one-deviation misses
    assert note["calibration"] == pytest.approx(1.0)  # sqrt(3 / 8), up to the bound of 1
    # and the judged std is never below one sample, however flat the judged curve
    flat_rule = CurveExtrapolation(max_resource=E)
    decide(flat_rule, {e: 1.0 - one for e in range(1, E + 1)}, 6, history)
    assert flat_rule.annotation(99)["curve"]["finals"][-1][2] == pytest.approx(one)


def test_a_curve_of_batches_is_judged_less_often_the_longer_it_gets() -> None:
    # Judged at every report, an objective reporting every batch paid a fit of its whole
    # curve and a stored prediction at each one (4-12 ms a report at 1,000 steps, growing).
    assert [s for s in range(130) if judged_step(s, 4)] == list(range(4, 128)) + [128]
    judged = [s for s in range(1, 100_001) if judged_step(s, 4)]
    assert len(judged) < 64 * 12 + 130  # about 64 per doubling
    assert all(judged_step(s, 4) for s in range(4, 128, 1)) and not judged_step(129, 4)
    assert [s for s in range(4, 40) if judged_step(s, 4, interval_steps=3)] == list(range(4, 40, 3))
    # A steady report of every batch: a 4,000-step trial is judged a few hundred times.
    rule = CurveExtrapolation()
    calls = []
    rule._fit = lambda curve, horizon, direction: calls.append(len(curve))  # type: ignore[method-assign]
    history = [done(0, {s: 0.9 for s in range(1, 4001)}), done(1, {s: 0.8 for s in range(1, 4001)})]
    curve = {s: 0.5 for s in range(1, 4001)}
    for step in range(1, 4000):
        rule.decide(running(curve, step), step, history, "maximize")
    assert 300 < len(calls) < 450


def test_a_curve_reported_every_few_steps_is_judged_at_its_first_report_past_each_grid_step() -> None:
    # Only the grid steps themselves were judged: reports at even steps with min_steps=5
    # met none of them with interval_steps=2, and none past step 128 with any interval.
    assert [s for s in range(2, 20, 2) if judged_step(s, 5, 2, previous=s - 2)] == [6, 8, 10, 12, 14, 16, 18]
    evens = list(range(2, 2001, 2))
    judged = [s for prev, s in zip([-1, *evens], evens) if judged_step(s, 5, previous=prev)]
    assert judged[:3] == [6, 8, 10] and judged[-1] > 1900
    assert len([s for s in judged if s > 128]) < 64 * 4 + 10  # still thinned as the curve grows


def test_a_hopeless_trial_reported_every_other_step_is_stopped() -> None:
    levels = [0.9, 0.88, 0.3]  # maximizing: trial 2 ends far below the others

    def objective(trial: nntune.Trial) -> float:
        for step in range(2, 121, 2):
            trial.report(levels[trial.number] - 0.5 * math.exp(-step / 20), step)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return levels[trial.number] - 0.5 * math.exp(-6)

    rule = CurveExtrapolation(min_steps=5, interval_steps=2)
    study = nntune.create_study(direction="maximize", pruner=rule)
    study.optimize(objective, n_trials=len(levels))
    assert [t.state for t in study.trials] == ["complete", "complete", "pruned"]
    assert study.trials[2].last_step < 20
