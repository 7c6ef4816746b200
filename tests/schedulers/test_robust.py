"""The study's own curves judge its first rung: noise from second differences, grace from
rank correlation, and ASHA's less eager first rung, on constructed curves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nntune.exceptions import ConfigError
from nntune.schedulers import ASHA, Decision, promotable
from nntune.schedulers._robust import early_rank_correlations, epoch_noise, rank_grace, second_differences
from nntune.trial import FrozenTrial, TrialState


def trial(number: int, values: list[float], state: TrialState = TrialState.PRUNED) -> FrozenTrial:
    curve = {e + 1: v for e, v in enumerate(values)}
    value = values[-1] if state == TrialState.COMPLETE else None
    return FrozenTrial(number=number, state=state, intermediate_values=curve, value=value)


def test_second_differences_vanish_on_a_straight_line_and_skip_non_finite_points() -> None:
    assert second_differences({1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4}) == pytest.approx([0.0, 0.0])
    assert second_differences({1: 0.1, 2: math.nan, 3: 0.3, 4: 0.4}) == []
    assert second_differences({1: 0.5, 2: 0.7}) == []


def test_epoch_noise_recovers_the_spread_added_to_smooth_curves() -> None:
    rng = np.random.default_rng(0)
    curves = []
    for k in range(200):
        trend = [0.9 - 0.3 * math.exp(-e / (1 + k % 3)) for e in range(1, 7)]
        curves.append({e + 1: v + rng.normal(0, 0.01) for e, v in enumerate(trend)})
    assert epoch_noise(curves) == pytest.approx(0.01, rel=0.25)  # the trend's curvature adds a little
    smooth = [{e: 0.5 + 0.01 * e for e in range(1, 7)}] * 3
    assert epoch_noise(smooth) == pytest.approx(0.0, abs=1e-12)
    assert epoch_noise([{1: 0.5, 2: 0.6}]) is None


def test_rank_correlations_and_the_grace_they_choose() -> None:
    # Epoch 1 ranks the finals backwards, epoch 2 at random-ish, epoch 3 onwards as the end.
    finals = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    curves = [{1: 1 - f, 2: [0.3, 0.1, 0.6, 0.2, 0.5, 0.4][i], 3: f - 0.05, 4: f, 5: f, 6: f}
              for i, f in enumerate(finals)]
    rhos = early_rank_correlations(curves, finals, [1, 2, 3])
    assert rhos[1] == pytest.approx(-1.0) and rhos[3] == pytest.approx(1.0) and abs(rhos[2]) < 0.6
    assert rank_grace(curves, finals, 6, min_corr=0.6) == 3
    # Too few finished trials: the fallback; no epoch ranks well: no early rung at all.
    assert rank_grace(curves[:4], finals[:4], 6, min_trials=5, fallback=2) == 2
    backwards = [{e: 1 - f for e in range(1, 7)} for f in finals]
    assert rank_grace(backwards, finals, 6) == 6


def test_promotable_with_a_margin_keeps_values_within_the_noise_of_the_threshold() -> None:
    values = [0.90, 0.80, 0.70, 0.60, 0.50, 0.40]  # keep two (eta 3): threshold 0.80
    assert not promotable(values, 0.70, 3, "maximize")
    assert promotable(values, 0.70, 3, "maximize", margin=0.11)
    assert not promotable(values, 0.60, 3, "maximize", margin=0.11)
    assert promotable([0.1, 0.2, 0.3], 0.2, 3, "minimize", margin=0.15)
    assert not promotable([0.1, 0.2, math.nan], math.nan, 3, "minimize", margin=1.0)


def test_first_reduction_factor_keeps_half_at_the_first_rung_and_a_third_later() -> None:
    eager, half = ASHA(1, 9, 3), ASHA(1, 9, 3, first_reduction_factor=2)
    firsts = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    history = [trial(i, [v]) for i, v in enumerate(firsts)]
    newcomer = trial(6, [0.75])  # third of seven: out with eta 3 (keep 2), in with eta 2 (keep 3)
    assert eager.decide(newcomer, 1, [*history, newcomer], "maximize") == Decision.STOP
    assert half.decide(newcomer, 1, [*history, newcomer], "maximize") == Decision.CONTINUE
    # At the second rung (epoch 3) the factor is 3 again: the third of five stops.
    at3 = [trial(i, [0.5, 0.5, v]) for i, v in enumerate([0.9, 0.8, 0.7, 0.6])]
    late = trial(9, [0.5, 0.5, 0.75])
    assert half.decide(late, 3, [*at3, late], "maximize") == Decision.STOP


def test_noise_margin_spares_a_trial_behind_by_less_than_the_study_noise() -> None:
    rng = np.random.default_rng(1)
    noisy = [trial(i, [0.8 + 0.02 * e + rng.normal(0, 0.02) for e in range(6)], TrialState.COMPLETE)
             for i in range(6)]
    firsts = sorted(t.intermediate_values[1] for t in noisy)
    # Just behind the last one kept at epoch 1 (7 values, keep 2).
    kept = sorted([*firsts, 0.0], reverse=True)[1]
    newcomer = trial(6, [kept - 0.005])
    history = [*noisy, newcomer]
    assert ASHA(1, 6, 3).decide(newcomer, 1, history, "maximize") == Decision.STOP
    assert ASHA(1, 6, 3, noise_margin=1.0).decide(newcomer, 1, history, "maximize") == Decision.CONTINUE
    far = trial(6, [kept - 0.5])
    assert ASHA(1, 6, 3, noise_margin=1.0).decide(far, 1, [*noisy, far], "maximize") == Decision.STOP


def test_auto_grace_moves_the_first_rung_to_where_the_finished_trials_rank_well() -> None:
    finals = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    done = [trial(i, [1 - f, 1 - f, f, f, f, f], TrialState.COMPLETE) for i, f in enumerate(finals)]
    asha = ASHA(1, 6, 3, auto_grace=True, min_rank_corr=0.6)
    bad_start = trial(10, [0.0])  # worst at epoch 1: a fixed first rung there stops it
    assert ASHA(1, 6, 3).decide(bad_start, 1, [*done, bad_start], "maximize") == Decision.STOP
    assert asha.decide(bad_start, 1, [*done, bad_start], "maximize") == Decision.CONTINUE
    assert asha.grace == 3 and asha.rungs() == [3]
    worst_at_3 = trial(10, [0.0, 0.0, 0.0])
    assert asha.decide(worst_at_3, 3, [*done, worst_at_3], "maximize") == Decision.STOP
    # Before five trials finished, the first rung stays at min_resource.
    fresh = ASHA(1, 6, 3, auto_grace=True)
    assert fresh.decide(bad_start, 1, [*done[:4], bad_start], "maximize") == Decision.STOP
    assert fresh.grace == 1


@pytest.mark.parametrize("options, field", [({"first_reduction_factor": 1}, "first_reduction_factor"),
                                            ({"first_reduction_factor": 2.0}, "first_reduction_factor"),
                                            ({"noise_margin": -1.0}, "noise_margin"),
                                            ({"noise_margin": math.inf}, "noise_margin"),
                                            ({"min_rank_corr": 1.5}, "min_rank_corr")])
def test_bad_options_name_the_field(options: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        ASHA(1, 9, 3, **options)  # type: ignore[arg-type]
    assert err.value.field == field


def test_create_study_default_keeps_more_of_the_best_quarter_than_an_eager_first_rung() -> None:
    """A real define-by-run study whose first epochs carry noise as large as the spread of
    the configurations' quality there: the default's noise-aware cut lets more of the best
    quarter (by the quality the curves converge to) finish than plain ASHA, and still
    stops trials."""
    import nntune
    from nntune.samplers import RandomSampler

    def run(scheduler: object | None) -> tuple[int, int, int]:
        study = nntune.create_study(direction="maximize", sampler=RandomSampler(4), scheduler=scheduler)

        def objective(t: nntune.Trial) -> float:
            q = t.suggest_float("q", 0.8, 0.9)
            noise = np.random.default_rng(t.number)
            value = 0.0
            for epoch in range(1, 7):
                value = q - 0.3 * 0.5 ** epoch + noise.normal(0, 0.03)
                t.report(value, epoch)
                if t.should_prune():
                    raise nntune.TrialPruned()
            return value

        study.optimize(objective, n_trials=60)
        trials = study.get_trials()
        cut = sorted((t.params["q"] for t in trials), reverse=True)[len(trials) // 4 - 1]
        top_finished = sum(t.epochs == 6 for t in trials if t.params["q"] >= cut)
        stopped = sum(t.state == TrialState.PRUNED for t in trials)
        return top_finished, stopped, len(trials)

    default = run(None)
    eager = run(ASHA(1, None, 3))
    assert default[0] > eager[0] + 3  # measured 12 of 15 against 5
    assert 0 < default[1] < default[2]


class _Unread(list):
    """A history that fails when read: between rungs the scheduler must not look at it."""

    def __iter__(self):
        raise AssertionError("the history was read between rungs")


def test_the_noise_cut_reads_the_history_only_at_a_rung() -> None:
    asha = ASHA(1, 9, 3, noise_margin=1.0)
    between = trial(0, [0.5, 0.6], TrialState.RUNNING)
    assert asha.decide(between, 2, _Unread(), "maximize") == Decision.CONTINUE
    at_rung = trial(1, [0.5, 0.6, 0.7], TrialState.RUNNING)
    with pytest.raises(AssertionError, match="read between rungs"):
        asha.decide(at_rung, 3, _Unread(), "maximize")
