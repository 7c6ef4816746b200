"""The YAML config of ``nntune tune``: validated with pydantic, errors as one line naming the field.

Shape (every key optional: a key left out takes the value below, except that a file without
``space`` searches nothing and one without ``fixed`` leaves every hyperparameter at the
trainer's default, 10 epochs among them; only no file at all runs the embedded default)::

    study: digits-mlp
    storage: sqlite:///nntune.db
    task:   {data: digits, split: [0.6, 0.2, 0.2], model: mlp, metric: accuracy, direction: maximize}
    search: {sampler: random, trials: 20, seed: 0}
    space:  {lr: {type: float, low: 1.0e-4, high: 1.0, log: true}, ...}
    fixed:  {epochs: 30, batch_size: 64}
    checkpoints: {keep_last: 3, keep_best: true, max_disk_mb: 500}   # nntune babysit's snapshots
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import Field, ValidationError, field_validator

from nntune.config_files import DEFAULT_YAML, read_raw  # noqa: F401 (importable from here)
from nntune.exceptions import ConfigError
from nntune.config_space import ParamSpec
from nntune.space import Choice, Space
from nntune.config_checks import (_check_augment_parameters, _check_conditions, _check_enqueue, _check_execution,
                                   _check_priors, _unknown, own_model_parameters)
from nntune.space import parents_first
from nntune.config_checks import _check_population  # noqa: F401 (still importable from here)
from nntune.config_errors import FiniteAboveZero, StrictModel, validation_problem
from nntune.config_objectives import Bound, check_objectives, check_objectives_config, metric_hint
from nntune.config_terminator import TerminatorConfig, check_terminator
from nntune.train.costs import COSTS
from nntune.train.metrics import LOSS, METRIC_NAMES, metric_direction
from nntune.train.custom_model import builder_decides, is_custom, load_builder
from nntune.train.schema import hyperparameter_problem

# Names the built-in trainer understands, and the values of its categorical ones. A typo in
# a config (``optimiser: adam``, ``optimizer: adamm``) is an error, not a silently unused key.
CATEGORICAL_VALUES: dict[str, tuple[Any, ...]] = {
    "model": ("mlp", "cnn", "resnet18", "resnet34", "resnet50"),
    "optimizer": ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"),
    "activation": ("relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid"),
    "init": ("default", "zeros", "normal", "xavier_normal", "xavier_uniform", "he_normal",
             "he_uniform", "uniform_inv_n2"),
    "lr_schedule": ("constant", "step", "exponential", "plateau", "cosine"),
    "loss": ("cross_entropy", "mse", "mae", "huber"),
    "weight_decay_mode": ("coupled", "decoupled"),
    "pool": ("max", "avg", "none"),
}
HYPERPARAMETERS: frozenset[str] = frozenset({
    *CATEGORICAL_VALUES,
    "lr", "momentum", "beta1", "beta2", "eps", "rho", "batch_size", "epochs",
    "layers", "units", "dropout", "batchnorm", "weight_decay", "l1", "grad_clip",
    "init_std", "lr_step_epochs", "lr_gamma", "lr_patience", "lr_factor", "warmup_epochs",
    "early_stopping", "patience", "min_delta", "conv_layers", "filters", "filters_growth",
    "kernel_size", "stride", "padding", "pretrained_weights", "freeze_backbone",
    "backbone_lr_mult", "amp", "lr_min", "huber_delta",
})


def is_hyperparameter(name: str) -> bool:
    """A trainer hyperparameter, or an augmentation parameter such as ``rotation.degrees``."""
    return name in HYPERPARAMETERS or ("." in name and all(name.split(".")))
# What a running model cannot change: population-based training copies these from the
# parent unchanged and perturbs only the rest (rates, momenta, decay, dropout, ...).
FIXED_DURING_TRAINING: frozenset[str] = frozenset({
    "model", "layers", "units", "activation", "batchnorm", "conv_layers", "filters",
    "filters_growth", "kernel_size", "stride", "padding", "pool", "pretrained_weights",
    "freeze_backbone", "init", "init_std", "loss", "epochs",
})
METRIC_DIRECTIONS: dict[str, Literal["minimize", "maximize"]] = {
    name: metric_direction(name) for name in METRIC_NAMES}


_Strict = StrictModel  # every section: unknown keys and bools for numbers refused (config_errors)


class TaskConfig(_Strict):
    data: Union[str, dict[str, Any]] = "digits"
    split: list[float] = Field(default_factory=lambda: [0.6, 0.2, 0.2])
    model: str = "mlp"
    # One metric, or a list (``[accuracy, params]``, ``[accuracy, latency_ms]``) for a study of
    # several objectives: one trained metric and the model's costs, each with its own direction.
    # ``loss`` (KerasTuner's ``val_loss``, accepted and stored as ``loss``) is the trainer's
    # validation loss, minimized.
    metric: Union[str, list[str]] = "accuracy"
    # The class the binary metrics (precision, recall, f1, fbeta, specificity) call positive;
    # None: class 1 of two classes, macro averages over more. ``beta``: fbeta's weight of recall.
    positive_class: Union[int, str, None] = None  # a class's name: its index once the data is read
    beta: float = Field(default=1.0, gt=0)
    direction: Union[Literal["minimize", "maximize"], list[Literal["minimize", "maximize"]], None] = None
    # Bounds a trial must meet (``{params: {max: 100000}}``): on the trained metric, params or
    # latency_ms; infeasible trials stay stored, and the best ones are chosen among the rest.
    constraints: dict[str, Bound] = Field(default_factory=dict)
    normalize: Literal["standard", "minmax", "imagenet", "none"] = "standard"
    train_size: Union[int, float, None] = None
    augment: list[Union[str, dict[str, Any]]] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: Union[str, list[str]]) -> Union[str, list[str]]:
        # KerasTuner's objective="val_loss" is the validation loss nntune calls ``loss``: the
        # same objective, stored under one name so that a study's records and attrs agree.
        v = LOSS if v == "val_loss" else v if isinstance(v, str) else [LOSS if m == "val_loss" else m for m in v]
        if isinstance(v, str):
            if v not in METRIC_DIRECTIONS:
                # Keras and Ray Tune name the objective by its split (val_accuracy); nntune
                # scores every metric on the validation split.
                raise ValueError(f"unknown metric {v!r}; choose from {', '.join(METRIC_DIRECTIONS)}"
                                 f"{metric_hint(v, METRIC_DIRECTIONS)}")
            return v
        check_objectives(v)
        return v

    @property
    def positive_index(self) -> int | None:
        """``positive_class`` as an index: None for a name not yet resolved against the data."""
        return self.positive_class if isinstance(self.positive_class, int) else None

    @field_validator("positive_class")
    @classmethod
    def _positive_class(cls, v: Union[int, str, None]) -> Union[int, str, None]:
        if isinstance(v, int) and v < 0:
            raise ValueError(f"must be a class index >= 0, got {v}")
        return v

    @field_validator("constraints")
    @classmethod
    def _constraints(cls, v: dict[str, Bound]) -> dict[str, Bound]:
        if "val_loss" in v and LOSS in v:
            raise ValueError("bounds loss twice: val_loss is another name of loss")
        return {LOSS if name == "val_loss" else name: bound for name, bound in v.items()}  # as in metric

    @field_validator("model")
    @classmethod
    def _model(cls, v: str) -> str:
        if is_custom(v):  # the user's own module: importable, and taking (input_shape, n_outputs)
            try:
                load_builder(v)
            except ConfigError as err:
                raise ValueError(err.problem) from None
        elif v not in CATEGORICAL_VALUES["model"]:
            raise ValueError(f"unknown model {v!r}; choose from {', '.join(CATEGORICAL_VALUES['model'])} "
                             "or module:Name for your own")
        return v

    @property
    def objectives(self) -> list[str]:
        """The metrics the study optimizes, in order (one for a single objective)."""
        return [self.metric] if isinstance(self.metric, str) else list(self.metric)

    @property
    def is_multi_objective(self) -> bool:
        return len(self.objectives) > 1

    @property
    def trained_metric(self) -> str:
        """The validation metric the trainer computes each epoch (the first objective that is
        not a cost)."""
        return next(m for m in self.objectives if m in METRIC_DIRECTIONS)

    @property
    def costs(self) -> frozenset[str]:
        """The model's costs the objective measures: as objectives or as constraints."""
        return frozenset(n for n in (*self.objectives, *self.constraints) if n in COSTS)

    @property
    def directions(self) -> list[Literal["minimize", "maximize"]]:
        if isinstance(self.direction, list):
            return list(self.direction)
        if self.direction is not None:
            return [self.direction]
        return [METRIC_DIRECTIONS.get(m) or COSTS[m] for m in self.objectives]  # type: ignore[misc]

    @property
    def resolved_direction(self) -> Literal["minimize", "maximize"]:
        return self.directions[0]

    @property
    def trained_direction(self) -> Literal["minimize", "maximize"]:
        """The direction of :attr:`trained_metric`, whose value every epoch reports: not the
        first objective's where a cost comes first (``metric: [params, accuracy]``)."""
        return self.directions[self.objectives.index(self.trained_metric)]


