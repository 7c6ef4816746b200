"""``Study.trials_dataframe`` of a study of several objectives, as Optuna's: one column per
objective whatever the trial's state, keyed by the objective's index."""

from __future__ import annotations

import math

import pytest

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


# Optuna 5's columns for each attrs, for one objective (values give values_0 beside value)
# and for two ("value" reads as "values"); columns follow the order of attrs.
@pytest.mark.parametrize("n, names, attrs, flat, multi", [
    (1, False, ("number", "values"), ["number", "values_0"], [("number", ""), ("values", 0)]),
    (1, False, ("value", "values"), ["value", "values_0"], [("value", ""), ("values", 0)]),
    (1, True, ("number", "values"), ["number", "values_m0"], [("number", ""), ("values", "m0")]),
    (1, True, ("value", "values"), ["value_m0", "values_m0"], [("value", "m0"), ("values", "m0")]),
    (1, False, ("values", "number", "state"), ["values_0", "number", "state"],
     [("values", 0), ("number", ""), ("state", "")]),
    (2, False, ("state", "values", "number"), ["state", "values_0", "values_1", "number"],
     [("state", ""), ("values", 0), ("values", 1), ("number", "")]),
    (2, True, ("value", "number"), ["values_m0", "values_m1", "number"],
     [("values", "m0"), ("values", "m1"), ("number", "")]),
])
def test_columns_are_optunas_for_every_value_attribute(n, names, attrs, flat, multi):
    study = nntune.create_study(directions=["minimize"] * n)
    study.tell(study.ask(), [0.5] * n if n > 1 else 0.5)
    if names:
        study.set_metric_names([f"m{i}" for i in range(n)])
    assert list(study.trials_dataframe(attrs=attrs).columns) == flat
    assert list(study.trials_dataframe(attrs=attrs, multi_index=True).columns) == multi


def test_intermediate_values_are_keyed_by_their_step_in_step_order_as_optuna():
    study = nntune.create_study()
    trial = study.ask()
    for step in (2, 10, 0):
        trial.report(float(step), step)
    study.tell(trial, 1.0)
    attrs = ("number", "intermediate_values")
    assert list(study.trials_dataframe(attrs=attrs).columns) == [
        "number", "intermediate_values_0", "intermediate_values_2", "intermediate_values_10"]
    df = study.trials_dataframe(attrs=attrs, multi_index=True)
    assert list(df.columns)[1:] == [("intermediate_values", 0), ("intermediate_values", 2), ("intermediate_values", 10)]
    assert df[("intermediate_values", 10)][0] == 10.0


def _missing(v: object) -> str:
    return "None" if v is None else "NaN" if v != v else type(v).__name__


def test_a_missing_entry_reads_nan_in_every_column_as_optunas_frame():
    # A conditional bool or a dict user attribute missing from a trial read None, where
    # Optuna's frame has NaN (numeric columns already had NaN: pandas turns None into it).
    optuna = pytest.importorskip("optuna")
    frames = []
    for lib in (nntune, optuna):
        study = lib.create_study()
        dists = {"x": lib.distributions.FloatDistribution(0, 1),
                 "flag": lib.distributions.CategoricalDistribution([True, False]),
                 "n": lib.distributions.IntDistribution(1, 5)}
        rows = [({"x": 0.5, "flag": True}, {"note": {"k": 1}}, dict(value=1.0, intermediate_values={0: 2.0})),
                ({"x": 0.25, "n": 3}, {}, dict(state=lib.trial.TrialState.PRUNED)),
                ({"x": 0.75}, {"tag": "t"}, dict(state=lib.trial.TrialState.FAIL))]
        for params, attrs, end in rows:
            study.add_trial(lib.trial.create_trial(params=params, distributions={k: dists[k] for k in params},
                                                   user_attrs=attrs, **end))
        frames.append(study.trials_dataframe(attrs=("number", "value", "params", "user_attrs", "state",
                                                    "intermediate_values")))
    ours, theirs = frames
    assert list(ours.columns) == list(theirs.columns)
    assert {c: str(ours[c].dtype) for c in ours} == {c: str(theirs[c].dtype) for c in theirs}
    assert {c: [_missing(v) for v in ours[c]] for c in ours} == {c: [_missing(v) for v in theirs[c]] for c in theirs}
    assert [_missing(v) for v in ours["params_flag"]] == ["bool", "NaN", "NaN"]
