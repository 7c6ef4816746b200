"""The config's checks across fields: executor and population, enqueued points, priors, the space's order,
the hyperparameters of the user's own models."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Integral
from typing import TYPE_CHECKING, Any

from nntune.config_errors import did_you_mean
from nntune.exceptions import ConfigError
from nntune.samplers import SAMPLERS, check_priors
from nntune.space import Int
from nntune.train.custom_model import is_custom, model_hyperparameters, takes_any_keyword

if TYPE_CHECKING:
    from nntune.config import Config


def _check_execution(cfg: Config) -> None:
    """Cross-field checks of ``search`` and ``resources``, one line naming the field."""
    if cfg.search.ray_address is not None and cfg.search.executor != "ray":
        raise ConfigError("search.ray_address", "only used with executor: ray")
    _check_population(cfg)
    _check_executions(cfg)
    gpus = cfg.resources.gpus
    if gpus > 1 and gpus != int(gpus):
        raise ConfigError("resources.gpus", f"a fraction of one GPU or a whole number, got {gpus:g}")
    _check_shared_storage(cfg)


def is_in_memory_storage(url: str) -> bool:
    """``memory``, ``sqlite://`` or ``sqlite:///:memory:``: a storage that lives in one process."""
    url = url.strip()
    if url == "memory":
        return True
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith("sqlite"):
        return False
    database = rest.partition("?")[0]
    return database in ("", "/", "/:memory:") or database.startswith("/file::memory:")


def uses_worker_processes(cfg: Config) -> bool:
    """Whether trials run outside this process: Ray actors, several population processes, or
    local worker processes (several of them, or one that a trial timeout or memory limit can kill)."""
    search = cfg.search
    if search.executor == "ray":
        return True
    if search.executor == "population":
        return search.workers > 1
    return search.workers > 1 or search.trial_timeout is not None or cfg.resources.memory_mb is not None


def _check_shared_storage(cfg: Config) -> None:
    """Trials outside this process open the study anew: an in-memory storage would be a new,
    empty one in each of them (their trials lost, or a KeyError for one they were given)."""
    if not uses_worker_processes(cfg) or not is_in_memory_storage(cfg.storage):
        return
    if cfg.search.executor == "ray":
        raise ConfigError("storage", "the ray executor needs a storage every node reaches "
                                     "(postgresql://..., or sqlite:///file or journal://file on one machine)")
    if cfg.search.executor == "population":
        raise ConfigError("storage", "population processes on several devices (search.workers > 1) need a "
                                     "storage they all reach (sqlite:///file, journal://file or postgresql://...)")
    raise ConfigError("storage", "worker processes (search.workers > 1, search.trial_timeout or "
                                 "resources.memory_mb) cannot share an in-memory storage; use "
                                 "sqlite:///file, journal://file or postgresql://...")


def _check_population(cfg: Config) -> None:
    population = cfg.search.population
    if isinstance(population, bool) or (isinstance(population, int) and population < 1):
        raise ConfigError("search.population", f"must be an integer >= 1 or auto, got {population!r}")
    if population != "auto" and cfg.search.executor != "population":  # (a dumped config holds auto)
        raise ConfigError("search.population", "only used with executor: population")
    block = cfg.search.structure_block
    if isinstance(block, bool) or (isinstance(block, int) and block < 1):
        raise ConfigError("search.structure_block", f"must be an integer >= 1 or auto, got {block!r}")
    if block != "auto" and cfg.search.executor != "population":
        raise ConfigError("search.structure_block", "only used with executor: population")
    stackable = ("mlp", "cnn")  # what the stacked trainer builds (nntune.train.stack_models)
    model = cfg.space["model"].values if "model" in cfg.space and cfg.space["model"].values else \
        [cfg.fixed.get("model", cfg.task.model)]
    if cfg.search.executor == "population" and any(m not in stackable for m in model):
        raise ConfigError("task.model", f"the population executor stacks {' and '.join(stackable)} models, "
                                        f"not {next(m for m in model if m not in stackable)!r}; use executor: local")
    if cfg.search.executor == "population":
        _check_stacked_training(cfg)
    if cfg.search.executor == "population" and cfg.resources.memory_mb is not None:
        raise ConfigError("resources.memory_mb", "the population executor trains every member in this process; "
                                                 "a per-trial memory limit needs worker processes (executor: local)")


# What the stacked trainer cannot do: it trains every layer from scratch at one rate.
UNSTACKABLE = ("pretrained_weights", "freeze_backbone", "backbone_lr_mult")