class SearchConfig(_Strict):
    sampler: str = "random"
    trials: int = Field(default=20, gt=0)
    seed: int = 0  # >= 0: numpy's generators refuse a negative seed (checked in _seed below)
    timeout: Union[FiniteAboveZero, None] = None  # seconds, then no trial starts
    scheduler: str = "none"
    patience: Union[int, None] = Field(default=None, gt=0)
    grid_points: int = Field(default=5, gt=0)
    sampler_options: dict[str, Any] = Field(default_factory=dict)
    scheduler_options: dict[str, Any] = Field(default_factory=dict)
    # Per study: PBT and babysit checkpoints, the kept best models. Not empty: "" (an unset
    # shell variable) read as the current folder, a study's folder made where nntune runs.
    checkpoint_dir: str = Field(default="nntune-runs", min_length=1)
    # How trials run: ``local`` worker processes on this machine (``workers: 1`` without a
    # trial timeout or memory limit runs them in this process) or a Ray cluster.
    workers: int = Field(default=1, gt=0)
    executor: Literal["local", "ray", "population"] = "local"
    # ``executor: population``: members per stack (an integer, or ``auto``: within what fits the
    # device and PBT's population, the size past which the device trains no more per second).
    population: Union[int, Literal["auto"]] = "auto"
    # ``executor: population``: trials per structure (the sampler is asked for the structural
    # parameters once per block of this many trials, so that they can share a stack), or
    # ``auto``: an eighth of the trials, 4 to 64; under a timeout at most 8 on a CPU and up to
    # 128 on a GPU (samplers/_partial_fixed.structure_block).
    structure_block: Union[int, Literal["auto"]] = "auto"
    ray_address: Union[str, None] = None  # "auto" joins a running cluster; None starts one here
    trial_timeout: Union[FiniteAboveZero, None] = None  # seconds, then the trial fails
    # Configurations to try first (a known baseline), before the sampler's own: each a
    # mapping from space names to values; names left out are sampled as usual.
    enqueue: list[dict[str, Any]] = Field(default_factory=list)
    # Priors (``space.<name>.prior``): with ``default_priors`` the built-in trainer's defaults
    # (Adam, lr 1e-3, beta2 0.999, 2 x 128 units, ...) for searched names given none;
    # ``prior_weight`` is the share of trials drawn near the priors, ``prior_spread`` the
    # standard deviation of those draws on each parameter's unit scale.
    default_priors: bool = False
    # After the test look, an ensemble of the best K trials (their probabilities averaged),
    # scored once more on the test split beside the single best; None: no ensemble.
    ensemble: Union[int, None] = Field(default=None, ge=1)
    prior_weight: float = Field(default=0.5, ge=0, le=1)
    prior_spread: float = Field(default=0.15, gt=0, le=1)
    # Stop once the room left for improvement is below the best value's noise: true for
    # the defaults, or the settings of nntune.config_terminator.
    terminator: Union[bool, TerminatorConfig] = False
    # KerasTuner's executions_per_trial: the built-in trainer trains this many models of each
    # trial's values, with seeds derived from the trial's, as one stack; the trial's value is
    # the mean of theirs (nntune.builtin_repeats).
    executions_per_trial: int = Field(default=1, ge=1)

    @field_validator("seed")
    @classmethod
    def _seed(cls, v: int) -> int:
        if v < 0:
            raise ValueError("must be an integer >= 0")
        return v


