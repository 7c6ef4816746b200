"""Reading a config file (or the embedded default): the YAML document as a plain dict, before
any validation, with a one-line error for what YAML or the file itself gets wrong (a key given
twice among them)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from nntune.exceptions import ConfigError

# YAML 1.2's numbers with an exponent and no dot or no exponent sign (``1e-3``, ``3E5``,
# ``1.5e3``): PyYAML follows YAML 1.1, which reads them as text, so ``lr: 1e-3`` would be
# the string '1e-3' where every other YAML reader, JSON and Python give a float.
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, path: str, first: yaml.Mark, again: yaml.Mark) -> None:
        super().__init__(f"duplicate key {path!r}")
        self.path = path
        # Both on one line (a flow mapping, ``{lr: 1, lr: 2}``): the columns tell them apart.
        self.where = (f"lines {first.line + 1} and {again.line + 1}" if first.line != again.line else
                      f"line {first.line + 1}, columns {first.column + 1} and {again.column + 1}")


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader reading ``1e-3`` as a number, as YAML 1.2 does, and refusing a
    key given twice in one mapping: plain PyYAML keeps the last silently, so ``study: s1``
    ... ``study: s2`` would tune s2 without a word."""


UniqueKeyLoader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789."))


def _key_text(node: yaml.Node) -> str | None:
    """A scalar key as the config names it (None for a merge key or a non-scalar key)."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:merge":
        return None
    return str(node.value)


def _check_unique(node: yaml.Node, path: tuple[str, ...], seen: set[int]) -> None:
    """Refuse a key given twice in any mapping under ``node``, naming it by its dotted path
    (``task.data``), with the lines of both. Aliased nodes are looked at once."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        marks: dict[str, yaml.Mark] = {}
        for key_node, value_node in node.value:
            key = _key_text(key_node)  # ``<<: *base`` is none: overriding its keys is the point
            if key is not None:
                if key in marks:
                    raise _DuplicateKey(".".join((*path, key)), marks[key], key_node.start_mark)
                marks[key] = key_node.start_mark
            _check_unique(value_node, (*path, key) if key is not None else path, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_unique(item, (*path[:-1], f"{path[-1]}[{i}]") if path else (f"[{i}]",), seen)


def load_yaml_text(text: str) -> Any:
    """The document in ``text`` through :class:`UniqueKeyLoader` (what ``yaml.load`` does
    with it, spelled out so that no ``yaml.load`` call, unsafe with other loaders, appears)."""
    loader = UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_unique(node, (), set())
        return loader.construct_document(node)
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
        data = load_yaml_text(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError("config", f"cannot read {p} as YAML text: {err}") from None
    except _DuplicateKey as err:
        raise ConfigError(err.path, f"{p}: given twice ({err.where}); keep one") from None
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


DEFAULT_YAML = """\
study: digits-mlp
storage: sqlite:///nntune.db
task:
  data: digits
  split: [0.6, 0.2, 0.2]
  model: mlp
  metric: accuracy
  direction: maximize
search:
  sampler: random
  trials: 20
  seed: 0
space:
  # The notes' order of tuning: the learning rate first; then momentum, the mini-batch size
  # and the hidden units; then the layers and the learning-rate decay. Adam's beta1, beta2
  # and eps stay at their defaults (0.9, 0.999, 1e-8).
  lr: {type: float, low: 1.0e-4, high: 1.0, log: true}
  optimizer: {type: choice, values: [sgd, momentum, adam, rmsprop, adagrad]}
  momentum: {type: beta, low: 0.8, high: 0.99, when: {optimizer: [momentum]}}
  batch_size: {type: choice, values: [32, 64, 128, 256]}
  units: {type: int, low: 16, high: 512, log: true}
  layers: {type: int, low: 1, high: 4}
  lr_schedule: {type: choice, values: [constant, cosine]}
fixed:
  epochs: 30
"""


def read_raw(path: str | Path | None) -> dict[str, Any]:
    """The YAML document at ``path`` as a dict (``None``: the embedded default). An empty
    path (an unset shell variable, ``nntune tune "$CFG"``) is refused: as a Path it would be
    ".", the current folder, and the error would speak of a folder never named."""
    if path is None:
        return _without_default_direction(dict(load_yaml_text(DEFAULT_YAML)))
    if isinstance(path, str) and not path:
        raise ConfigError("config", "must not be empty; give a YAML file, or leave the argument out")
    return read_yaml_file(path)


def _without_default_direction(raw: dict[str, Any]) -> dict[str, Any]:
    """The embedded default with its ``task.direction`` left out: it is only accuracy's own
    direction, written out to be read, so a metric set in its place (``task.metric=rmse``)
    is optimized in that metric's own direction, not told to drop a direction never set."""
    task = raw.get("task")
    if isinstance(task, dict):
        raw["task"] = {k: v for k, v in task.items() if k != "direction"}
    return raw
