"""The controls of a dashboard started with ``--allow-control``: a trial's change, stop and
fork, the same rows in storage as ``nntune trial set|stop|fork`` (a refused request writes
nothing), and a study's deletion, as ``nntune delete-study --yes``."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from nntune.changes import parse_value
from nntune.control import effect_note, set_trial_params, stop_note, stop_trial
from nntune.exceptions import ConfigError
from nntune.storage import Storage, StudyRecord, redact_url
from nntune.studies import checkpoints_left

QUERY_KEYS = frozenset({"study", "number", "action", "epoch", "token"})


def changes_of(action: str, query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The NAME=VALUE changes of a request (every query parameter but the request's own),
    refused where the action would not use them: a stop takes none, and only a fork starts
    from an epoch (a change applies from the trial's next one). A name given twice is refused
    as everywhere else in the API, not settled by its last value."""
    names = [k for k in query if k not in QUERY_KEYS]
    for name in names:
        if len(query[name]) > 1:
            raise ConfigError(name, "given more than once")
    if action == "stop" and names:
        raise ConfigError(names[0], "a stop takes no changes (change a trial with action=set, or fork it)")
    if action == "set" and "epoch" in query:
        raise ConfigError("epoch", "only a fork starts from an epoch; a change applies from the trial's next epoch")
    return {k: parse_value(k, query[k][0]) for k in names}


def act(store: Storage, rec: StudyRecord, number: int, action: str,
        query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Carry out ``action`` on trial ``number``; every other query parameter is a NAME=VALUE."""
    values = changes_of(action, query)
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
        if not (text.isascii() and text.isdigit()):  # "²" is a digit to str.isdigit, not to int()
            raise ConfigError("epoch", f"must be a whole number, got {text!r}")
        try:
            child = queue_fork(load_study(rec.name, store), babysit_config(rec), number, int(text), values)
        except ConfigError as err:
            # The CLI's --from-epoch is this request's epoch: the error names what the page sent.
            if err.field != "from_epoch":
                raise
            raise ConfigError("epoch", err.problem) from None
        # The storage named too (redacted, as the command line prints it): without it the
        # command would look for the study in the default sqlite:///nntune.db.
        return {"forked": child, "note": f"queued; train it with: nntune babysit --resume --study {shlex.quote(rec.name)} "
                                         f"--trial {child} --storage {shlex.quote(redact_url(store.url))}"}
    raise ConfigError("action", f"unknown {action!r}; choose from set, stop, fork")


def delete(store: Storage, name: str) -> dict[str, Any]:
    """Delete study ``name`` (an unknown one raises StudyNotFoundError) and name the folders of
    its checkpoints: they stay on disk, as ``nntune delete-study`` says, since files outside the
    storage may be kept on purpose."""
    rec = store.load_study(name)
    store.delete_study(name)
    left = [] if rec is None else [str(f) for f in checkpoints_left(rec)]
    note = f"deleted study {name}"
    if left:
        note += (f"; its checkpoints stay in {', '.join(left)} "
                 f"(remove the folder{'s' if len(left) > 1 else ''} when they are no longer needed)")
    return {"deleted": name, "checkpoints_left": left, "note": note}
