import math
import warnings

import numpy as np
import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.space import Beta, Choice, Float, Int, Space, dist_from_json, grid_values


def draws(dist, n=20000, seed=0):
    rng = np.random.default_rng(seed)
    return np.array([dist.from_unit(u) for u in rng.random(n)])


def test_log_float_spreads_evenly_over_decades():
    lr = draws(Float(1e-4, 1.0, log=True))
    shares = [np.mean((lr >= 10.0**k) & (lr < 10.0 ** (k + 1))) for k in range(-4, 0)]
    assert all(abs(s - 0.25) < 0.02 for s in shares), shares
    linear = draws(Float(1e-4, 1.0))
    assert np.mean(linear >= 0.1) > 0.88  # note 001: a linear scale wastes 90% on [0.1, 1]


def test_beta_is_searched_on_the_one_minus_beta_log_scale():
    b = draws(Beta(0.9, 0.999))
    assert b.min() >= 0.9 and b.max() <= 0.999
    low_decade = np.mean(b < 0.99)
    assert abs(low_decade - 0.5) < 0.02  # 0.9..0.99 and 0.99..0.999 get equal shares
    assert np.mean(draws(Float(0.9, 0.999)) < 0.99) > 0.89


@pytest.mark.parametrize("dist, value", [
    (Float(-3, 5), 1.25), (Float(1e-5, 1, log=True), 3e-3), (Int(1, 9), 4),
    (Int(16, 512, log=True), 100), (Int(0, 100, step=10), 70), (Choice(("a", 2, None, True)), None),
    (Beta(0.9, 0.999), 0.99),
])
def test_unit_round_trip(dist, value):
    u = dist.to_unit(value)
    assert 0.0 <= u <= 1.0
    back = dist.from_unit(u)
    assert back == pytest.approx(value) if isinstance(value, float) else back == value
    assert dist_from_json(dist.to_json()) == dist


def test_int_draws_cover_all_values_and_respect_step():
    vals = draws(Int(0, 100, step=25), n=2000)
    assert set(vals.tolist()) == {0, 25, 50, 75, 100}
    logs = draws(Int(1, 1000, log=True), n=20000)
    assert abs(np.mean(logs < 32) - 0.5) < 0.05


@pytest.mark.parametrize("build, field", [
    (lambda: Float(1.0, 0.1), "low"), (lambda: Float(0, 1, log=True), "low"),
    (lambda: Int(5, 2), "low"), (lambda: Int(1, 5, step=0), "step"), (lambda: Int(1.5, 3), "low"),
    (lambda: Beta(0.9, 1.0), "high"), (lambda: Beta(0.99, 0.9), "low"), (lambda: Choice(()), "values"),
    (lambda: Float(0, float("nan")), "high"), (lambda: Choice(("a", "a")), "values"),
])
def test_bad_bounds_name_the_field(build, field):
    with pytest.raises(ConfigError) as err:
        build()
    assert err.value.field == field
    assert "\n" not in str(err.value)


def test_conditions_and_sampling():
    space = Space({"optimizer": Choice(("sgd", "momentum", "adam")), "momentum": Beta(0.8, 0.99),
                   "beta2": Beta(0.9, 0.9999)},
                  {"momentum": {"optimizer": ["momentum"]}, "beta2": {"optimizer": ["adam"]}})
    rng = np.random.default_rng(1)
    for _ in range(200):
        p = space.sample(rng)
        assert ("momentum" in p) == (p["optimizer"] == "momentum")
        assert ("beta2" in p) == (p["optimizer"] == "adam")
        assert space.contains(p)
    assert not space.contains({"optimizer": "momentum"})
    with pytest.raises(ConfigError, match="declared before"):
        Space({"m": Float(0, 1), "opt": Choice(("a", "b"))}, {"m": {"opt": ["a"]}})
    with pytest.raises(ConfigError, match=r"refers to 'optim', which the space does not declare \(it declares "
                                          r"'m', 'opt'\)"):  # a misspelt parent is not "declared later"
        Space({"m": Float(0, 1), "opt": Choice(("a", "b"))}, {"m": {"optim": ["a"]}})
    with pytest.raises(ConfigError, match="not possible"):
        Space({"opt": Choice(("a", "b")), "m": Float(0, 1)}, {"m": {"opt": ["c"]}})


def test_grid_enumerates_nested_spaces_without_duplicates():
    space = Space({"optimizer": Choice(("sgd", "momentum")), "momentum": Float(0.5, 0.9),
                   "lr": Float(1e-3, 1e-1, log=True)}, {"momentum": {"optimizer": ["momentum"]}})
    grid = space.grid(points=3)
    assert len(grid) == 3 + 3 * 3  # sgd x 3 lr, momentum x 3 momentum x 3 lr
    assert len({repr(sorted(g.items())) for g in grid}) == len(grid)
    assert all("momentum" not in g for g in grid if g["optimizer"] == "sgd")
    lrs = sorted({g["lr"] for g in grid})
    assert lrs == pytest.approx([1e-3, 1e-2, 1e-1])  # evenly spaced in decades
    assert grid_values(Int(1, 3), 5) == [1, 2, 3]


