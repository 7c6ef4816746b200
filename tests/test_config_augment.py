"""Augmentation parameters in ``fixed`` and ``space`` are checked when the config is read:
one that changes nothing, or a range whose draws the augmentation refuses, is one line."""

from __future__ import annotations

import pytest

from nntune.config import parse_config
from nntune.exceptions import ConfigError


def config(augment: list, space: dict | None = None, fixed: dict | None = None) -> dict:
    return {"task": {"data": "digits", "augment": augment}, "space": space or {}, "fixed": fixed or {}}


@pytest.mark.parametrize("raw, field, problem", [
    (config(["hflip"], space={"vflip.p": {"type": "float", "low": 0, "high": 1}}), "space.vflip.p",
     "task.augment holds hflip; vflip.p would change nothing"),
    (config([], fixed={"rotation.degrees": 10}), "fixed.rotation.degrees", "task.augment is empty"),
    (config(["hflip"], space={"hflip.p": {"type": "float", "low": 0, "high": 2}}), "space.hflip.p.high",
     "must be a number in [0, 1], got 2.0"),
    (config(["random_crop"], space={"random_crop.padding": {"type": "choice", "values": [2, -1]}}),
     "space.random_crop.padding.values[1]", "must be a non-negative int, got -1"),
])
def test_an_augmentation_parameter_that_cannot_work_is_refused_at_once(raw: dict, field: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert caught.value.field == field and caught.value.problem.startswith(problem), str(caught.value)


def test_parameters_of_the_task_augmentation_pass() -> None:
    parse_config(config(["hflip", "rotation"], space={"rotation.degrees": {"type": "float", "low": 0, "high": 30}},
                        fixed={"hflip.p": 0.3}))
