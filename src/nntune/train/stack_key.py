"""What members of one stack must share: a configuration's structure key.

The key holds the structural values as the model builders read them, so configurations
that build the same model share a stack however their values are written: ``units: 8``
and ``units: [8]``, a kernel size given once or once per block, and an MLP's or a CNN's
values the other model type does not read (a CNN has no ``layers``; an MLP of no hidden
layer no ``units``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nntune.exceptions import ConfigError
from nntune.train.cnn_plan import per_block
from nntune.train.models import hidden_units, positive_int
from nntune.train.optim import OPTIMIZERS, number, pick

COMMON_KEYS = ("model", "activation", "batchnorm", "loss", "batch_size", "amp")
MLP_KEYS = ("layers", "units")
CNN_KEYS = ("conv_layers", "filters", "filters_growth", "kernel_size", "stride", "padding", "pool", "units")
OPTIMIZER_FAMILY = {
    "sgd": "sgd", "momentum": "sgd", "nesterov": "sgd",
    "adam": "adam", "adamw": "adam", "rmsprop": "rmsprop", "adagrad": "adagrad",
}
STACKABLE_MODELS = ("mlp", "cnn")
Key = tuple[tuple[str, Any], ...]


def frozen(value: Any) -> Any:
    return tuple(frozen(v) for v in value) if isinstance(value, (list, tuple)) else value


def built_values(hp: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``hp`` that have a form the model builder normalizes, in that form
    (a ConfigError naming the value the builder would refuse)."""
    if hp["model"] == "mlp":
        layers = positive_int(hp, "layers", allow_zero=True)
        return {"layers": layers, "units": tuple(hidden_units(hp, layers))}
    blocks = positive_int(hp, "conv_layers")
    return {"units": positive_int(hp, "units"), "kernel_size": tuple(per_block(hp, "kernel_size", blocks, 3)),
            "stride": tuple(per_block(hp, "stride", blocks, 1))}


def structure_key(hp: Mapping[str, Any], input_shape: Sequence[int], n_outputs: int) -> Key:
    """What members of one stack must share: model type, activation, batch norm, input and
    output shape, loss, batch size, AMP, the optimizer family (sgd, momentum and nesterov;
    adam and adamw; rmsprop; adagrad); for MLPs layers and units, for CNNs conv_layers,
    filters, filters_growth, kernel_size, stride, padding, pooling and the dense layer's
    units. Everything else (lr and its schedule, momentum, betas, eps, rho, weight decay,
    l1, dropout, grad_clip, huber_delta, init, seed, epochs, early stopping) may differ from
    member to member."""
    if hp["model"] not in STACKABLE_MODELS:
        raise ConfigError("model", f"only {', '.join(STACKABLE_MODELS)} can be stacked, got {hp['model']!r}")
    for key, ok in (("pretrained_weights", not hp.get("pretrained_weights")),
                    ("freeze_backbone", not hp.get("freeze_backbone")),
                    ("backbone_lr_mult", number(hp, "backbone_lr_mult", 1.0) == 1.0)):
        if not ok:
            raise ConfigError(key, "the stacked trainer trains every layer from scratch at one rate; use fit")
    built = built_values(hp)
    keys = COMMON_KEYS + (MLP_KEYS if hp["model"] == "mlp" else CNN_KEYS)
    return (
        ("input_shape", tuple(input_shape)),
        ("n_outputs", int(n_outputs)),
        ("optimizer_family", OPTIMIZER_FAMILY[pick(hp, "optimizer", OPTIMIZERS)]),
        *((key, built[key] if key in built else frozen(hp.get(key))) for key in keys),
    )


def structure_difference(ours: Key, theirs: Key, hp: Mapping[str, Any]) -> ConfigError:
    """The error for a member of ``hp`` (key ``theirs``) that cannot join a stack of key
    ``ours``, naming the first field that differs as the user wrote it: ``optimizer`` for
    the optimizer family."""
    name, mine = next((a, x) for (a, x), (_, y) in zip(ours, theirs) if x != y)
    if name == "optimizer_family":
        names = ", ".join(n for n, family in OPTIMIZER_FAMILY.items() if family == mine)
        return ConfigError("optimizer", f"{hp['optimizer']!r} cannot join a stack of {names}: members of one "
                                        "stack share the optimizer family")
    return ConfigError(name, "differs from the stack's structure; members of one stack share it")
