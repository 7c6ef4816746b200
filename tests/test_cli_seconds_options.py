"""Limits in seconds (and the config's other positive limits): NaN, an infinity, zero or a
negative value is one line naming the field and the value, exit code 2, nothing written.
NaN was once refused as "input should be greater than 0", and an infinity ran the search."""

from __future__ import annotations

from pathlib import Path

import pytest

from nntune.config import parse_config
from nntune.exceptions import ConfigError


@pytest.mark.parametrize("flag, field", [("--timeout", "search.timeout"), ("--trial-timeout", "search.trial_timeout")])
@pytest.mark.parametrize("value, problem", [
    ("nan", "must be a number > 0, got nan"),
    ("inf", "must be a finite number > 0, got inf; leave it out for no limit"),
    ("-inf", "must be a finite number > 0, got -inf"),
    ("-1", "must be a number > 0, got -1"),
    ("0", "must be a number > 0, got 0"),
])
def test_tune_refuses_a_limit_in_seconds_that_is_no_number_of_seconds(call_cli, tmp_path: Path, flag, field,
                                                                         value, problem):
    code, out, err = call_cli("tune", flag, value, "--set", "task.data=iris", "--trials", "1",
                              "--storage", "sqlite:///t.db")
    assert code == 2, err
    assert err == f"nntune: error: {field}: {problem}\n"
    assert not out
    assert not list(tmp_path.iterdir())  # no study, no report, no checkpoint folder


@pytest.mark.parametrize("section, key", [("search", "timeout"), ("search", "trial_timeout"), ("resources", "cpus"),
                                          ("resources", "memory_mb"), ("checkpoints", "max_disk_mb")])
@pytest.mark.parametrize("value, words", [(float("nan"), "got nan"), (float("inf"), "got inf"), (-2.5, "got -2.5")])
def test_every_positive_limit_in_the_config_names_a_bad_value(section, key, value, words):
    with pytest.raises(ConfigError) as info:
        parse_config({"storage": "sqlite:///t.db", section: {key: value}})
    assert info.value.field == f"{section}.{key}"
    assert words in info.value.problem and "\n" not in str(info.value)


def test_finite_positive_limits_are_taken():
    cfg = parse_config({"storage": "sqlite:///t.db", "search": {"timeout": 2.5, "trial_timeout": 3},
                        "resources": {"cpus": 0.5, "memory_mb": 512}, "checkpoints": {"max_disk_mb": 100}})
    assert (cfg.search.timeout, cfg.search.trial_timeout) == (2.5, 3.0)
    assert (cfg.resources.cpus, cfg.resources.memory_mb, cfg.checkpoints.max_disk_mb) == (0.5, 512.0, 100.0)
    assert parse_config({}).search.timeout is None
