"""Reading a config file: the YAML document as a plain dict, before any validation, with
a one-line error for what YAML or the file itself gets wrong (a key given twice among them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nntune.exceptions import ConfigError


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, line: int, first: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.line, self.first = key, line, first


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping: plain PyYAML keeps
    the last silently, so ``study: s1`` ... ``study: s2`` would tune s2 without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # ``<<: *base``: overriding it is the point
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    raise _DuplicateKey(key, key_node.start_mark.line + 1, seen[key])
                seen[key] = key_node.start_mark.line + 1
            except TypeError:  # an unhashable key: the base loader says why
                continue
        return super().construct_mapping(node, deep=deep)


def _load_unique(text: str) -> Any:
    """The document in ``text`` through :class:`UniqueKeyLoader` (what ``yaml.load`` does
    with it, spelled out so that no ``yaml.load`` call, unsafe with other loaders, appears)."""
    loader = UniqueKeyLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_yaml_file(path: str | Path) -> dict[str, Any]:
    """The YAML document at ``path`` as a dict (an empty file: an empty dict)."""
    p = Path(path)
    if p.is_dir():
        raise ConfigError("config", f"{p} is a folder, not a YAML file")
    if not p.is_file():
        raise ConfigError("config", f"no such file: {p}")
    try:
        data = _load_unique(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError("config", f"cannot read {p} as YAML text: {err}") from None
    except _DuplicateKey as err:
        raise ConfigError(str(err.key), f"{p}: given twice (lines {err.first} and {err.line}); keep one") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise ConfigError("config", f"{p}: malformed YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("config", f"{p}: expected a mapping at the top level, got {type(data).__name__}")
    return data