def _check_executions(cfg: Config) -> None:
    """``search.executions_per_trial`` above 1 trains a trial's executions as one stack of
    the built-in trainer: refused, in one line, where that cannot be what runs."""
    if cfg.search.executions_per_trial == 1:
        return
    field = "search.executions_per_trial"
    if cfg.search.executor == "population":
        raise ConfigError(field, "the population executor stacks trials, one execution each; "
                                 "use executor: local or ray, or 1 execution per trial")
    if cfg.search.scheduler == "pbt":
        raise ConfigError(field, "population-based training copies one model's weights from trial to trial; "
                                 "give it 1 execution per trial")
    stackable = ("mlp", "cnn")  # what the stacked trainer builds (nntune.train.stack_models)
    spec = cfg.space.get("model")
    models = list(spec.values) if spec is not None and spec.values else [cfg.model_name]
    other = next((m for m in models if m not in stackable), None)
    if other is not None:
        raise ConfigError(field, f"a trial's executions train as one stack, which builds {' and '.join(stackable)} "
                                 f"models, not {other!r}; give 1 execution per trial")
    for name in UNSTACKABLE:
        if name in cfg.space or _is_on(name, cfg.fixed.get(name)):
            raise ConfigError(field, f"a trial's executions train as one stack, which trains every layer from "
                                     f"scratch at one rate ({name}); give 1 execution per trial")


def _is_on(name: str, value: object) -> bool:
    """Whether a fixed ``value`` of one of :data:`UNSTACKABLE` asks for what a stack cannot do."""
    if name == "backbone_lr_mult":
        return value is not None and float(value) != 1.0  # type: ignore[arg-type]
    return bool(value)


def _check_stacked_training(cfg: Config) -> None:
    """Refused before the study is opened, rather than failing every trial in its stack."""
    for name in UNSTACKABLE:
        field = f"space.{name}" if name in cfg.space else f"fixed.{name}" if _is_on(name, cfg.fixed.get(name)) else None
        if field is not None:
            raise ConfigError(field, "the population executor trains every layer from scratch at one rate; "
                                     "use executor: local")


def _check_conditions(cfg: Config) -> None:
    """A condition on a continuous parameter (``when: {lr: [0.01]}``, lr a float range)
    would hold only when a draw hits that number exactly, that is never."""
    for name, spec in cfg.space.items():
        for parent in spec.when:
            parent_spec = cfg.space.get(parent)
            if parent_spec is not None and parent_spec.type in ("float", "beta") and parent_spec.step is None:
                raise ConfigError(f"space.{name}.when.{parent}", f"{parent} is a continuous {parent_spec.type} range, "
                                                                 "which never draws exactly these values; condition "
                                                                 "on a choice or an int")


def _check_augment_parameters(cfg: Config) -> None:
    """``task.augment`` as the first trial gets it, then each augmentation parameter
    (``rotation.degrees``), fixed or searched: it belongs to an augmentation of the list and
    takes every value it may be given (each end of its range, each choice). Else the study
    would fail once the data has loaded, or tune a number that changes nothing, or fail
    trial after trial on the values it draws."""
    fixed = {name: [("", value)] for name, value in cfg.fixed.items() if "." in name}
    searched = {name: _drawn(spec) for name, spec in cfg.space.items() if "." in name}
    if not cfg.task.augment and not fixed and not searched:
        return  # nothing to check, and no torch to import for it (the augmentations need it)
    from nntune.train.augment import check_parameter, parse_steps

    given = {**fixed, **searched}
    # A searched parameter enters at its first value; one the list's augmentations lack is
    # left to check_parameter below, which names it.
    first = {name: values[0][1] for name, values in given.items() if values and _is_parameter(name)}
    try:
        steps = parse_steps(cfg.task.augment, first) if cfg.task.augment else []
    except ConfigError as err:
        raise _blamed(err, fixed, searched) from None
    # Presets expanded and every parameter filled in, so that a value one parameter needs
    # from another source (resize's size from fixed or space) is there for the others' checks.
    resolved: list[Mapping[str, Any]] = [{step: params} for step, params in steps]
    for name, values in fixed.items():
        check_parameter(resolved, name, values, f"fixed.{name}")
    for name, values in searched.items():
        check_parameter(resolved, name, values, f"space.{name}")


def first_draws(cfg: Config) -> dict[str, Any]:
    """``fixed`` with each searched dotted parameter (an augmentation's, ``resize.size``) at
    its first value: what a check of the whole pipeline before the first trial can build."""
    return {**cfg.fixed, **{name: _drawn(spec)[0][1] for name, spec in cfg.space.items()
                            if "." in name and _drawn(spec)}}


def _drawn(spec: Any) -> list[tuple[str, Any]]:
    """The values a searched augmentation parameter may take, with the field suffix of each."""
    if spec.type == "choice":
        return [(f".values[{i}]", v) for i, v in enumerate(spec.values or [])]
    # as the sampler draws them: a float range gives floats, whatever its ends are written as
    cast = int if spec.type == "int" else float
    return [(f".{end}", cast(getattr(spec, end))) for end in ("low", "high")]


