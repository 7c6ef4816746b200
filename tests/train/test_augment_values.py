"""An augmentation parameter of the wrong type is one ConfigError naming it, never a
ValueError from float() or a boolean taken for a number."""

from __future__ import annotations

import pytest

from nntune.exceptions import ConfigError
from nntune.train.augment import check_parameter, make_augment


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


@pytest.mark.parametrize("names, name, values, field, problem", [
    (["hflip"], "vflip.p", [("", 0.3)], "space.vflip.p",
     "task.augment holds hflip; vflip.p would change nothing (add vflip to task.augment)"),
    ([], "rotation.degrees", [("", 5)], "space.rotation.degrees",
     "task.augment is empty; rotation.degrees would change nothing (add rotation to task.augment)"),
    (["rotation"], "rotation.angle", [("", 5)], "space.rotation.angle",
     "rotation has no parameter 'angle'; known: ['degrees']"),
    (["cifar10_train"], "hflip.p", [(".low", 0.0), (".high", 2.0)], "space.hflip.p.high",
     "must be a number in [0, 1], got 2.0"),
    (["random_crop"], "random_crop.padding", [(".low", 0.0)], "space.random_crop.padding.low",
     "must be a non-negative int, got 0.0"),
    (["zoom"], "hflip.p", [("", 1)], "task.augment[0]", "unknown augmentation 'zoom'"),
    (["hflip"], "optimizer.betas", [("", 1)], "space.optimizer.betas",
     "unknown name; a dotted name is an augmentation's parameter, and 'optimizer' is no augmentation"),
])
def test_a_searched_parameter_is_checked_against_the_task_augmentation(names: list, name: str, values: list,
                                                                      field: str, problem: str) -> None:
    """What a search may draw for an augmentation parameter, refused before any trial runs:
    a parameter of an augmentation the task does not apply, or an end of its range that
    every trial drawing near it would fail on."""
    with pytest.raises(ConfigError) as caught:
        check_parameter(names, name, values, field.rsplit(".", 1)[0] if field.endswith((".low", ".high")) else field)
    assert caught.value.field == field and caught.value.problem.startswith(problem), str(caught.value)
    check_parameter(["cifar10_train"], "hflip.p", [(".low", 0.0), (".high", 1.0)], "space.hflip.p")  # fine
