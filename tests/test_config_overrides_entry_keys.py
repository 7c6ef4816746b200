"""``--set space.NAME.KEY=...`` reaches inside a space entry: its condition
(``space.momentum.when.optimizer``) and a new entry built one key at a time
(``space.dropout.type``), not a hyperparameter named ``momentum.when`` or ``dropout.type``;
and ``--set space.NAME=null`` takes a name out of the search, so that it can be pinned."""

from __future__ import annotations

import pytest

from nntune.config import parse_config
from nntune.config_files import read_raw
from nntune.config_overrides import _assign, set_value


def test_a_condition_of_a_searched_name_is_set_inside_its_entry() -> None:
    raw = read_raw(None)  # the embedded default, as `nntune tune --set ...` starts from
    _assign(raw, "space.optimizer.values=[sgd, momentum, nesterov]")
    _assign(raw, "space.momentum.when.optimizer=[momentum, nesterov]")
    assert raw["space"]["momentum"]["when"] == {"optimizer": ["momentum", "nesterov"]}
    assert parse_config(raw).space["momentum"].when == {"optimizer": ["momentum", "nesterov"]}


def test_a_new_entry_is_built_one_key_at_a_time() -> None:
    raw = read_raw(None)  # the embedded default, as `nntune tune --set ...` starts from
    for assignment in ("space.dropout.type=float", "space.dropout.low=0", "space.dropout.high=0.5"):
        _assign(raw, assignment)
    spec = parse_config(raw).space["dropout"]
    assert (spec.type, spec.low, spec.high) == ("float", 0, 0.5)


def test_a_dotted_name_not_held_yet_ends_where_its_entry_s_keys_start() -> None:
    raw: dict = {"space": {}}
    set_value(raw, "space.rotation.degrees.type", "float")
    set_value(raw, "space.rotation.degrees.high", 30)
    set_value(raw, "space.hflip.p", {"type": "float", "low": 0, "high": 1})  # a whole entry, as before
    assert raw["space"] == {"rotation.degrees": {"type": "float", "high": 30},
                            "hflip.p": {"type": "float", "low": 0, "high": 1}}


def test_null_takes_a_searched_name_out_so_that_it_can_be_pinned() -> None:
    # The embedded default searches units: --set fixed.units=64 alone is refused (it would
    # be in both places), and no --set could take it out of the space.
    raw = read_raw(None)
    _assign(raw, "space.units=null")
    _assign(raw, "fixed.units=64")
    cfg = parse_config(raw)
    assert "units" not in cfg.space and cfg.fixed["units"] == 64
    _assign(raw, "fixed.units=null")  # back to the trainer's default
    assert "units" not in parse_config(raw).fixed


def test_pinning_a_searched_name_alone_says_how(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--dry-run", "--set", "fixed.units=64")
    assert (code, out) == (2, "")
    assert err == ("nntune: error: fixed.units: is also in space; give it in one place (--set space.units=null "
                   "takes it out of the search)\n")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("assignment, line", [
    ("space.lrr=null", "space.lrr: is not in space, and null takes out only a name it holds; did you mean 'lr'?"),
    ("fixed.epoch=null", "fixed.epoch: is not in fixed, and null takes out only a name it holds; "
                         "did you mean 'epochs'?"),
])
def test_null_for_a_name_that_is_no_hyperparameter_is_refused(call_cli, tmp_path, monkeypatch, assignment, line):
    # A misspelt name once took nothing out and said nothing: lr stayed searched.
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--dry-run", "--set", assignment)
    assert (code, out, err) == (2, "", f"nntune: error: {line}\n")
    assert not list(tmp_path.iterdir())


def test_null_for_a_hyperparameter_the_section_lacks_still_changes_nothing() -> None:
    raw = read_raw(None)
    _assign(raw, "space.units=null")
    _assign(raw, "space.units=null")  # said again: nothing left to take out, no error
    _assign(raw, "fixed.weight_decay=null")  # the trainer's default already
    _assign(raw, "space.hflip.p=null")  # an augmentation's parameter is a name too
    assert "units" not in parse_config(raw).space
