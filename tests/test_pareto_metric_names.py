"""A config's list of metrics names the study's objectives as Optuna's ``set_metric_names``
does: ``study.metric_names`` and the ``values_NAME`` columns of ``nntune export``."""

from __future__ import annotations

from nntune.config import parse_config
from nntune.runner import prepare, run_tune
from nntune.study import load_study


def test_the_config_names_the_objectives(tmp_path):
    cfg = parse_config({"study": "named", "storage": f"sqlite:///{tmp_path / 's.db'}",
                        "task": {"data": "digits", "train_size": 300, "metric": ["accuracy", "params"]},
                        "search": {"sampler": "random", "trials": 2, "seed": 0},
                        "space": {"lr": {"type": "float", "low": 1e-2, "high": 1e-1, "log": True}},
                        "fixed": {"epochs": 1, "units": 8, "layers": 1}})
    run_tune(prepare(cfg))
    study = load_study("named", cfg.storage)
    assert study.metric_names == ["accuracy", "params"]
    frame = study.trials_dataframe(attrs=("number", "value"))
    assert {"values_accuracy", "values_params"} <= set(frame.columns)
