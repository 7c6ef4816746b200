"""An augmentation parameter of the wrong type is one ConfigError naming it, never a
ValueError from float() or a boolean taken for a number."""

from __future__ import annotations

import pytest

from nntune.exceptions import ConfigError
from nntune.train.augment import make_augment


@pytest.mark.parametrize("names, field, problem", [
    ([{"hflip": {"p": "abc"}}], "augment.hflip.p", "must be a number in [0, 1], got 'abc'"),
    ([{"vflip": {"p": True}}], "augment.vflip.p", "must be a number in [0, 1], got True"),
    ([{"hflip": {"p": 1.5}}], "augment.hflip.p", "must be a number in [0, 1], got 1.5"),
    ([{"random_crop": {"padding": True}}], "augment.random_crop.padding", "must be a non-negative int, got True"),
])
def test_a_parameter_of_the_wrong_type_names_itself(names: list, field: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_augment(names)
    assert (caught.value.field, caught.value.problem) == (field, problem)


def test_flip_chances_at_the_ends_of_the_range_are_taken() -> None:
    steps = make_augment([{"hflip": {"p": 0}}, {"vflip": {"p": 1}}]).steps
    assert steps == [("hflip", {"p": 0.0}), ("vflip", {"p": 1.0})]
