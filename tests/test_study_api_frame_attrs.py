"""``Study.trials_dataframe(attrs=...)``: names that are no field of a trial are refused
in one line naming ``attrs``, and Optuna's ``_trial_id`` gives its ``trial_id`` column."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError


def _study():
    study = nntune.create_study()
    study.tell(study.ask(), 0.5)
    return study


@pytest.mark.parametrize("attrs, message", [
    ("number", r"^attrs: must be a tuple of FrozenTrial's field names such as \('number', 'value'\), got 'number'$"),
    (("number", "valeu"), r"^attrs: 'valeu' is not a field of FrozenTrial; expected some of number, value, "),
])
def test_attrs_that_name_no_field_are_refused_in_one_line(attrs, message):
    with pytest.raises(ConfigError, match=message):
        _study().trials_dataframe(attrs=attrs)


def test_an_underscored_attribute_is_shown_without_its_underscore_as_optuna():
    df = _study().trials_dataframe(attrs=("number", "_trial_id"))
    assert list(df.columns) == ["number", "trial_id"]
    assert df["trial_id"].tolist() == [0]


def test_the_trial_id_field_gives_the_same_column_as_optunas_underscored_name():
    study = _study()
    study.tell(study.ask(), 0.25)
    plain = study.trials_dataframe(attrs=("number", "trial_id"))
    assert list(plain.columns) == ["number", "trial_id"]
    assert plain["trial_id"].tolist() == study.trials_dataframe(attrs=("number", "_trial_id"))["trial_id"].tolist()
    assert plain["trial_id"].tolist() == [t._trial_id for t in study.trials] == [0, 1]


def test_a_caught_failure_adds_no_traceback_column_as_optunas_frame_has_none(tmp_path):
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}",
                                sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            raise ValueError("no such layer")
        return x

    study.optimize(objective, n_trials=2, catch=(ValueError,))
    assert list(study.trials_dataframe().columns) == [
        "number", "value", "datetime_start", "datetime_complete", "duration", "params_x", "state"]
    assert list(study.trials_dataframe(attrs=("number", "system_attrs")).columns) == ["number"]
    failed = study.trials[1]
    assert failed.error == "ValueError: no such layer" and "no such layer" in failed.system_attrs["traceback"]
