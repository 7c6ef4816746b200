"""A bad Optuna distribution in ``--search-space`` is named by the key the user wrote."""

from __future__ import annotations

import json

import pytest

from nntune.cli_ask_inputs import parse_search_space
from nntune.exceptions import ConfigError


@pytest.mark.parametrize("choices", [[[1, 2], 3], []])
def test_a_bad_categorical_names_its_choices(choices):
    doc = {"x": {"name": "CategoricalDistribution", "attributes": {"choices": choices}}}
    with pytest.raises(ConfigError) as err:
        parse_search_space(json.dumps(doc))
    assert err.value.field == "--search-space.x.attributes.choices"


def test_a_repeated_choice_is_taken_with_a_warning_as_optuna_takes_it():
    doc = {"x": {"name": "CategoricalDistribution", "attributes": {"choices": [1, 1]}}}
    with pytest.warns(UserWarning, match="repeat"):
        parse_search_space(json.dumps(doc))
