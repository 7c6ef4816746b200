"""Model, schedule, early-stopping and loss settings no trial reads, and a warm-up as long as
the run, are warned about once before the study starts; the study still runs."""

from __future__ import annotations

from typing import Any

import pytest

from nntune.config import parse_config
from nntune.runner_build import unread_setting_warning


def warning(fixed: dict[str, Any], space: dict[str, Any] | None = None, **sections: Any) -> str | None:
    return unread_setting_warning(parse_config({"fixed": fixed, "space": space or {}, **sections}))


def choice(*values: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "choice", "values": list(values), **extra}


@pytest.mark.parametrize("fixed, space, text", [
    ({"model": "mlp", "kernel_size": 5}, {}, "fixed.kernel_size is read by model cnn only, and this study trains "
                                             "with model mlp: it changes nothing"),
    ({"filters": 8, "pool": "avg"}, {}, "fixed.filters and fixed.pool are read by model cnn only"),  # task.model mlp
    ({}, {"model": choice("mlp", "resnet18"), "conv_layers": {"type": "int", "low": 1, "high": 3}},
     "space.conv_layers is read by model cnn only, and this study trains with model mlp, resnet18"),
    ({"lr_gamma": 0.5}, {}, "fixed.lr_gamma is read by lr_schedule step, exponential only, and this study "
                            "trains with lr_schedule constant"),
    ({"lr_schedule": "exponential", "lr_step_epochs": 3}, {}, "fixed.lr_step_epochs is read by lr_schedule step only"),
    ({"lr_schedule": "step", "lr_min": 1e-5}, {}, "fixed.lr_min is read by lr_schedule plateau, cosine only"),
    ({"lr_schedule": "cosine", "lr_patience": 2}, {}, "fixed.lr_patience is read by lr_schedule plateau only"),
    ({}, {"lr_schedule": choice("constant", "step"), "lr_min": {"type": "float", "low": 1e-6, "high": 1e-3}},
     "space.lr_min is read by lr_schedule plateau, cosine only, and this study trains with lr_schedule constant, step"),
    ({"patience": 3, "min_delta": 0.01}, {}, "fixed.patience and fixed.min_delta are read by early_stopping true "
                                             "only, and this study trains with early_stopping false: they change"),
    ({}, {"early_stopping": choice(True, False), "patience": {"type": "int", "low": 1, "high": 5,
                                                              "when": {"early_stopping": [False]}}},
     "space.patience is read by early_stopping true only"),
    ({"huber_delta": 2.0}, {}, "fixed.huber_delta is read by loss huber only, and this study trains with loss "
                               "cross_entropy or mse (the default)"),
    ({}, {"loss": choice("mse", "mae"), "huber_delta": {"type": "float", "low": 0.5, "high": 2.0}},
     "space.huber_delta is read by loss huber only, and this study trains with loss mae, mse"),
    ({"epochs": 3, "warmup_epochs": 3}, {}, "fixed.warmup_epochs is 3 and a trial trains at most 3 epochs: "
                                            "the rate is still warming up when the run ends"),
    ({"epochs": 4}, {"warmup_epochs": {"type": "int", "low": 5, "high": 8}}, "space.warmup_epochs is at least 5 "
                                                                             "and a trial trains at most 4 epochs"),
])
def test_a_setting_no_trial_reads_is_named(fixed, space, text):
    assert text in warning(fixed, space)


@pytest.mark.parametrize("fixed, space", [
    ({"model": "cnn", "kernel_size": 5, "pool": "avg"}, {}),
    ({}, {"model": choice("mlp", "cnn"), "filters": {"type": "int", "low": 8, "high": 32}}),
    ({"model": "nntune.train.models:build_mlp", "filters": 8}, {}),  # the user's own model may read any name
    ({"lr_schedule": "step", "lr_gamma": 0.5, "lr_step_epochs": 3}, {}),
    ({"lr_schedule": "exponential", "lr_gamma": 0.5}, {}),
    ({"lr_schedule": "plateau", "lr_min": 1e-5, "lr_patience": 2, "lr_factor": 0.5}, {}),
    ({"lr_schedule": "cosine", "lr_min": 1e-5}, {}),
    ({}, {"lr_schedule": choice("constant", "step"), "lr_gamma": {"type": "float", "low": 0.1, "high": 0.9}}),
    # Conditional: where the schedule is not searched, the trainer's default (constant) applies, yet
    # a searched step still reads it.
    ({}, {"optimizer": choice("sgd", "adam"), "lr_schedule": choice("step", when={"optimizer": ["sgd"]}),
          "lr_gamma": {"type": "float", "low": 0.1, "high": 0.9}}),
    ({"early_stopping": True, "patience": 3, "min_delta": 0.01}, {}),
    ({}, {"early_stopping": choice(True, False), "patience": {"type": "int", "low": 1, "high": 5}}),
    ({"loss": "huber", "huber_delta": 2.0}, {}),
    ({"epochs": 4, "warmup_epochs": 3}, {}),
    ({}, {"epochs": {"type": "int", "low": 2, "high": 10}, "warmup_epochs": {"type": "int", "low": 3, "high": 5}}),
])
def test_settings_some_trial_reads_say_nothing(fixed, space):
    assert warning(fixed, space) is None


def test_a_warm_up_is_judged_on_the_schedulers_budget():
    # Under successive halving a trial trains up to max_resource epochs, not fixed.epochs.
    asha = {"scheduler": "asha", "scheduler_options": {"max_resource": 9}}
    assert warning({"epochs": 3, "warmup_epochs": 5}, search=asha) is None
    assert "at most 4 epochs" in warning({"epochs": 9, "warmup_epochs": 5},
                                         search={**asha, "scheduler_options": {"max_resource": 4}})


def test_tune_warns_once_and_the_study_runs(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", "task.data=iris", "--set", "space={}", "--trials", "1",
                              "--set", "fixed.epochs=1", "--set", "fixed.patience=3", "--set", "fixed.kernel_size=5",
                              "--storage", "memory")
    text = " ".join((out + err).split())
    assert code == 0, err
    assert text.count("warning: fixed.kernel_size is read by model cnn only") == 1
    assert "fixed.patience is read by early_stopping true only" in text
    assert "1 complete" in text
