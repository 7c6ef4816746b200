"""A config's list of metrics names the study's objectives as Optuna's ``set_metric_names``
does: ``study.metric_names`` and the ``values_NAME`` columns of ``nntune export``."""

from __future__ import annotations

from _objectives import tiny_front_config
from nntune.runner import prepare, run_tune
from nntune.study import load_study


def test_the_config_names_the_objectives(tmp_path):
    cfg = tiny_front_config(tmp_path, "named")
    run_tune(prepare(cfg))
    study = load_study("named", cfg.storage)
    assert study.metric_names == ["accuracy", "params"]
    frame = study.trials_dataframe(attrs=("number", "value"))
    assert {"values_accuracy", "values_params"} <= set(frame.columns)
