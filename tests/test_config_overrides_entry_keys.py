"""``--set space.NAME.KEY=...`` reaches inside a space entry: its condition
(``space.momentum.when.optimizer``) and a new entry built one key at a time
(``space.dropout.type``), not a hyperparameter named ``momentum.when`` or ``dropout.type``."""

from __future__ import annotations

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
