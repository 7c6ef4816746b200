"""One line per bad config: pydantic's validation errors as the field and the problem."""

from __future__ import annotations

import re
import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

# How pydantic names the member of a Union a value failed (``int``, ``literal['auto']``,
# ``list[str]``): never a config key, so never shown as part of the field's name.
_UNION_MEMBER = re.compile(r"^(int|float|str|bool|none|[a-z-]+\[.*\]|[A-Z][A-Za-z]*Config)$")
# A settings model that is one member of a Union (``search.terminator: true | {...}``).
_MODEL_MEMBER = re.compile(r"^[A-Z][A-Za-z]*Config$")
_KINDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false",
          "none": "empty", "list": "a list", "dict": "a mapping", "tuple": "a list"}


def _kind(member: str) -> str:
    if _MODEL_MEMBER.match(member):
        return "a mapping"
    if member.startswith("literal["):
        return " or ".join(v.strip() for v in member[len("literal["):-1].split(","))
    return _KINDS.get(member.split("[", 1)[0], member)


def _inside_models(errors: list[Any]) -> list[Any]:
    """The errors found inside a Union's settings model, with the model's name dropped from
    their path: a mapping given for ``search.terminator`` was meant for its settings, so
    ``search.terminator.improvement``'s problem is the one to show, not that it is no bool."""
    out = []
    for e in errors:
        loc = [str(p) for p in e["loc"]]
        at = next((i for i, p in enumerate(loc) if _MODEL_MEMBER.match(p)), None)
        if at is not None and len(loc) > at + 1:
            out.append({**e, "loc": tuple(loc[:at] + loc[at + 1:])})
    return out


def validation_problem(errors: list[Any]) -> tuple[str, str]:
    """The field and the problem of pydantic's first error, as one line. A value that fits
    no member of a Union (``population: abc``) is named by its field alone, with what each
    member would have taken: ``search.population``, ``expected an integer or 'auto', got 'abc'``."""
    inside = _inside_models(errors)
    errors = inside or errors
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


def _number_kind(annotation: Any) -> str | None:
    """``an integer`` or ``a number`` when ``annotation`` takes numbers but no bool, else None."""
    if annotation is bool or annotation is Any:
        return None
    if annotation is int:
        return "an integer"
    if annotation is float:
        return "a number"
    if get_origin(annotation) in (Union, types.UnionType):
        members = get_args(annotation)
        if bool in members or Any in members:
            return None
        kinds = [k for k in map(_number_kind, members) if k]
        if not kinds:
            return None
        words = ["a number" if "a number" in kinds else "an integer"]
        words += [str(v) for m in members if get_origin(m) is Literal for v in get_args(m)]
        return " or ".join(words)
    return None


def bool_where_number(annotation: Any, value: Any) -> str | None:
    """The problem when a YAML ``true``/``false`` stands where a number is wanted (pydantic
    would read it as 1 or 0: ``trials: true`` as one trial), or None. Lists are looked into."""
    if isinstance(value, bool):
        kind = _number_kind(annotation)
        return f"expected {kind}, got {str(value).lower()}" if kind else None
    if isinstance(value, list) and get_origin(annotation) is list:
        (item,) = get_args(annotation) or (Any,)
        for i, v in enumerate(value):
            problem = bool_where_number(item, v)
            if problem:
                return f"item {i}: {problem}"
    return None


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, and a bool is never taken for a number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_number(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is not None:
            problem = bool_where_number(cls.model_fields[info.field_name].annotation, value)
            if problem:
                raise ValueError(problem)
        return value
