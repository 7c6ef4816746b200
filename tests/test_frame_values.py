"""``Study.trials_dataframe`` of a study of several objectives, as Optuna's: one column per
objective whatever the trial's state, keyed by the objective's index."""

from __future__ import annotations

import math

import nntune


def _two_objectives(tmp_path):
    study = nntune.create_study(directions=["maximize", "minimize"], storage=f"sqlite:///{tmp_path / 'f.db'}")
    for told in ([0.5, 1.0], [1.0, float("nan")]):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        study.tell(trial, told)
    return study


def test_a_diverged_trial_of_several_objectives_has_empty_values_not_a_crash(tmp_path):
    study = _two_objectives(tmp_path)
    df = study.trials_dataframe()
    assert list(df.columns[:3]) == ["number", "values_0", "values_1"]
    assert df["state"].tolist() == ["COMPLETE", "DIVERGED"]
    assert df["values_0"][0] == 0.5 and math.isnan(df["values_0"][1]) and math.isnan(df["values_1"][1])


def test_multi_index_keys_unnamed_objectives_by_their_index_as_optuna(tmp_path):
    df = _two_objectives(tmp_path).trials_dataframe(multi_index=True)
    assert ("values", 0) in df.columns and ("values", 1) in df.columns
    assert df["values"][1][0] == 1.0