class ResourcesConfig(_Strict):
    """What one trial may use: CPU cores (torch threads), GPUs (fractions share one), memory."""

    cpus: Union[FiniteAboveZero, None] = None
    gpus: float = Field(default=0, ge=0, allow_inf_nan=False)  # .inf: no count of GPUs
    memory_mb: Union[FiniteAboveZero, None] = None


class CheckpointsConfig(_Strict):
    """Which per-epoch checkpoints a babysat trial keeps (``nntune babysit``, forks): the
    last ``keep_last`` (all when unset), the best epoch's, and at most ``max_disk_mb`` in
    all (oldest dropped first; the newest and the best are never dropped)."""

    keep_last: Union[int, None] = Field(default=None, gt=0)
    keep_best: bool = True
    max_disk_mb: Union[FiniteAboveZero, None] = None


class Config(_Strict):
    study: str = Field(default="digits-mlp", min_length=1)
    storage: str = "sqlite:///nntune.db"
    task: TaskConfig = Field(default_factory=TaskConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    checkpoints: CheckpointsConfig = Field(default_factory=CheckpointsConfig)
    space: dict[str, ParamSpec] = Field(default_factory=dict)
    fixed: dict[str, Any] = Field(default_factory=dict)

    @field_validator("study")
    @classmethod
    def _study(cls, v: str) -> str:
        # nntune.create_study refuses a blank name: said here, before the storage is made
        if not v.strip():
            raise ValueError("must not be blank; give the study a name")
        return v

    @field_validator("storage")
    @classmethod
    def _storage(cls, v: str) -> str:
        # The URL's form is checked here so that --dry-run refuses what opening it would.
        if v != "memory" and "://" not in v:
            raise ValueError(f"expected a URL such as sqlite:///nntune.db, or memory, got {v!r}")
        return v

    def build_space(self) -> Space:
        conditions = {name: spec.when for name, spec in self.space.items() if spec.when}
        order = parents_first(list(self.space), conditions)
        dists = {name: self.space[name].distribution(name) for name in order}
        # A misspelt value first: it, not a condition it leaves impossible, is the mistake.
        for name, dist in dists.items():
            if isinstance(dist, Choice) and name in CATEGORICAL_VALUES and not builder_decides_all(self, name):
                _check_values(f"space.{name}.values", name, dist.values)
        return Space(dists, conditions)

    def priors(self) -> dict[str, Any]:
        """The priors given in the space (``space.<name>.prior``), by name."""
        return {name: spec.prior for name, spec in self.space.items() if spec.prior is not None}

    @property
    def model_name(self) -> str:
        """The model a trial trains unless the space chooses one: ``fixed.model`` over ``task.model``."""
        fixed = self.fixed.get("model")
        return fixed if isinstance(fixed, str) else self.task.model

    def hyperparameters(self) -> dict[str, Any]:
        """The fixed hyperparameters, with the task's model as the default architecture."""
        return {"model": self.task.model, **self.fixed}


def trained_models(cfg: Config) -> list[Any]:
    """The models a trial may train: those the space chooses among, else the fixed or task's one."""
    spec = cfg.space.get("model")
    return list(spec.values or []) if spec is not None and spec.type == "choice" else [cfg.model_name]


def builder_decides_all(cfg: Config, name: str) -> bool:
    """Whether only models of the user's own read ``name``, one of them declaring it: then its
    values are their builders' business, not the built-in models' list (``activation: silu``)."""
    models = trained_models(cfg)
    return all(is_custom(m) for m in models) and any(builder_decides(m, name) for m in models)


def _check_trainer_value(where: str, name: str, value: Any) -> None:
    """A value the built-in trainer would reject (``epochs: zero``) stops the config here."""
    problem = hyperparameter_problem(name, value)
    if problem is not None:
        raise ConfigError(where, problem)


def _check_values(where: str, name: str, values: tuple[Any, ...] | list[Any]) -> None:
    allowed = CATEGORICAL_VALUES[name]
    for v in values:
        if name == "model" and is_custom(v):
            try:
                load_builder(v)
            except ConfigError as err:
                raise ConfigError(where, err.problem) from None
        elif v not in allowed:
            raise ConfigError(where, f"unknown {name} {v!r}; choose from {', '.join(map(str, allowed))}"
                                     + (" or module:Name for your own" if name == "model" else ""))


def _most_epochs(cfg: Config) -> int:
    """The most epochs a trial trains: the top of a searched range or choice, else the fixed
    value, else the trainer's default (10)."""
    spec = cfg.space.get("epochs")
    if spec is None:
        values = [cfg.fixed.get("epochs", 10)]
    else:
        values = list(spec.values or []) if spec.type == "choice" else [spec.high]
    numbers = [int(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return max(numbers, default=10)


_SECTIONS = frozenset(k for k, f in Config.model_fields.items() if f.default_factory is not None)


def parse_config(data: Any, source: str = "config") -> Config:
    """Validate a parsed YAML document; every problem becomes one ConfigError line."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError("", f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    # A section whose every line is commented out (``fixed:`` alone) is an empty one.
    data = {k: {} if v is None and k in _SECTIONS else v for k, v in data.items()}
    try:
        cfg = Config.model_validate(data)
    except ValidationError as err:
        loc, msg = validation_problem(err.errors(), Config)
        raise ConfigError(loc, msg) from None
    cfg.build_space()  # bounds, conditions and names are checked before anything runs
    _check_conditions(cfg)
    if "model" in cfg.fixed and not isinstance(cfg.fixed["model"], (list, dict)):
        _check_values("fixed.model", "model", [cfg.fixed["model"]])  # importable before its names are read
    own = own_model_parameters(cfg)
    for name, value in cfg.fixed.items():
        if not is_hyperparameter(name) and name not in own:
            raise _unknown(f"fixed.{name}", name, own, HYPERPARAMETERS, trained_models(cfg))
        if name in CATEGORICAL_VALUES and not isinstance(value, (list, dict)) and not builder_decides_all(cfg, name):
            _check_values(f"fixed.{name}", name, [value])
        if not builder_decides_all(cfg, name):  # the own model's builder judges its values
            _check_trainer_value(f"fixed.{name}", name, value)
    for name in cfg.space:
        if not is_hyperparameter(name) and name not in own:
            raise _unknown(f"space.{name}", name, own, HYPERPARAMETERS, trained_models(cfg))
        if name in cfg.fixed:
            raise ConfigError(f"fixed.{name}", f"is also in space; give it in one place (--set space.{name}=null "
                                               "takes it out of the search)")
        spec = cfg.space[name]
        for field, values in (("low", [spec.low]), ("high", [spec.high]), ("values", spec.values or [])):
            for value in values:
                if value is not None and not builder_decides_all(cfg, name):
                    _check_trainer_value(f"space.{name}.{field}", name, value)
                if name == "batch_size" and value == "auto":  # the trainer takes only the number tune chose
                    raise ConfigError(f"space.batch_size.{field}", "auto is chosen once per study: give it as "
                                                                   "fixed.batch_size, or search numbers")
    _check_augment_parameters(cfg)
    _check_execution(cfg)
    check_objectives_config(cfg)
    check_terminator(cfg.search.terminator, cfg.task.trained_metric, len(cfg.task.objectives), _most_epochs(cfg))
    _check_enqueue(cfg)
    _check_priors(cfg)
    return cfg


def load_config(path: str | Path | None) -> Config:
    """Read and validate a YAML file (``None``: the embedded default)."""
    return parse_config(read_raw(path), str(path) if path else "default")