def _is_parameter(name: str) -> bool:
    from nntune.train.augment import AUGMENTATIONS

    augmentation, _, key = name.partition(".")
    return key in AUGMENTATIONS.get(augmentation, {})


def _blamed(err: ConfigError, fixed: Mapping[str, Any], searched: Mapping[str, list[tuple[str, Any]]]) -> ConfigError:
    """The trainer's error on ``task.augment``, named where the value came from: a parameter
    given in fixed or space is blamed there, the rest on ``task.augment`` in the trainer's words."""
    name = err.field.removeprefix("augment.")
    if name in fixed:
        return ConfigError(f"fixed.{name}", err.problem)
    if name in searched:
        return ConfigError(f"space.{name}{searched[name][0][0]}", err.problem)
    return ConfigError(f"task.{err.field}", err.problem)


def _check_priors(cfg: Config) -> None:
    check_priors(cfg.build_space(), cfg.priors())
    if (cfg.priors() or cfg.search.default_priors) and cfg.search.sampler == "grid":
        drawing = ", ".join(name for name in SAMPLERS if name != "grid")  # every other sampler takes priors
        raise ConfigError("search.sampler", f"a grid runs every point in order; priors need a sampler "
                                            f"that draws ({drawing})")


def _check_enqueue(cfg: Config) -> None:
    space = cfg.build_space()
    for i, params in enumerate(cfg.search.enqueue):
        for name, value in params.items():
            where = f"search.enqueue[{i}].{name}"
            if name not in space.params:
                raise ConfigError(where, f"not in space; enqueued values are for searched names "
                                         f"({', '.join(space.params) or 'the space is empty'})")
            dist = space.params[name]
            if isinstance(dist, Int) and (isinstance(value, bool) or not isinstance(value, Integral)):  # numpy's too
                raise ConfigError(where, f"{name} is an int range; give an integer, got {value!r}")
            if not dist.contains(value):
                raise ConfigError(where, f"{value!r} lies outside the space's {name}")
            _check_enqueued_condition(where, name, params, space.conditions.get(name) or {})


def _check_enqueued_condition(where: str, name: str, params: Mapping[str, Any],
                              condition: Mapping[str, Any]) -> None:
    """A conditional name enqueued beside a parent value under which it is never searched
    (``momentum`` with ``optimizer: adam``) is refused: the trial would drop it unsaid."""
    for parent, allowed in condition.items():
        if parent in params and params[parent] not in allowed:
            shown = ", ".join(str(v) for v in allowed)
            raise ConfigError(where, f"searched only when {parent} is {shown}; this entry's {parent} is "
                                     f"{params[parent]!r}, so its trial would drop {name}")


def model_names(cfg: Config) -> list[str]:
    """Every model a config may train: the task's, a fixed one, and those the space chooses among."""
    names = [cfg.task.model, cfg.fixed.get("model")]
    spec = cfg.space.get("model")
    names += list(spec.values or []) if spec is not None else []
    return list(dict.fromkeys(n for n in names if isinstance(n, str)))


def own_model_parameters(cfg: Config) -> dict[str, str]:
    """The hyperparameters the config's own models take (name -> the model taking it)."""
    out: dict[str, str] = {}
    for name in model_names(cfg):
        if is_custom(name):
            for p in model_hyperparameters(name):
                out.setdefault(p, name)
    return out


# The names Optuna's examples, Keras and PyTorch give the trainer's hyperparameters.
OTHER_NAMES = {"learning_rate": "lr", "n_layers": "layers", "num_layers": "layers", "n_units": "units",
               "hidden_size": "units", "hidden_units": "units", "num_epochs": "epochs", "max_epochs": "epochs",
               "n_epochs": "epochs", "dropout_rate": "dropout", "optim": "optimizer", "lr_scheduler": "lr_schedule",
               "bs": "batch_size", "clip_grad_norm": "grad_clip"}


def _unknown(where: str, name: str, own: Mapping[str, str], known: Iterable[str] = (),
             models: Iterable[str] = ()) -> ConfigError:
    """An unknown hyperparameter, with the known name (the trainer's, ``known``, or the
    user's model's) it may be a misspelling or another library's name of; where no such
    name is near and one of ``models`` takes ``**kwargs``, how to declare the name instead."""
    takes = sorted(set(own))
    other = OTHER_NAMES.get(name.lower())
    hint = f"; did you mean {other!r}?" if other in known else did_you_mean(name, [*known, *takes])
    open_builder = next((m for m in models if is_custom(m) and takes_any_keyword(m)), None)
    if not hint and open_builder is not None:
        attr = open_builder.rpartition(":")[2]
        hint = (f"; {open_builder} gets only the names it declares as keyword parameters, none through "
                f"**kwargs: declare it (def {attr}(input_shape, n_outputs, *, {name}=...))")
    return ConfigError(where, "unknown hyperparameter" + (f" (nor one your model takes: {', '.join(takes)})"
                                                          if takes else "") + hint)
