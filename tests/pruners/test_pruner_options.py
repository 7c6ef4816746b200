"""Pruner options as Optuna takes them: a threshold that is no number is one line naming
it, and PatientPruner wraps a pruner written for Optuna (``prune(study, trial)`` only)."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.pruners import BasePruner, MedianPruner, PatientPruner, ThresholdPruner


class StopFromStep(BasePruner):
    """A user's pruner in Optuna's form: no ``decide``, only ``prune``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def prune(self, study: object, trial: nntune.trial.FrozenTrial) -> bool:
        return trial.last_step is not None and trial.last_step >= self.step


def _objective(trial: nntune.Trial) -> float:
    for step in range(10):
        trial.report(1.0 if step < 3 else 2.0, step)  # improves at 3, then stalls (minimizing)
        if trial.should_prune():
            raise nntune.TrialPruned()
    return 1.0


def test_patient_pruner_wraps_a_pruner_written_for_optuna() -> None:
    # Optuna 5.1 prunes this trial at step 5: stalled since step 3 (patience 2) and the
    # wrapped pruner says yes from step 5.
    study = nntune.create_study(pruner=PatientPruner(StopFromStep(5), patience=2))
    study.optimize(_objective, n_trials=1)
    assert (study.trials[0].state, study.trials[0].last_step) == ("pruned", 5)


def test_patient_pruner_asks_an_optuna_style_pruner_only_once_stalled() -> None:
    study = nntune.create_study(pruner=PatientPruner(StopFromStep(0), patience=8))
    study.optimize(_objective, n_trials=1)
    assert study.trials[0].state == "complete"


def test_patient_pruner_still_decides_for_nntune_pruners() -> None:
    assert callable(PatientPruner(MedianPruner(), patience=1).decide)
    assert callable(PatientPruner(None, patience=1).decide)


def test_patient_pruner_refuses_what_is_no_pruner() -> None:
    with pytest.raises(ConfigError, match="^wrapped_pruner: must be a pruner"):
        PatientPruner(5, patience=1)


def test_patient_pruner_refuses_a_pruner_class() -> None:
    # The class has a decide attribute too (an unbound function): it failed at the first
    # stalled curve with "decide() missing 1 required positional argument".
    with pytest.raises(ConfigError, match=r"^wrapped_pruner: got the class MedianPruner, .*MedianPruner\(\)"):
        PatientPruner(MedianPruner, patience=1)


@pytest.mark.parametrize("min_delta", [True, "0.1", -1.0, float("nan")])
def test_patient_pruner_refuses_a_min_delta_that_is_no_number(min_delta: object) -> None:
    with pytest.raises(ConfigError, match="^min_delta: must be a number >= 0"):
        PatientPruner(None, patience=1, min_delta=min_delta)


@pytest.mark.parametrize(("options", "field"), [({"lower": "x"}, "lower"), ({"upper": float("nan")}, "upper"),
                                                 ({"upper": [1]}, "upper")])
