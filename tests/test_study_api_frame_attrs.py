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
