"""A config changed before it is read: ``--trials 5``, ``--set fixed.epochs=3``, or
``nntune.tune(set={"fixed.epochs": 3})``."""

from __future__ import annotations

from typing import Any

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
    sub[key] = value


def _assign(raw: dict[str, Any], assignment: str) -> None:
    """Apply ``--set a.b.c=value``; the value is read as YAML (numbers, lists, true/false)."""
    import yaml

    path, sep, text = assignment.partition("=")
    if not sep:
        raise ConfigError("--set", f"expected KEY.PATH=VALUE, got {assignment!r}")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigError(path, f"cannot read value {text!r}") from None
    set_value(raw, path.strip(), value, field="--set")


def set_value(raw: dict[str, Any], path: str, value: Any, *, field: str = "set") -> None:
    """``raw[a][b][c] = value`` for the dotted ``path`` ``a.b.c``, making the mappings on
    the way; a non-mapping on the way is an error naming it."""
    keys = path.split(".")
    if not all(keys):
        raise ConfigError(field, f"expected KEY.PATH, got {path!r}")
    node = raw
    for i, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(".".join(keys[: i + 1]), "is not a mapping; cannot set a key inside it")
        node = child
    node[keys[-1]] = value