def test_space_json_round_trip():
    space = Space({"b": Choice((1, 2)), "a": Float(0, 1)}, {"a": {"b": [2]}})
    again = Space.from_json(space.to_json())
    assert again.params == space.params and again.conditions == space.conditions
    assert math.isnan(space.to_unit({"b": 1})[1])


def test_a_step_that_does_not_divide_the_range_moves_high_down_onto_the_grid():
    with pytest.warns(UserWarning, match=r"high: 32 is not low \(8\) plus a whole number of steps \(5\); "
                                         r"the range ends at 28 instead"):
        units = Int(8, 32, step=5)
    assert units.high == 28 and set(draws(units, n=2000).tolist()) == {8, 13, 18, 23, 28}
    with pytest.warns(UserWarning, match="the range ends at 0.5 instead"):
        dropout = Float(0.0, 0.9, step=0.5)
    assert dropout.high == 0.5 and set(draws(dropout, n=2000).tolist()) | {dropout.from_unit(1.0)} == {0.0, 0.5}
    with pytest.warns(UserWarning):
        assert Float(0.1, 0.6, step=0.2).high == 0.5  # the decimal value, not 0.1 + 0.4's rounding
    assert dist_from_json(units.to_json()) == units  # stored snapped, so it loads without a second warning


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dist", [
    Float(0.0, 0.3, step=0.1), Float(0.0, 1.0, step=0.1), Float(0.1, 0.7, step=0.2),
    Float(0.1, 0.30000000000000004, step=0.05),  # a range a sampler narrowed onto the grid
    Int(0, 100, step=25), Float(-1.0, 1.0, step=0.25),
])
def test_a_step_that_divides_the_range_up_to_rounding_keeps_high_and_draws_only_grid_values(dist):
    before = dist.high
    dist = type(dist)(dist.low, dist.high, dist.log, dist.step)  # no warning (an error here)
    assert dist.high == before
    values = [*draws(dist, n=2000).tolist(), dist.from_unit(0.0), dist.from_unit(1.0)]
    steps = [(v - dist.low) / dist.step for v in values]
    assert all(abs(k - round(k)) < 1e-9 for k in steps) and dist.low <= min(values) and max(values) <= dist.high
    assert dist.from_unit(1.0) == dist.high


def test_a_grid_never_repeats_a_value_of_a_small_or_single_point_range():
    # A stepped float of 3 values on a 5-point axis gave [0.0, 0.0, 0.1, 0.2, 0.2]: the grid
    # sampler trained the same configuration twice.
    assert grid_values(Float(0, 0.2, step=0.1), 5) == [0.0, 0.1, 0.2]
    assert grid_values(Float(0, 0.4, step=0.1), 5) == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert grid_values(Float(1.0, 1.0), 5) == [1.0] and grid_values(Beta(0.9, 0.9), 3) == [0.9]
    assert len(Space({"x": Float(0, 1, step=0.5), "c": Choice(("a", "b"))}).grid(5)) == 6


def test_a_value_outside_a_log_range_maps_to_its_end_of_the_unit_interval():
    # An enqueued units=0 for a log-scale int (kept, with a warning) raised "math domain
    # error" in to_unit, and CMA-ES then failed every later trial of the study.
    assert Int(1, 64, log=True).to_unit(0) == Int(1, 64, log=True).to_unit(1)
    assert Int(0, 10).to_unit(20) == Int(0, 10).to_unit(10) < 1
    assert Float(1e-3, 1.0, log=True).to_unit(-1.0) == 0.0 and Float(1e-3, 1.0, log=True).to_unit(5.0) == 1.0


def test_cma_es_reads_a_history_holding_an_enqueued_value_outside_a_log_range():
    study = nntune.create_study(sampler=nntune.samplers.CmaEsSampler(seed=0, n_startup_trials=1))
    study.enqueue_trial({"units": 0, "lr": -1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the enqueued values are outside their ranges
        study.optimize(lambda t: t.suggest_int("units", 1, 64, log=True) * t.suggest_float("lr", 1e-3, 1, log=True),
                       n_trials=4)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 4


def test_a_condition_on_true_does_not_enable_its_branch_for_the_integer_1() -> None:
    import numpy as np

    from nntune.samplers._define_by_run import snap

    space = Space({"c": Choice((True, 1)), "n": Int(0, 3)}, {"n": {"c": [1]}})
    assert space.is_active("n", {"c": 1}) and not space.is_active("n", {"c": True})
    rows = snap(space, np.array([[0.25, 0.5], [0.75, 0.5]]))  # c = True, then c = 1
    assert np.isnan(rows[0, 1]) and not np.isnan(rows[1, 1])
    assert space.from_unit(rows[0]) == {"c": True} and space.from_unit(rows[1])["c"] == 1
