"""``search.enqueue`` giving a conditional name beside a parent value under which it is never
searched (``momentum`` with ``optimizer: adam``) is refused in one line: the trial dropped
the value without a word."""

from __future__ import annotations

import pytest

from nntune.config import parse_config
from nntune.config_files import read_raw
from nntune.config_overrides import _assign
from nntune.exceptions import ConfigError


def _with_enqueue(entries: str):
    raw = read_raw(None)  # the embedded default: momentum is searched when optimizer is momentum
    _assign(raw, f"search.enqueue={entries}")
    return parse_config(raw)


def test_a_value_its_condition_rules_out_is_refused():
    with pytest.raises(ConfigError) as caught:
        _with_enqueue("[{lr: 0.01, optimizer: adam, momentum: 0.9}]")
    assert str(caught.value) == ("search.enqueue[0].momentum: searched only when optimizer is momentum; this "
                                 "entry's optimizer is 'adam', so its trial would drop momentum")


def test_a_value_its_condition_allows_or_leaves_to_the_sampler_is_kept():
    cfg = _with_enqueue("[{optimizer: momentum, momentum: 0.9}, {momentum: 0.95}]")
    assert cfg.search.enqueue == [{"optimizer": "momentum", "momentum": 0.9}, {"momentum": 0.95}]


def test_the_command_refuses_it_before_anything_is_written(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", "search.enqueue=[{optimizer: sgd, momentum: 0.9}]")
    assert (code, out) == (2, "") and err.startswith("nntune: error: search.enqueue[0].momentum: searched only")
    assert not list(tmp_path.iterdir())
