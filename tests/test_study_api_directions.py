"""``create_study(directions=...)`` given one string instead of a list."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError


def test_directions_as_one_string_is_refused_naming_the_list_it_needs():
    with pytest.raises(ConfigError, match=r"^directions: must be a list, one direction per objective, "
                                          r"such as \['maximize'\], got 'maximize'$"):
        nntune.create_study(directions="maximize")
