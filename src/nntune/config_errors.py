"""One line per bad config: pydantic's validation errors as the field and the problem."""

from __future__ import annotations

import difflib
import math
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, field_validator

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
        loc = list(e["loc"])
        at = next((i for i, p in enumerate(loc) if _MODEL_MEMBER.match(str(p))), None)
        if at is not None and len(loc) > at + 1:
            out.append({**e, "loc": tuple(loc[:at] + loc[at + 1:])})
    return out


def _inside_matching_member(errors: list[Any], field: list[Any], value: Any) -> list[Any]:
    """The errors inside the Union member of ``field`` that has the shape of ``value`` (a list's
    for a list, a mapping's for a mapping), with the member's name dropped from their path."""
    shape = "list[" if isinstance(value, list) else "dict[" if isinstance(value, dict) else None
    n = len(field)
    return [{**e, "loc": (*field, *e["loc"][n + 1:])} for e in errors
            if shape and len(e["loc"]) > n + 1 and list(e["loc"][:n]) == field and str(e["loc"][n]).startswith(shape)]


def _dotted(loc: Any) -> str:
    """A field's path as the config's errors write it: ``search.enqueue[1].lr``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


# pydantic's errors for a value of the wrong shape, as the kind the field takes.
_SHAPES = {"model_type": "a mapping", "dict_type": "a mapping", "list_type": "a list"}


def _section_path(model: type[BaseModel] | None, path: list[str]) -> type[BaseModel] | None:
    """The settings model at ``path`` below ``model`` (``["space", "lr"]``: a parameter's),
    through Unions holding one and mappings of them, whose own keys (``lr``) are skipped;
    None where there is none."""
    here = model
    i = 0
    while here is not None and i < len(path):
        annotation: Any = here.model_fields[path[i]].annotation if path[i] in here.model_fields else None
        if annotation is None:
            return None
        i += 1
        annotation = _model_member(annotation)
        if get_origin(annotation) is dict:  # ``space: {lr: {...}}``: the next key is a name
            i += 1
            annotation = _model_member(get_args(annotation)[1])
        here = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return here


def _model_member(annotation: Any) -> Any:
    """A Union's settings model or mapping (``bool | TerminatorConfig``: the model), else as given."""
    if get_origin(annotation) in (Union, types.UnionType):
        return next((m for m in get_args(annotation) if get_origin(m) is dict
                     or isinstance(m, type) and issubclass(m, BaseModel)), annotation)
    return annotation


def did_you_mean(word: str, known: Any) -> str:
    """``; did you mean 'trials'?`` for a name close to one of ``known``, else nothing."""
    close = difflib.get_close_matches(word, sorted(map(str, known)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _top_level_hint(word: str, model: type[BaseModel]) -> str:
    """Where an unknown top-level key belongs: a hyperparameter (``lr``) in ``fixed`` or
    ``space``, a section's own key (``trials``, or ``trails`` misspelt) under its section
    (``search.trials``); nothing when it is none of them."""
    from nntune.config import is_hyperparameter

    if is_hyperparameter(word) and {"fixed", "space"} <= set(model.model_fields):
        return f"; a hyperparameter goes in fixed (one value for every trial) or space (searched): " \
               f"fixed.{word} or space.{word}"
    dotted = {f"{name}.{key}": key for name in model.model_fields
              for section in [_section_path(model, [name])] if section is not None for key in section.model_fields}
    keys = {key for key in dotted.values()}
    close = difflib.get_close_matches(word, sorted(keys | set(model.model_fields)), n=1, cutoff=0.6)
    if not close or close[0] in model.model_fields:
        return ""
    where = sorted(path for path, key in dotted.items() if key == close[0])
    return f"; did you mean {' or '.join(repr(w) for w in where)}?"


def _unknown_first(errors: list[Any]) -> list[Any]:
    """An unknown key before the required field it leaves missing: ``typ: float`` is the
    mistake, the missing ``type`` only its consequence."""
    return sorted(errors, key=lambda e: e["type"] != "extra_forbidden")


def validation_problem(errors: list[Any], model: type[BaseModel] | None = None) -> tuple[str, str]:
    """The field and the problem of pydantic's first error, as one line. A value that fits
    no member of a Union (``population: abc``) is named by its field alone, with what each
    member would have taken: ``search.population``, ``expected an integer or 'auto', got 'abc'``.
    An unknown key says which key of ``model``'s section it may be a misspelling of."""
    inside = _inside_models(errors)
    errors = _unknown_first(inside or errors)
    first = errors[0]
    loc = list(first["loc"])
    path = [str(p) for p in loc]
    # An unknown key spelt like a member's name (``enqueue[0]``, from --set) is a key still.
    if path and _UNION_MEMBER.match(path[-1]) and first["type"] != "extra_forbidden":
        inner = _inside_matching_member(errors, loc[:-1], first.get("input"))
        if inner:  # ``metric: [accuracy, 5]``: the list's item is wrong, not that it is no string
            return validation_problem(inner, model)
        field = path[:-1]
        members = [str(e["loc"][-1]) for e in errors
                   if [str(p) for p in e["loc"][:-1]] == field and e["loc"] and _UNION_MEMBER.match(str(e["loc"][-1]))]
        kinds = list(dict.fromkeys(_kind(m) for m in members))
        if "a number" in kinds and "an integer" in kinds:  # an integer is a number
            kinds.remove("an integer")
        return _dotted(loc[:-1]), f"expected {' or '.join(kinds)}, got {first.get('input')!r}"
    if path and path[-1] == "[key]":  # ``1: {...}`` in a mapping of names
        return _dotted(loc[:-2]), f"key {loc[-2]!r} is not a name; write it as text"
    if first["type"] in _SHAPES:
        return _dotted(loc), f"expected {_SHAPES[first['type']]}, got {first.get('input')!r}"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        section = _section_path(model, path[:-1])
        hint = did_you_mean(path[-1], section.model_fields) if section is not None else ""
        if len(path) == 1 and model is not None:  # a top-level slip may be a section's key
            hint = _top_level_hint(path[0], model) or hint
        msg = "unknown key" + hint
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return _dotted(loc), msg[0].lower() + msg[1:] if msg else msg


def _number_kind(annotation: Any) -> str | None:
    """``an integer`` or ``a number`` when ``annotation`` takes numbers but no bool, else None."""
    if annotation is bool or annotation is Any:
        return None
    if get_origin(annotation) is Annotated:  # ``FiniteAboveZero``: a float with a check
        return _number_kind(get_args(annotation)[0])
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


def finite_above_zero_problem(value: float) -> str | None:
    """What is wrong with ``value`` for a size or a limit in seconds (``search.timeout``,
    ``resources.memory_mb``), or None. NaN fails every comparison, so pydantic's own ``gt=0``
    said only "greater than 0" of it; an infinite limit is no limit, which leaving the
    field out already says."""
    if math.isnan(value):
        return "must be a number > 0, got nan"
    if math.isinf(value):
        return f"must be a finite number > 0, got {value:g}" + ("; leave it out for no limit" if value > 0 else "")
    return None if value > 0 else f"must be a number > 0, got {value:g}"


def _finite_above_zero(value: float) -> float:
    problem = finite_above_zero_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# A positive, finite float: a config's limits and sizes (seconds, megabytes, cores).
FiniteAboveZero = Annotated[float, AfterValidator(_finite_above_zero)]


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
