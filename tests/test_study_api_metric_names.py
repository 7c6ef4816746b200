"""``Study.set_metric_names``: each name keys its objective's column, so two alike or an
empty one are refused before anything is stored."""

from __future__ import annotations

import pytest

import nntune


@pytest.mark.parametrize("names", [["loss", "loss"], ["loss", ""]])
def test_repeated_or_empty_metric_names_are_refused(names):
    study = nntune.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match="metric_names: each objective needs its own non-empty name"):
        study.set_metric_names(names)
    assert study.metric_names is None
    study.tell(study.ask(), [1.0, 2.0])
    assert list(study.trials_dataframe(attrs=("values",)).iloc[0]) == [1.0, 2.0]


@pytest.mark.parametrize(("directions", "names"), [(["minimize", "maximize"], "ab"), (["minimize"], "loss"),
                                                    (["minimize"], 3)])
def test_a_lone_name_is_refused_not_read_letter_by_letter(directions, names):
    study = nntune.create_study(directions=directions)
    with pytest.raises(ValueError, match=r"^metric_names: must be a list of names, one per objective"):
        study.set_metric_names(names)
    assert study.metric_names is None
