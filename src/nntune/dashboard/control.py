"""The trial controls of a dashboard started with ``--allow-control``: change, stop, fork.
The same rows in storage as ``nntune trial set|stop|fork``; a refused request writes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nntune.changes import parse_value
from nntune.control import effect_note, set_trial_params, stop_note, stop_trial
from nntune.exceptions import ConfigError
from nntune.storage import Storage, StudyRecord

QUERY_KEYS = frozenset({"study", "number", "action", "epoch", "token"})


def act(store: Storage, rec: StudyRecord, number: int, action: str,
        query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Carry out ``action`` on trial ``number``; every other query parameter is a NAME=VALUE."""
    values = {k: parse_value(k, v[-1]) for k, v in query.items() if k not in QUERY_KEYS}
    if action == "set":
        added = set_trial_params(store, rec.id, rec.name, number, values)
        return {"changes": [{"param": c.param, "new": c.new} for c in added],
                "note": f"trial {number}: {', '.join(c.param for c in added)} {effect_note(rec.attrs)}"}
    if action == "stop":
        stop = stop_trial(store, rec.id, rec.name, number)
        return {"stopping": number, "note": f"trial {number} {stop_note(stop, rec.attrs)}"}
    if action == "fork":
        from nntune.panda import babysit_config, queue_fork
        from nntune.study import load_study

        text = (query.get("epoch") or [""])[-1]
        if not text.isdigit():
            raise ConfigError("epoch", f"must be a whole number, got {text!r}")
        child = queue_fork(load_study(rec.name, store), babysit_config(rec), number, int(text), values)
        return {"forked": child, "note": f"queued; train it with: nntune babysit --resume --study {rec.name} "
                                         f"--trial {child}"}
    raise ConfigError("action", f"unknown {action!r}; choose from set, stop, fork")
