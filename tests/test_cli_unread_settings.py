"""An optimizer setting no optimizer of the study reads is warned about, not refused."""

from __future__ import annotations

import pytest

from nntune.config import DEFAULT_YAML, parse_config
from nntune.runner_build import unread_setting_warning

BETA = {"type": "beta", "low": 0.8, "high": 0.99}


@pytest.mark.parametrize("fixed, space, text", [
    ({"optimizer": "rmsprop", "momentum": 0.9}, {}, "fixed.momentum is read by momentum, nesterov only, and "
                                                    "this study trains with rmsprop: it changes nothing"),
    ({"optimizer": "sgd"}, {"beta1": BETA}, "space.beta1 is read by adam, adamw only"),
    ({}, {"optimizer": {"type": "choice", "values": ["adam", "rmsprop"]}, "momentum": BETA}, "adam, rmsprop"),
    ({}, {"optimizer": {"type": "choice", "values": ["adam", "momentum"]},
          "rho": {**BETA, "when": {"optimizer": ["adam"]}}}, "space.rho is read by rmsprop only"),
])
def test_a_setting_no_optimizer_reads_is_named(fixed, space, text):
    assert text in unread_setting_warning(parse_config({"fixed": fixed, "space": space}))


def test_settings_some_optimizer_reads_say_nothing():
    import yaml

    space = {"optimizer": {"type": "choice", "values": ["adam", "momentum", "rmsprop"]}, "momentum": BETA,
             "rho": {**BETA, "when": {"optimizer": ["rmsprop"]}}}
    assert unread_setting_warning(parse_config({"space": space})) is None
    assert unread_setting_warning(parse_config({"fixed": {"beta1": 0.8}})) is None  # adam by default
    assert unread_setting_warning(parse_config(yaml.safe_load(DEFAULT_YAML))) is None


def test_tune_prints_it(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", "task.data=iris", "--set", "space={}",
                              "--set", "fixed.optimizer=rmsprop", "--set", "fixed.momentum=0.9", "--dry-run", "--storage", f"sqlite:///{tmp_path / 's.db'}")
    assert code == 0, err
    assert "warning: fixed.momentum is read by momentum, nesterov only" in " ".join((out + err).split())
