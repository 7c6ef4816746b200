"""What ``nntune ask``, ``tell`` and ``create-study`` read from the command line, as pure
functions tested on their own: a search space (Optuna's distribution JSON or nntune's space
shape, JSON or YAML, inline or in a file), a sampler by Optuna's class name or nntune's
config name with its keyword arguments, the values and state a trial is told with, and
the storage that Optuna's ``--storage-class`` names.

Every problem is a :class:`ConfigError` naming the option, raised before anything is
written. Nothing here loads torch or scikit-learn: an ask must start in under a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nntune.exceptions import ConfigError

if TYPE_CHECKING:
    from nntune.samplers import Sampler
    from nntune.space import Distribution, Space
    from nntune.trial import FrozenTrial, TrialState

# Optuna's distribution names (its JSON's "name") with the attributes each takes: required, optional.
OPTUNA_DISTRIBUTIONS = {
    "FloatDistribution": (("low", "high"), ("log", "step")),
    "IntDistribution": (("low", "high"), ("log", "step")),
    "CategoricalDistribution": (("choices",), ()),
    "UniformDistribution": (("low", "high"), ()),
    "LogUniformDistribution": (("low", "high"), ()),
    "DiscreteUniformDistribution": (("low", "high", "q"), ()),
    "IntUniformDistribution": (("low", "high"), ("step",)),
    "IntLogUniformDistribution": (("low", "high"), ("step",)),
}
# nntune's config shape: each type with the keys it takes (besides type and when).
NNTUNE_TYPES = {"float": ("low", "high", "log", "step"), "int": ("low", "high", "log", "step"),
                "choice": ("values",), "beta": ("low", "high")}
_STATES = {"complete": "complete", "pruned": "pruned", "fail": "failed", "failed": "failed"}


def check_study_name(name: str, storage: str, field: str) -> None:
    """A study name an SQL storage cannot keep (too long, a NUL character) refused before the
    storage is opened: opening a new SQLite file writes its tables, and a refusal of the name
    after that would leave an empty database behind."""
    if "://" not in storage or storage.startswith("journal://"):  # memory and journals keep any name
        return
    from nntune.storage._schema import studies
    from nntune.storage._sql_rows import name_problem

    problem = name_problem(name, studies.c.name.type.length)
    if problem is not None:
        raise ConfigError(field, problem)


def check_kinds(space: Space, trials: Iterable[FrozenTrial], field: str = "--search-space") -> None:
    """Each parameter of ``space`` of the kind (float, int, choice, beta) the study's first
    trial to draw it had: the study's own rule (``ParamKinds``), checked before ``ask``
    starts a trial, so a refused space leaves no failed trial behind."""
    first: dict[str, Distribution] = {}
    for t in trials:
        for name, dist in t.distributions.items():
            first.setdefault(name, dist)
    for name, dist in space.params.items():
        known = first.get(name)
        if known is not None and type(known) is not type(dist):
            raise ConfigError(f"{field}.{name}", f"asked as {type(dist).__name__.lower()} where earlier trials of "
                                                 f"this study asked {type(known).__name__.lower()}; use another name "
                                                 "for the other kind")


def parse_search_space(text: str, field: str = "--search-space") -> Space:
    """The space a JSON or YAML text (or a file of either) describes. Each parameter is
    given as Optuna serialises a distribution (``{"name": "FloatDistribution", "attributes":
    {"low": 0, "high": 1}}``, Optuna 2's names included) or as an nntune config's space entry
    (``{"type": "float", "low": 1e-4, "high": 1, "log": true}``, with ``when`` conditions);
    the two may be mixed. A document with a ``space:`` mapping (an nntune config) gives that."""
    from pathlib import Path

    from nntune.space import Space, parents_first

    if not text.strip():  # an unset shell variable: not "None, which is no file either"
        raise ConfigError(field, "must not be empty; give a mapping of parameter names to distributions, or a file")
    source = text
    if text.lstrip()[0] not in "{[" and Path(text).expanduser().is_file():
        source = Path(text).expanduser().read_text()
    doc = _load_document(source, field)
    if isinstance(doc, Mapping) and isinstance(doc.get("space"), Mapping) and not _is_distribution(doc["space"]):
        doc = doc["space"]
    if not isinstance(doc, Mapping):
        got = f"{doc!r}, which is no file either" if isinstance(doc, str) or doc is None else type(doc).__name__
        raise ConfigError(field, f"expected a mapping of parameter names to distributions, got {got}")
    dists: dict[str, Distribution] = {}
    conditions: dict[str, dict[str, list[Any]]] = {}
    for name, entry in doc.items():
        where = f"{field}.{name}"
        if not isinstance(entry, Mapping) or not _is_distribution(entry):
            raise ConfigError(where, 'expected {"name": "FloatDistribution", "attributes": {...}} (Optuna) '
                                     'or {"type": "float", "low": ..., "high": ...} (nntune)')
        if "type" in entry:
            dists[str(name)], when = _nntune_distribution(where, entry)
            if when:
                conditions[str(name)] = when
        else:
            dists[str(name)] = _optuna_distribution(where, entry)
    try:
        order = parents_first(list(dists), conditions)
        return Space({n: dists[n] for n in order}, conditions)
    except ConfigError as err:
        raise ConfigError(err.field.replace("space.", f"{field}.", 1), err.problem) from None


def _load_document(text: str, field: str) -> Any:
    """JSON (Optuna's form) first, then YAML (nntune's configs); neither is one error line."""
    try:
        return json.loads(text)
    except ValueError as json_err:
        import yaml

        from nntune.config_files import load_yaml_text  # 1e-4 a number, as in a config file

        try:
            return load_yaml_text(text)
        except yaml.YAMLError:
            raise ConfigError(field, f"not JSON ({json_err}) nor YAML") from None


def _is_distribution(entry: Mapping[str, Any]) -> bool:
    """Whether a mapping describes one parameter (either shape) rather than holding several."""
    return "type" in entry or "name" in entry or "attributes" in entry


def _optuna_distribution(where: str, entry: Mapping[str, Any]) -> Distribution:
    """What Optuna's ``distribution_to_json`` wrote, built as nntune's distribution of that name."""
    from nntune import distributions

    kind, attrs = entry.get("name"), entry.get("attributes", {})
    extra = set(entry) - {"name", "attributes"}
    if extra:
        raise ConfigError(f"{where}.{sorted(extra)[0]}", "unknown key (an Optuna distribution has name and attributes)")
    if kind not in OPTUNA_DISTRIBUTIONS:
        raise ConfigError(f"{where}.name", f"unknown distribution {kind!r}; choose from "
                                           f"{', '.join(OPTUNA_DISTRIBUTIONS)}")
    if not isinstance(attrs, Mapping):
        raise ConfigError(f"{where}.attributes", f"expected a mapping, got {type(attrs).__name__}")
    required, optional = OPTUNA_DISTRIBUTIONS[kind]
    for key in attrs:
        if key not in required + optional:
            raise ConfigError(f"{where}.attributes.{key}", f"not an attribute of {kind} "
                                                          f"(it takes {', '.join(required + optional)})")
    for key in required:
        if key not in attrs:
            raise ConfigError(f"{where}.attributes.{key}", f"{kind} needs {key}")
    given = {k: v for k, v in attrs.items() if not (k == "step" and v is None and kind == "FloatDistribution")}
    if not isinstance(given.get("log", False), bool):
        raise ConfigError(f"{where}.attributes.log", f"expected true or false, got {given['log']!r}")
    if kind == "CategoricalDistribution" and not isinstance(given["choices"], (list, tuple)):
        raise ConfigError(f"{where}.attributes.choices", "expected a list of values")
    try:
        return getattr(distributions, kind)(**given)  # type: ignore[no-any-return]
    except ConfigError as err:  # nntune's Choice calls its choices "values": name the key given
        key = "choices" if kind == "CategoricalDistribution" and err.field == "values" else err.field
        raise ConfigError(f"{where}.attributes.{key}", err.problem) from None


def _nntune_distribution(where: str, entry: Mapping[str, Any]) -> tuple[Distribution, dict[str, list[Any]]]:
    """An nntune config's space entry. Read here rather than by ``nntune.config``, which
    loads torch and scikit-learn: an ask must start in well under a second."""
    from nntune.space import Beta, Choice, Float, Int

    kind = entry.get("type")
    if kind not in NNTUNE_TYPES:
        raise ConfigError(f"{where}.type", f"must be {', '.join(NNTUNE_TYPES)}, got {kind!r}")
    for key in entry:
        if key == "prior":
            raise ConfigError(f"{where}.prior", "read by nntune tune's samplers only; ask draws without priors")
        if key not in (*NNTUNE_TYPES[kind], "type", "when"):
            raise ConfigError(f"{where}.{key}", f"unknown key (a {kind} takes {', '.join(NNTUNE_TYPES[kind])})")
    for key in ("values",) if kind == "choice" else ("low", "high"):
        if entry.get(key) is None:
            raise ConfigError(f"{where}.{key}", f"a {kind} needs {key}")
    if not isinstance(entry.get("log", False), bool):
        raise ConfigError(f"{where}.log", f"expected true or false, got {entry['log']!r}")
    when = entry.get("when") or {}
    if not isinstance(when, Mapping):
        raise ConfigError(f"{where}.when", "expected a mapping of earlier parameters to lists of their values")
    if kind == "choice" and not isinstance(entry["values"], (list, tuple)):
        raise ConfigError(f"{where}.values", "expected a list of values")
    try:
        if kind == "choice":
            dist: Distribution = Choice(tuple(entry["values"]))
        elif kind == "beta":
            dist = Beta(entry["low"], entry["high"])
        elif kind == "float":
            dist = Float(entry["low"], entry["high"], entry.get("log", False), entry.get("step"))
        else:
            step = entry.get("step")
            dist = Int(entry["low"], entry["high"], entry.get("log", False), 1 if step is None else step)
    except ConfigError as err:
        raise ConfigError(f"{where}.{err.field}", err.problem) from None
    return dist, {str(k): list(v) if isinstance(v, (list, tuple)) else [v] for k, v in when.items()}


def sampler_classes() -> dict[str, type]:
    """Every sampler ``--sampler`` takes: Optuna's class names and nntune's config names."""
    from nntune.samplers import SAMPLERS, BruteForceSampler

    named: dict[str, type] = {cls.__name__: cls for cls in SAMPLERS.values()}
    named[BruteForceSampler.__name__] = BruteForceSampler
    return {**named, **SAMPLERS}


def make_sampler(name: str, kwargs_text: str | None = None, seed: int | None = None) -> Sampler:
    """The sampler ``--sampler NAME --sampler-kwargs JSON`` asks for (``TPESampler`` or ``tpe``),
    seeded by ``seed`` (the study's stored one) unless the keyword arguments give a seed: each
    ``nntune ask`` is a process of its own, and a fresh seed per ask drew every trial from
    another sequence (QMC's points lost their spread, and no ask could be repeated)."""
    import inspect

    classes = sampler_classes()
    if name not in classes:
        from nntune.samplers import SAMPLERS

        shown = ", ".join(f"{cls.__name__} ({key})" for key, cls in SAMPLERS.items())
        raise ConfigError("--sampler", f"unknown sampler {name!r}; choose from {shown}, BruteForceSampler")
    cls = classes[name]
    kwargs = {} if kwargs_text is None else _load_document(kwargs_text, "--sampler-kwargs")
    if not isinstance(kwargs, Mapping):
        raise ConfigError("--sampler-kwargs", f"expected a JSON object of keyword arguments, got {kwargs_text!r}")
    taken = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    for key in kwargs:
        if key not in taken:
            raise ConfigError(f"--sampler-kwargs.{key}", f"{cls.__name__} takes no {key!r}; it takes {', '.join(taken)}")
    grid = kwargs.get("search_space")
    if grid is not None and not (isinstance(grid, Mapping) and all(isinstance(v, list) for v in grid.values())):
        raise ConfigError("--sampler-kwargs.search_space", f"expected a mapping of parameter names to lists of "
                                                           f"values, got {json.dumps(grid)}")
    if seed is not None and "seed" in taken and "seed" not in kwargs:
        kwargs = {**kwargs, "seed": seed}
    try:
        return cls(**kwargs)  # type: ignore[no-any-return]
    except ConfigError as err:
        raise ConfigError(f"--sampler-kwargs.{err.field}", err.problem) from None
    except (TypeError, ValueError, AttributeError) as err:  # a value of the wrong shape ("search_space": "abc")
        raise ConfigError("--sampler-kwargs", f"{cls.__name__}: {err}") from None


def check_grid(sampler: Sampler, space: Space) -> None:
    """A GridSampler given its own grid (``--sampler-kwargs '{"search_space": ...}'``) draws
    nothing else: a parameter of the space off the grid is refused before a trial starts."""
    grid = getattr(sampler, "search_space", None)
    if not isinstance(grid, Mapping):
        return
    missing = [name for name in space.params if name not in grid]
    if missing:
        raise ConfigError("--sampler-kwargs.search_space", f"has no values for {', '.join(missing)} of the search "
                                                           f"space (the grid holds {', '.join(grid) or 'nothing'})")


def parse_values(tokens: Sequence[str]) -> list[float]:
    """``--values 0.93`` or ``--values 0.93 1200``: the numbers, one per objective."""
    out = []
    for token in tokens:
        try:
            out.append(float(token))
        except ValueError:
            raise ConfigError("--values", f"{token!r} is not a number") from None
    return out


def parse_state(text: str | None) -> TrialState:
    """``--state``: complete (the default), pruned or fail (Optuna's names; failed too)."""
    from nntune.trial import TrialState

    name = _STATES.get((text or "complete").lower())
    if name is None:
        raise ConfigError("--state", f"must be complete, pruned or fail, got {text!r}")
    return TrialState(name)


def check_tell(state: TrialState, values: Sequence[float], n_objectives: int) -> None:
    """Optuna's rule for a tell (:func:`nntune._values.tell_problem`), with the flags to use."""
    from nntune._values import tell_problem

    problem = tell_problem(state, len(values), n_objectives)
    if problem is None:
        return
    hint = ("leave --values out" if values and state.value != "complete"
            else "or --state fail, --state pruned" if not values else "")
    raise ConfigError("--values", problem + (f"; {hint}" if hint else ""))


# Optuna's --storage-class names, by what nntune opens for them. Optuna 3's JournalFileStorage
# is the older name of JournalFileBackend; both are a journal file, as nntune's journal:// is.
SQL_CLASSES = ("RDBStorage",)
JOURNAL_FILE_CLASSES = ("JournalFileBackend", "JournalFileStorage")
# Optuna's Redis journal needs a Redis server; nntune has no storage for one.
REDIS_CLASSES = ("JournalRedisBackend", "JournalRedisStorage")


def file_storage_url(path: str) -> str:
    """The storage URL for a file given by its path alone, as optuna-dashboard takes one
    (``optuna-dashboard ./db.sqlite3``, ``optuna-dashboard ./journal.log``): an SQLite
    database by its header, any other file a journal. Anything that is no file is returned
    as it is, for the URL's own checks to judge."""
    from pathlib import Path

    from nntune.storage.journal import SQLITE_HEADER

    if "://" in path or not Path(path).is_file():
        return path
    with open(path, "rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    return f"sqlite:///{path}" if header == SQLITE_HEADER else f"journal://{path}"


def in_memory(url: str) -> bool:
    """Whether a storage URL keeps nothing after the command: ``memory``, or an SQLite
    database with no file (``sqlite://``, ``sqlite:///:memory:``)."""
    if url == "memory":
        return True
    if not url.startswith("sqlite"):
        return False
    import sqlalchemy as sa

    try:
        database = sa.engine.make_url(url).database
    except Exception:  # malformed: opening it says why
        return False
    return not database or database == ":memory:"


def storage_url(url: str, storage_class: str | None) -> str:
    """The nntune storage URL for ``--storage URL --storage-class CLASS`` (Optuna's hint of
    which storage a URL is for): ``RDBStorage`` keeps an SQL URL as it is; ``JournalFileBackend``
    (or ``JournalFileStorage``) reads ``--storage`` as the journal file's path, as Optuna does,
    and gives nntune's ``journal://PATH``. Without a class, the URL's scheme decides."""
    if storage_class is None:
        return url
    if storage_class in SQL_CLASSES:
        if "://" not in url or url.startswith("journal://"):
            raise ConfigError("--storage-class", f"{storage_class} takes a database URL as --storage "
                                                 f"(sqlite:///FILE.db, postgresql://...), got {url!r}")
        return url
    if storage_class in JOURNAL_FILE_CLASSES:
        if url.startswith("journal://"):
            return url
        if "://" in url or not url.strip():
            raise ConfigError("--storage-class", f"{storage_class} takes a journal file's path as --storage, "
                                                 f"got {url!r}")
        return f"journal://{url}"
    if storage_class in REDIS_CLASSES:
        raise ConfigError("--storage-class", f"{storage_class} needs a Redis server, which nntune does not "
                                             f"support; use RDBStorage or JournalFileBackend")
    raise ConfigError("--storage-class", f"must be RDBStorage or JournalFileBackend (JournalFileStorage, "
                                         f"its older name), got {storage_class!r}")
