"""The curve ensemble on constructed curves: what it predicts, how sure it is, and when it declines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nntune.schedulers._curve_fit import FAMILIES, calibration_factor, fit_curve, probability_above, resolution, thinned

HORIZON = 30


def noisy(f, last: int, sd: float, seed: int = 0) -> tuple[list[int], list[float]]:
    rng = np.random.default_rng(seed)
    steps = list(range(1, last + 1))
    return steps, [f(s) + sd * rng.standard_normal() for s in steps]


@pytest.mark.parametrize("name, f", [
    ("power law", lambda x: 0.92 - 0.5 * x ** -0.8),
    ("exponential", lambda x: 0.85 - 0.6 * math.exp(-0.3 * x)),
    ("slow logistic", lambda x: 0.9 - 0.7 / (1 + (0.15 * x) ** 2.0)),
])
def test_the_final_value_is_predicted_within_three_calibrated_deviations(name, f) -> None:
    steps, values = noisy(f, 12, 0.004)
    fit = fit_curve(steps, values, HORIZON)
    assert fit is not None and fit.last_step == 12 and fit.steps == tuple(range(13, HORIZON + 1))
    assert abs(fit.final_mean - f(HORIZON)) < 3 * fit.final_std(calibration=2.0), name
    assert abs(fit.final_mean - f(HORIZON)) < 0.05, name
    assert math.isclose(sum(fit.weights.values()), 1.0)
    # The band widens with the distance from the last report.
    assert fit.spread[-1] >= fit.spread[0] - 1e-12


def test_more_epochs_give_a_closer_and_narrower_prediction() -> None:
    f = lambda x: 0.9 - 0.45 * x ** -0.6  # noqa: E731
    early = fit_curve(*noisy(f, 6, 0.003), HORIZON)
    late = fit_curve(*noisy(f, 24, 0.003), HORIZON)
    assert early is not None and late is not None
    assert abs(late.final_mean - f(HORIZON)) < abs(early.final_mean - f(HORIZON)) + 0.002
    assert late.final_std() < early.final_std()


def test_a_family_takes_part_only_with_two_points_more_than_its_parameters() -> None:
    fit = fit_curve(*noisy(lambda x: 1 - 1 / x, 4, 0.01), HORIZON)
    assert fit is not None and set(fit.weights) == {f.name for f in FAMILIES if f.n_params == 2}
    fit = fit_curve(*noisy(lambda x: 1 - 1 / x, 6, 0.01), HORIZON)
    assert fit is not None and set(fit.weights) == {f.name for f in FAMILIES}


def test_too_few_points_or_a_curve_at_the_horizon_predict_nothing() -> None:
    assert fit_curve([1, 2, 3], [0.1, 0.2, 0.3], HORIZON) is None
    assert fit_curve([1, 2, math.nan, 4], [0.1, 0.2, math.nan, 0.3], HORIZON) is None
    assert fit_curve(list(range(1, 31)), [0.5] * 30, HORIZON) is None


def test_a_flat_curve_predicts_its_level_with_almost_no_doubt() -> None:
    fit = fit_curve(list(range(1, 9)), [0.1] * 8, HORIZON)
    assert fit is not None
    assert fit.final_mean == pytest.approx(0.1, abs=1e-6) and fit.final_std() < 1e-6


def test_a_curve_reported_from_step_zero_is_shifted_not_dropped() -> None:
    f = lambda x: 0.8 - 0.5 * math.exp(-0.4 * x)  # noqa: E731
    steps = list(range(0, 10))
    fit = fit_curve(steps, [f(s + 1) for s in steps], HORIZON - 1)
    assert fit is not None and fit.steps[0] == 10 and fit.steps[-1] == HORIZON - 1
    assert fit.final_mean == pytest.approx(f(HORIZON), abs=0.01)


def test_the_window_fits_only_the_latest_points() -> None:
    # A first epoch far off the curve moves the whole-curve fit; the window leaves it out.
    f = lambda x: 0.9 - 0.3 * math.exp(-0.25 * x)  # noqa: E731
    steps = list(range(1, 17))
    values = [0.1] + [f(s) for s in steps[1:]]
    whole = fit_curve(steps, values, HORIZON)
    recent = fit_curve(steps, values, HORIZON, window=0.5)
    assert whole is not None and recent is not None
    assert abs(recent.final_mean - f(HORIZON)) < 0.005 < abs(whole.final_mean - f(HORIZON))


def test_probability_above_a_target() -> None:
    assert probability_above(0.9, 0.01, 0.9) == pytest.approx(0.5)
    assert probability_above(0.9, 0.01, 0.9196) == pytest.approx(0.025, abs=1e-3)
    assert probability_above(0.9, 0.0, 0.8) == 1.0 and probability_above(0.9, 0.0, 0.95) == 0.0


def test_calibration_is_the_rms_of_the_standardized_errors() -> None:
    records = [(0.5, 0.01, 0.53), (0.6, 0.02, 0.6), (0.7, 0.01, 0.69)]  # z = 3, 0, -1
    assert calibration_factor(records) == pytest.approx(math.sqrt(10 / 3))
    assert calibration_factor(records[:2]) == 2.0  # too few: the default
    assert calibration_factor(records[:2], default=1.5) == 1.5
    assert calibration_factor([(0.5, 0.01, 0.5)] * 3) == 1.0  # never narrower than fitted
    assert calibration_factor([(0.5, 0.001, 0.9)] * 3) == 10.0  # clipped
    assert calibration_factor([(0.5, 0.0, 0.9), (0.5, math.nan, 0.9)] * 3) == 2.0  # unusable records


def test_flat_curves_miss_by_no_more_than_the_resolution_allows() -> None:
    one = 1 / 43  # one validation sample's worth of accuracy
    flat = [(1.0, 1e-12, 1.0 - one), (1.0, 1e-12, 1.0), (1.0, 1e-12, 1.0 - one)]
    assert calibration_factor(flat) == 10.0  # unfloored: misses of 2e10 deviations, the cap
    # floored at one sample, a one-sample miss is one deviation
    assert calibration_factor(flat, floor=one) == pytest.approx(1.0)  # z = 1, 0, 1: raised to the bound
    assert calibration_factor(flat, floor=one / 2) == pytest.approx(math.sqrt(8 / 3))
    assert calibration_factor([(1.0, 0.0, 1.0 - one)] * 3) == 2.0  # a zero std is unusable
    assert calibration_factor([(1.0, 0.0, 1.0 - one)] * 3, floor=one) == pytest.approx(1.0)  # floored, it counts
    # a mix: a few exact-flat records among many normal ones leave the factor near theirs
    rng = np.random.default_rng(1)
    normal = [(0.9, 0.03, 0.9 + 0.06 * z) for z in rng.standard_normal(40)]  # twice too narrow
    assert calibration_factor(normal + flat[:1] * 3) == 10.0
    assert calibration_factor(normal + flat[:1] * 3, floor=one) == pytest.approx(
        calibration_factor(normal), rel=0.1)
    # the floor does not touch stds above it
    assert calibration_factor(normal, floor=one) == calibration_factor(normal)


def test_resolution_is_the_smallest_step_a_curve_moved_by() -> None:
    assert resolution([[1.0, 1.0, 1.0], [0.5, 0.5 + 2 / 43, 0.5 + 3 / 43, 0.5 + 3 / 43]]) \
        == pytest.approx(1 / 43)
    assert resolution([[1.0, 1.0], [0.9], []]) == 0.0  # nothing ever moved
    assert resolution([[0.3, math.nan, 0.2, 0.25]]) == pytest.approx(0.05)
    assert resolution([[0.5, 0.4]]) == pytest.approx(0.1)  # a fall counts as a rise does


def test_a_far_horizon_is_predicted_at_a_bounded_number_of_steps() -> None:
    # An objective that reports every batch: a horizon of 100,000 steps was predicted (and
    # stored with the trial at each report) at every one of them, 0.9 s a fit.
    f = lambda x: 0.9 - 0.5 * math.exp(-x / 4000)  # noqa: E731
    steps = list(range(1, 2001))
    near = fit_curve(steps, [f(s) for s in steps], 2150)
    far = fit_curve(steps, [f(s) for s in steps], 100_000)
    assert near is not None and near.steps == tuple(range(2001, 2151))  # close: every step
    assert far is not None and len(far.steps) <= 200 == len(far.mean) == len(far.spread)
    assert far.steps[0] == 2001 and far.steps[-1] == 100_000 and list(far.steps) == sorted(set(far.steps))
    shifted = fit_curve([s - 1 for s in steps], [f(s) for s in steps], 99_999)  # reported from step 0
    assert shifted is not None and shifted.steps[-1] == 99_999 and math.isclose(shifted.final_mean, far.final_mean)


def test_a_long_curve_is_fitted_on_a_few_hundred_points_spread_over_it() -> None:
    # A curve of batches: every point was fitted at every judged step (19 ms at 4,000).
    pts = [(s, 0.9 - 0.5 * math.exp(-s / 800)) for s in range(1, 4001)]
    kept = thinned(pts)
    assert len(kept) == 256 and kept[0] == pts[0] and kept[-1] == pts[-1] and kept == sorted(set(kept))
    assert thinned(pts[:256]) == pts[:256]  # a curve of epochs is fitted whole, as before
    steps, values = noisy(lambda x: 0.9 - 0.5 * math.exp(-x / 800), 4000, 0.004)
    fit = fit_curve(steps, values, 6000)
    assert fit is not None and fit.last_step == 4000
    assert abs(fit.final_mean - (0.9 - 0.5 * math.exp(-6000 / 800))) < 3 * fit.final_std(calibration=2.0)
