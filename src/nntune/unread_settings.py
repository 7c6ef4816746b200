"""Settings a config gives that the built-in trainer will never read: ``momentum`` beside
``rmsprop``, ``kernel_size`` beside an MLP, ``lr_gamma`` under a constant rate, ``patience``
without early stopping, ``huber_delta`` with another loss, and a warm-up as long as the
run. Each is judged on what a trial's params can hold (the fixed values over the trainer's
defaults, and every value the space can draw); a searched one only when no draw could make
it read. Warnings, not errors: ``babysit`` keeps such a range for a choice changed later."""

from __future__ import annotations

from typing import Any

from nntune._words import counted
from nntune.config import Config, _most_epochs
from nntune.train.custom_model import is_custom

# Each setting read under some values of one other setting only: that setting, and those
# values (train/optim.apply_hyperparams, train/models.build_model, train/schedules.LrSchedule,
# train/epochs.stopping_settings, train/basics.make_loss).
CNN_SETTINGS = ("conv_layers", "filters", "filters_growth", "kernel_size", "stride", "padding", "pool")
READ_BY: dict[str, tuple[str, tuple[Any, ...]]] = {
    "momentum": ("optimizer", ("momentum", "nesterov")),
    "beta1": ("optimizer", ("adam", "adamw")),
    "beta2": ("optimizer", ("adam", "adamw")),
    "rho": ("optimizer", ("rmsprop",)),
    "eps": ("optimizer", ("adagrad", "rmsprop", "adam", "adamw")),
    **{name: ("model", ("cnn",)) for name in CNN_SETTINGS},
    "lr_gamma": ("lr_schedule", ("step", "exponential")),
    "lr_step_epochs": ("lr_schedule", ("step",)),
    "lr_factor": ("lr_schedule", ("plateau",)),
    "lr_patience": ("lr_schedule", ("plateau",)),
    "lr_min": ("lr_schedule", ("plateau", "cosine")),
    "patience": ("early_stopping", (True,)),
    "min_delta": ("early_stopping", (True,)),
    "huber_delta": ("loss", ("huber",)),
}
# The deciding setting's words in a warning: an optimizer names itself.
LABELS = {"optimizer": ""}
# What a trial trains with where the config leaves a deciding setting out. The default loss
# depends on the task (cross_entropy, or mse for a regression); neither is huber.
DEFAULT_LOSS = "cross_entropy or mse (the default)"
NOTES = {"momentum": " (rmsprop's moving average is rho)"}


def _trainer_default(cfg: Config, decider: str) -> Any:
    from nntune.train.basics import LOOP_DEFAULTS
    from nntune.train.optim import OPTIM_DEFAULTS

    if decider == "loss":
        return DEFAULT_LOSS
    return {**OPTIM_DEFAULTS, **LOOP_DEFAULTS, **cfg.hyperparameters()}.get(decider)


def possible_values(cfg: Config, decider: str) -> set[Any] | None:
    """The values of ``decider`` a trial can train with: the fixed one (or the trainer's
    default), or every value the space chooses among, with the default where a condition can
    leave it unsampled; None where that cannot be listed (a range, the user's own model)."""
    spec = cfg.space.get(decider)
    if spec is None:
        listed = [cfg.fixed.get(decider, _trainer_default(cfg, decider))]
    elif spec.type != "choice":
        return None
    else:
        listed = list(spec.values or [])
        if spec.when:  # an inactive parameter is left out of the params: the trainer's default
            listed.append(_trainer_default(cfg, decider))
    try:
        values = set(listed)
    except TypeError:  # a list or mapping is no value that reads a setting in the table
        return None
    if decider == "model" and any(is_custom(v) for v in values):
        return None  # the user's own module may read any name it is given
    return values


def _word(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)  # as YAML writes it


def _unread(cfg: Config, name: str, decider: str, readers: tuple[Any, ...]) -> tuple[str, str] | None:
    """``("fixed.NAME", "read by ... only, and ...")`` when no trial reads ``name``."""
    where = "space" if name in cfg.space else "fixed" if name in cfg.fixed else None
    possible = possible_values(cfg, decider)
    if where is None or not possible:
        return None
    if where == "space" and decider in cfg.space[name].when:
        # Searched only under some values of the decider: the others never see it.
        possible = possible & set(cfg.space[name].when[decider])
    if any(value in readers for value in possible):
        return None
    label = LABELS.get(decider, f"{decider} ")
    return f"{where}.{name}", (f"read by {label}{', '.join(map(_word, readers))} only, and this study trains "
                               f"with {label}{', '.join(sorted(map(_word, possible)))}")


def _listed(fields: list[str]) -> str:
    return fields[0] if len(fields) == 1 else f"{', '.join(fields[:-1])} and {fields[-1]}"


def _said(fields: list[str], reason: str) -> str:
    """``fixed.a and fixed.b are read by ...: they change nothing``."""
    one = len(fields) == 1
    notes = "".join(NOTES.get(field.split(".", 1)[1], "") for field in fields)
    return (f"{_listed(fields)} {'is' if one else 'are'} {reason}: {'it changes' if one else 'they change'} "
            f"nothing{notes}")


def _least(cfg: Config, name: str) -> int | float | None:
    """The smallest value a trial's ``name`` can take, None where a condition can leave it out."""
    spec = cfg.space.get(name)
    if spec is None:
        value = cfg.fixed.get(name)
    elif spec.when:
        return None
    else:
        value = min(spec.values or [0], default=0) if spec.type == "choice" else spec.low
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def warmup_warning(cfg: Config) -> str | None:
    """A warm-up at least as long as the run: epoch k of a w-epoch warm-up trains at
    lr * k/(w+1), so no epoch trains at the full rate (nor does the schedule after it run)."""
    from nntune.runner_build import MULTI_FIDELITY

    warmup = _least(cfg, "warmup_epochs")
    if warmup is None or warmup <= 0:
        return None
    budget = cfg.search.scheduler_options.get("max_resource")
    epochs = budget if cfg.search.scheduler in MULTI_FIDELITY and isinstance(budget, int) else _most_epochs(cfg)
    if warmup < epochs:
        return None
    where = "space" if "warmup_epochs" in cfg.space else "fixed"
    return (f"{where}.warmup_epochs is {'at least ' if where == 'space' else ''}{warmup:g} and a trial trains "
            f"at most {counted(epochs, 'epoch')}: the rate is still warming up when the run ends, it never "
            f"reaches lr; give warmup_epochs below {epochs}")


def unread_setting_warnings(cfg: Config) -> list[str]:
    """One line per setting the trainer reads in no trial of this study."""
    unread: dict[str, list[str]] = {}  # settings of one kind said together (CNN options beside an MLP)
    for name, (decider, readers) in READ_BY.items():
        found = _unread(cfg, name, decider, readers)
        if found is not None:
            unread.setdefault(found[1], []).append(found[0])
    lines = [_said(fields, reason) for reason, fields in unread.items()]
    return [line for line in (*lines, warmup_warning(cfg)) if line]


def unread_setting_warning(cfg: Config) -> str | None:
    """Every setting no trial of the study reads, in one line (None when all are read): a
    searched one spends the sampler's trials on a dimension that changes nothing."""
    return "; ".join(unread_setting_warnings(cfg)) or None