def test_threshold_that_is_no_number_is_named(options: dict, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        ThresholdPruner(**options)
    assert err.value.field == field


def test_threshold_takes_what_float_converts_as_optuna_does() -> None:
    assert (ThresholdPruner(lower="0.5", upper=2).lower, ThresholdPruner(upper=2).upper) == (0.5, 2.0)


@pytest.mark.parametrize(("make", "field"), [
    # A reduction factor that is no integer was named as min_resource (2.5 ** 0 is 1.0),
    # or was a TypeError from ``**``.
    (lambda: nntune.pruners.SuccessiveHalvingPruner(reduction_factor=2.5), "reduction_factor"),
    (lambda: nntune.pruners.SuccessiveHalvingPruner(reduction_factor="4"), "reduction_factor"),
    # A seed that is no integer was a ValueError or TypeError from int().
    (lambda: nntune.pruners.HyperbandPruner(seed="x"), "seed"),
    # A budget below the first rung was lowered to it without a word.
    (lambda: nntune.pruners.HyperbandPruner(min_resource=10, max_resource=5), "max_resource"),
])
def test_halving_pruners_name_a_bad_argument(make, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        make()
    assert err.value.field == field


def test_hyperband_pruner_takes_no_seed_as_its_samplers_do() -> None:
    pruner = nntune.pruners.HyperbandPruner(max_resource=9, seed=None)
    assert isinstance(pruner.seed, int)
    study = nntune.create_study(pruner=nntune.pruners.HyperbandPruner(seed=None))
    study.optimize(_objective, n_trials=3)
    assert len(study.trials) == 3


def test_check_pruner_names_the_class_given_for_an_instance() -> None:
    from nntune.pruners._pruners import check_pruner

    with pytest.raises(ConfigError, match=r"^pruner: got the class MedianPruner, not a pruner: call it, "
                                          r"pruner=MedianPruner\(\)$"):
        check_pruner(MedianPruner)
    with pytest.raises(ConfigError, match="^scheduler: must be a pruner"):
        check_pruner("median", "scheduler")
    with pytest.raises(ConfigError, match="^pruner: Forgot subclasses BasePruner but defines no prune"):
        check_pruner(type("Forgot", (BasePruner,), {})())
    assert check_pruner(None) is None
    own = StopFromStep(1)
    assert check_pruner(own) is own


def test_patient_pruner_keeps_what_its_wrapped_scheduler_asks_of_a_trial() -> None:
    # Wrapped, a cost-aware ASHA got no seconds from the trials (it judged them by epochs
    # alone) and the curve scheduler's predictions were never stored with the trial.
    from nntune.schedulers import ASHA, CurveExtrapolation

    def rising(trial):  # then a little lower from step 4: the patient pruner asks the wrapped one
        for step in range(1, 9):
            trial.report(1.0 - 0.5 ** step if step < 4 else 0.85, step)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return 1.0

    costed = nntune.create_study(direction="maximize", pruner=PatientPruner(ASHA(1, 8, 2, cost_aware=True), patience=1))
    costed.optimize(rising, n_trials=1)
    assert costed.trials[0].system_attrs["elapsed_s"][0] == 8
    curved = nntune.create_study(direction="maximize", pruner=PatientPruner(CurveExtrapolation(), patience=1))
    curved.optimize(rising, n_trials=2)
    assert curved.trials[1].system_attrs["curve"]["finals"][0][0] == 5  # stalled at 5
    assert not hasattr(PatientPruner(MedianPruner(), patience=1), "annotation")
    assert PatientPruner(None, patience=1).cost_aware is False


def test_numpy_integers_are_integers() -> None:
    # Optuna takes them; they were refused as "must be an integer >= 0, got np.int64(5)".
    import numpy as np

    from nntune.pruners import HyperbandPruner, SuccessiveHalvingPruner, WilcoxonPruner

    i = np.int64
    median = MedianPruner(i(5), i(2), i(3), n_min_trials=i(2))
    assert (median.n_startup_trials, median.n_warmup_steps, median.interval_steps, median.n_min_trials) == (5, 2, 3, 2)
    assert SuccessiveHalvingPruner(i(2), i(3), i(1), i(1)).min_resource == 6
    assert HyperbandPruner(i(1), i(9), i(3)).max_resource == 9
    assert PatientPruner(None, i(2)).patience == 2
    assert ThresholdPruner(upper=1.0, n_warmup_steps=i(1), interval_steps=i(2)).interval_steps == 2
    assert WilcoxonPruner(n_startup_steps=i(3)).n_startup_steps == 3
    # and numpy's numbers are numbers
    assert nntune.pruners.PercentilePruner(i(25)).percentile == 25.0
    assert WilcoxonPruner(p_threshold=np.float32(0.25)).p_threshold == 0.25
    assert PatientPruner(None, 1, min_delta=np.float32(0.5)).min_delta == 0.5
