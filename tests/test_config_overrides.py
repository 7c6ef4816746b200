"""``--set`` and ``nntune.tune(set=...)``: a config changed before it is read."""

from __future__ import annotations

import pytest

from nntune.config import parse_config
from nntune.config_files import load_yaml_text
from nntune.config_overrides import _assign, _override, set_value
from nntune.exceptions import ConfigError

SHARED = ("space:\n"
          "  lr: &range {type: float, low: 1.0e-4, high: 1.0e-1, log: true}\n"
          "  lr_min: *range\n"
          "search: &search {trials: 3}\n"
          "fixed: {epochs: 1}\n")


def test_setting_inside_an_aliased_mapping_changes_that_name_alone():
    raw = load_yaml_text(SHARED)
    _assign(raw, "space.lr.low=1e-2")
    cfg = parse_config(raw)
    assert (cfg.space["lr"].low, cfg.space["lr_min"].low) == (1e-2, 1e-4)


def test_a_flag_copies_the_section_it_sets():
    raw = load_yaml_text(SHARED + "other: *search\n")
    _override(raw, "search", "trials", 9)
    assert raw["search"] == {"trials": 9} and raw["other"] == {"trials": 3}


def test_set_reads_numbers_as_a_config_file_does_and_names_a_non_mapping():
    raw: dict = {}
    _assign(raw, "fixed.lr=3e-4")
    assert raw == {"fixed": {"lr": 3e-4}}
    set_value(raw, "study", "s")
    with pytest.raises(ConfigError, match=r"^study: is not a mapping; cannot set a key inside it$"):
        set_value(raw, "study.name", "t")
