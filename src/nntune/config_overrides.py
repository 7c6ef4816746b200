"""A config changed before it is read: ``--trials 5``, ``--set fixed.epochs=3``, or
``nntune.tune(set={"fixed.epochs": 3})``."""

from __future__ import annotations

from typing import Any

from nntune.config_files import load_yaml_text
from nntune.exceptions import ConfigError


def _override(raw: dict[str, Any], section: str | None, key: str, value: Any) -> None:
    if value is None:
        return
    if section is None:
        raw[key] = value
        return
    sub = raw.setdefault(section, {})
    if not isinstance(sub, dict):
        raise ConfigError(section, "must be a mapping")
    raw[section] = {**sub, key: value}  # a copy: a YAML alias (``*base``) shares the mapping


def _assign(raw: dict[str, Any], assignment: str) -> None:
    """Apply ``--set a.b.c=value``; the value is read as the config file's YAML is (numbers,
    ``1e-3`` too, lists, true/false)."""
    import yaml

    path, sep, text = assignment.partition("=")
    if not sep:
        raise ConfigError("--set", f"expected KEY.PATH=VALUE, got {assignment!r}")
    try:
        value = load_yaml_text(text)
    except yaml.YAMLError:
        raise ConfigError(path, f"cannot read value {text!r}") from None
    set_value(raw, path.strip(), value, field="--set")


def set_value(raw: dict[str, Any], path: str, value: Any, *, field: str = "set") -> None:
    """``raw[a][b][c] = value`` for the dotted ``path`` ``a.b.c``, making the mappings on
    the way; a non-mapping on the way is an error naming it. ``None`` (``null``) for a name
    of ``space`` or ``fixed`` removes that name. The mappings on the way are
    copied first: one a YAML alias shares (``lr_min: *lr``) must not change with it."""
    keys = path.split(".")
    if not all(keys):
        raise ConfigError(field, f"expected KEY.PATH, got {path!r}")
    keys = _named(raw, keys)
    if value is None and len(keys) == 2 and keys[0] in ("space", "fixed"):
        # ``space.units=null`` takes the name out of the search (so that ``fixed.units=64``
        # may pin it), ``fixed.lr=null`` hands it back to the trainer's default: a name set
        # to nothing in those sections is no name at all.
        section = raw.get(keys[0])
        held = section if isinstance(section, dict) else {}
        if keys[1] not in held:
            _check_removable(keys[0], keys[1], held)
        if isinstance(section, dict):
            raw[keys[0]] = {k: v for k, v in section.items() if k != keys[1]}
        return
    node = raw
    for i, key in enumerate(keys[:-1]):
        child = node.get(key, {})
        if not isinstance(child, dict):
            raise ConfigError(".".join(keys[: i + 1]), "is not a mapping; cannot set a key inside it")
        node[key] = child = dict(child)
        node = child
    node[keys[-1]] = value


def _check_removable(section: str, name: str, held: dict[str, Any]) -> None:
    """Taking out a name the section does not hold changes nothing: fine for a
    hyperparameter (``space.units=null`` said again, or of a config that fixes it), but a
    name that is none (``space.lrr=null``) is a slip that would leave ``lr`` searched
    without a word."""
    from nntune.config import HYPERPARAMETERS, is_hyperparameter
    from nntune.config_errors import did_you_mean

    if not is_hyperparameter(name):
        raise ConfigError(f"{section}.{name}", f"is not in {section}, and null takes out only a name it holds"
                                               f"{did_you_mean(name, {*held, *HYPERPARAMETERS})}")


# The keys of one ``space`` entry (:class:`nntune.config_space.ParamSpec`'s fields): a dotted
# path reaching one of them goes inside the entry, never into a hyperparameter's name.
SPEC_KEYS = frozenset({"type", "low", "high", "log", "step", "values", "when", "prior"})


def _named(raw: dict[str, Any], keys: list[str]) -> list[str]:
    """``keys`` with a hyperparameter's own dots kept in one key: ``fixed.hflip.p`` sets the
    name ``hflip.p`` (an augmentation's parameter), ``space.hflip.p.high`` the ``high`` of
    the searched ``hflip.p`` when the space holds that name, else ``space.rotation.degrees``
    is a whole name. Under ``space`` the longest name the space holds owns the keys after it
    (``space.momentum.when.optimizer``: the condition of ``momentum``), and a name it does
    not hold yet ends where an entry's key starts (``space.dropout.type``: a new entry built
    one key at a time)."""
    if len(keys) <= 2 or keys[0] not in ("fixed", "space"):
        return keys
    rest = keys[1:]
    if keys[0] == "space":
        space = raw.get("space")
        held = space if isinstance(space, dict) else {}
        for end in range(len(rest) - 1, 0, -1):  # the longest held name first: hflip.p over hflip
            if ".".join(rest[:end]) in held:
                return ["space", ".".join(rest[:end]), *rest[end:]]
        for end in range(1, len(rest)):
            if rest[end] in SPEC_KEYS:
                return ["space", ".".join(rest[:end]), *rest[end:]]
    return [keys[0], ".".join(rest)]


def asks_worker_processes(raw: Any) -> bool:
    """Whether a raw config, before it is parsed, plainly asks for several local worker
    processes (``search.workers`` an integer above 1 under the local or population executor):
    read early only to start the workers' fork server ahead of time, so that a config it
    misreads costs nothing but that head start."""
    search = raw.get("search") if isinstance(raw, dict) else None
    if not isinstance(search, dict):
        return False
    workers = search.get("workers")
    return (isinstance(workers, int) and not isinstance(workers, bool) and workers > 1
            and search.get("executor", "local") in ("local", "population"))
