"""The space of a define-by-run study whose range moved between trials keeps a step both
ranges share, though the offset between their lows is a float multiple of it."""

from __future__ import annotations

import nntune
from nntune.analysis import best_region, study_space
from nntune.space import Float


def _moved_range_study():
    def objective(trial):
        low = 0.0 if trial.number < 5 else 0.3  # the range moved from [0, 1] to [0.3, 2], still by 0.1
        return (trial.suggest_float("dropout", low, 1.0 if low == 0.0 else 2.0, step=0.1) - 0.5) ** 2

    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=10)
    return study


def test_a_shared_step_survives_a_low_that_is_a_float_multiple_of_it() -> None:
    space = study_space(_moved_range_study().trials)
    assert space.params["dropout"] == Float(0.0, 2.0, step=0.1)


def test_the_best_region_stays_on_the_grid() -> None:
    study = _moved_range_study()
    region = best_region(study.trials, study_space(study.trials), "minimize", top_k=3)
    assert region["space"]["params"]["dropout"]["step"] == 0.1


def test_ranges_whose_lows_are_off_each_others_grid_drop_the_step() -> None:
    from nntune.analysis import spanning

    assert spanning(Float(0.0, 1.0, step=0.1), Float(0.05, 1.05, step=0.1)).step is None
