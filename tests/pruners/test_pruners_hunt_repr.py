"""A pruner reads back as the call that makes it, in Optuna's argument names."""

from __future__ import annotations

import pytest

import nntune
from nntune.pruners import (HyperbandPruner, MedianPruner, NopPruner, PatientPruner, PercentilePruner,
                            SuccessiveHalvingPruner, ThresholdPruner, WilcoxonPruner)

CALLS = [
    "MedianPruner(n_startup_trials=5, n_warmup_steps=0, interval_steps=1, n_min_trials=3)",
    "PercentilePruner(percentile=25, n_startup_trials=2, n_warmup_steps=1, interval_steps=1)",
    "ThresholdPruner(lower=-1.0, upper=0.5, n_warmup_steps=0, interval_steps=2)",
    "ThresholdPruner(lower=float('-inf'), n_warmup_steps=0, interval_steps=1)",
    "PatientPruner(MedianPruner(n_startup_trials=5, n_warmup_steps=0, interval_steps=1), patience=2, "
    "min_delta=0.1)",
    "SuccessiveHalvingPruner(min_resource='auto', reduction_factor=4, min_early_stopping_rate=0, bootstrap_count=0)",
    "SuccessiveHalvingPruner(min_resource=3, reduction_factor=2, min_early_stopping_rate=2, bootstrap_count=1)",
    "HyperbandPruner(min_resource=1, max_resource='auto', reduction_factor=3, bootstrap_count=0, seed=0)",
    "HyperbandPruner(min_resource=2, max_resource=27, reduction_factor=3, bootstrap_count=1, seed=4)",
    "NopPruner()",
    "WilcoxonPruner(p_threshold=0.05, n_startup_steps=5)",
]
NAMES = {c.__name__: c for c in (HyperbandPruner, MedianPruner, NopPruner, PatientPruner, PercentilePruner,
                                  SuccessiveHalvingPruner, ThresholdPruner, WilcoxonPruner)}


@pytest.mark.parametrize("call", CALLS)
def test_repr_is_the_call(call: str) -> None:
    assert repr(eval(call, dict(NAMES))) == call


def test_an_auto_budget_shows_what_it_became() -> None:
    pruner = SuccessiveHalvingPruner()
    study = nntune.create_study(pruner=pruner)
    study.add_trial(nntune.trial.create_trial(value=0.0, intermediate_values={s: 0.0 for s in range(300)}))
    pruner.resolve_auto(study.get_trials(deepcopy=False))
    assert repr(pruner).startswith("SuccessiveHalvingPruner(min_resource=2,")
