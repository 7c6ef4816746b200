"""One line per bad config: pydantic's validation errors as the field and the problem."""

from __future__ import annotations

import re
from typing import Any

# How pydantic names the member of a Union a value failed (``int``, ``literal['auto']``,
# ``list[str]``): never a config key, so never shown as part of the field's name.
_UNION_MEMBER = re.compile(r"^(int|float|str|bool|none|[a-z-]+\[.*\])$")
_KINDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false",
          "none": "empty", "list": "a list", "dict": "a mapping", "tuple": "a list"}


def _kind(member: str) -> str:
    if member.startswith("literal["):
        return " or ".join(v.strip() for v in member[len("literal["):-1].split(","))
    return _KINDS.get(member.split("[", 1)[0], member)


def validation_problem(errors: list[Any]) -> tuple[str, str]:
    """The field and the problem of pydantic's first error, as one line. A value that fits
    no member of a Union (``population: abc``) is named by its field alone, with what each
    member would have taken: ``search.population``, ``expected an integer or 'auto', got 'abc'``."""
    first = errors[0]
    path = [str(p) for p in first["loc"]]
    if path and _UNION_MEMBER.match(path[-1]):
        field = path[:-1]
        members = [str(e["loc"][-1]) for e in errors
                   if [str(p) for p in e["loc"][:-1]] == field and e["loc"] and _UNION_MEMBER.match(str(e["loc"][-1]))]
        kinds = list(dict.fromkeys(_kind(m) for m in members))
        if "a number" in kinds and "an integer" in kinds:  # an integer is a number
            kinds.remove("an integer")
        return ".".join(field), f"expected {' or '.join(kinds)}, got {first.get('input')!r}"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return ".".join(path), msg[0].lower() + msg[1:] if msg else msg
