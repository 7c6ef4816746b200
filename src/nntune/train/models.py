"""Model builders for the trainer: an MLP, a small CNN and torchvision ResNets.

Every builder reads the flat hyperparameter dict. Layers get readable names (``fc1``,
``act1``, ``conv2``, ``head``) because those names appear in per-layer statistics and in
the model summary. The output layer of every model is reachable by :func:`head_name`, so
the optimizer can freeze or slow down everything else (transfer learning).
"""

from __future__ import annotations

import numbers
import pickle
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.cnn_plan import plan_cnn
from nntune.train.custom_model import build_custom, is_custom
from nntune.train.summary import format_summary, summarize

MODELS = ("mlp", "cnn", "resnet18", "resnet34", "resnet50")
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
POOLS = ("max", "avg", "none")
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)

MODEL_DEFAULTS: dict[str, Any] = {
    "model": "mlp",
    "layers": 2,
    "units": 128,
    "activation": "relu",
    "batchnorm": False,
    "dropout": 0.0,
    "conv_layers": 2,
    "filters": 16,
    "filters_growth": 2.0,
    "kernel_size": 3,
    "stride": 1,
    "padding": "same",
    "pool": "max",
    "pretrained_weights": None,
    "freeze_backbone": False,
    "backbone_lr_mult": 1.0,
}


def choice(params: Mapping[str, Any], key: str, options: Sequence[str]) -> str:
    """``params[key]`` if it is one of ``options``, else a ConfigError naming the key."""
    value = params.get(key, MODEL_DEFAULTS.get(key))
    if value not in options:
        raise ConfigError(key, f"unknown {value!r}; choose from {', '.join(options)}")
    return str(value)


def positive_int(params: Mapping[str, Any], key: str, *, allow_zero: bool = False) -> int:
    value = params.get(key, MODEL_DEFAULTS.get(key))
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise ConfigError(key, f"must be an integer >= {0 if allow_zero else 1}, got {value!r}")
    return value


def dropout_rate(params: Mapping[str, Any]) -> float:
    value = params.get("dropout", 0.0)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value < 1.0:
        raise ConfigError("dropout", f"must be in [0, 1), got {value!r}")
    return float(value)


def activation(params: Mapping[str, Any]) -> nn.Module:
    return ACTIVATIONS[choice(params, "activation", tuple(ACTIVATIONS))]()


def hidden_units(params: Mapping[str, Any], n_layers: int) -> list[int]:
    """``units`` as one width per hidden layer (an int means the same width everywhere)."""
    units = params.get("units", MODEL_DEFAULTS["units"])
    widths = [units] * n_layers if isinstance(units, int) else list(units)
    if len(widths) != n_layers or any(not isinstance(w, int) or w < 1 for w in widths):
        raise ConfigError("units", f"need {n_layers} positive integers (one per hidden layer), got {units!r}")
    return widths


def dense_units(params: Mapping[str, Any]) -> int:
    """A CNN's ``units``: the width of its one hidden dense layer. The list form is the
    mlp's (one width per hidden layer), so a list here is refused saying why."""
    units = params.get("units", MODEL_DEFAULTS["units"])
    if isinstance(units, (list, tuple)):
        raise ConfigError("units", f"a cnn has one hidden dense layer; give one integer >= 1, got {units!r}")
    return positive_int(params, "units")


def build_mlp(params: Mapping[str, Any], input_shape: Sequence[int], n_outputs: int) -> nn.Sequential:
    n_layers = positive_int(params, "layers", allow_zero=True)
    p_drop = dropout_rate(params)
    use_bn = bool(params.get("batchnorm", False))
    # Feature vectors need no Flatten module (one module call less per step); images do.
    blocks: OrderedDict[str, nn.Module] = OrderedDict(flatten=nn.Flatten()) if len(input_shape) > 1 else OrderedDict()
    width = int(torch.Size(input_shape).numel())
    for i, units in enumerate(hidden_units(params, n_layers), start=1):
        blocks[f"fc{i}"] = nn.Linear(width, units)
        if use_bn:
            blocks[f"bn{i}"] = nn.BatchNorm1d(units)
        blocks[f"act{i}"] = activation(params)
        if p_drop > 0:
            blocks[f"drop{i}"] = nn.Dropout(p_drop)
        width = units
    blocks["head"] = nn.Linear(width, n_outputs)
    return nn.Sequential(blocks)


class SameConv2d(nn.Conv2d):
    """``padding="same"`` with an even kernel: the input padded one pixel more on the right
    and bottom, as PyTorch pads it, but by an explicit zero pad, so that PyTorch has no
    warning to print in the middle of a study's output; weights and output are nn.Conv2d's."""

    def _conv_forward(self, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        padded = nn.functional.pad(input, self._reversed_padding_repeated_twice)
        return nn.functional.conv2d(padded, weight, bias, self.stride, 0, self.dilation, self.groups)


def build_cnn(params: Mapping[str, Any], input_shape: Sequence[int], n_outputs: int) -> nn.Sequential:
    """Conv blocks as :func:`~nntune.train.cnn_plan.plan_cnn` lays them out (kernel and
    stride per block, ``filters_growth`` a factor or ``auto``), then a hidden dense layer."""
    if len(input_shape) != 3:
        raise ConfigError("model", f"cnn needs image input (C, H, W), got shape {tuple(input_shape)}")
    pool = choice(params, "pool", POOLS)
    plan = plan_cnn(params, input_shape, n_blocks=positive_int(params, "conv_layers"),
                    filters=positive_int(params, "filters"), pool=pool)
    use_bn = bool(params.get("batchnorm", False))
    blocks: OrderedDict[str, nn.Module] = OrderedDict()
    for b in plan:
        i = b.index
        conv = SameConv2d if b.padding == "same" and b.kernel % 2 == 0 else nn.Conv2d
        blocks[f"conv{i}"] = conv(b.in_channels, b.out_channels, b.kernel, stride=b.stride, padding=b.padding)
        if use_bn:
            blocks[f"bn{i}"] = nn.BatchNorm2d(b.out_channels)
        blocks[f"act{i}"] = activation(params)
        if b.pooled:
            blocks[f"pool{i}"] = nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2)
    last = plan[-1]
    blocks["flatten"] = nn.Flatten()
    blocks["fc"] = nn.Linear(last.out_channels * last.out_hw[0] * last.out_hw[1], dense_units(params))
    blocks["act_fc"] = activation(params)
    p_drop = dropout_rate(params)
    if p_drop > 0:
        blocks["drop_fc"] = nn.Dropout(p_drop)
    blocks["head"] = nn.Linear(blocks["fc"].out_features, n_outputs)
    return nn.Sequential(blocks)


def build_resnet(params: Mapping[str, Any], input_shape: Sequence[int], n_outputs: int) -> nn.Module:
    import torchvision

    if len(input_shape) != 3:
        raise ConfigError("model", f"{params['model']} needs image input (C, H, W), got shape {tuple(input_shape)}")
    model = getattr(torchvision.models, params["model"])(weights=None)
    if input_shape[0] != 3:
        old = model.conv1
        model.conv1 = nn.Conv2d(input_shape[0], old.out_channels, old.kernel_size, old.stride, old.padding, bias=False)
    p_drop = dropout_rate(params)
    head = nn.Linear(model.fc.in_features, n_outputs)
    model.fc = nn.Sequential(OrderedDict(drop=nn.Dropout(p_drop), out=head)) if p_drop > 0 else head
    return model


def head_name(model: nn.Module) -> str:
    """Name of the output layer: ``fc`` for torchvision ResNets, ``head`` for nntune's own
    and for a model of the user's own that names one so; else the last module with
    parameters of its own (``out``, or ``3`` in an ``nn.Sequential``), which is where a
    network's output layer sits. Without that fallback, ``freeze_backbone`` would freeze a
    whole model of the user's own and ``backbone_lr_mult`` would slow all of it."""
    if hasattr(model, "fc") and hasattr(model, "layer1"):
        return "fc"
    if isinstance(getattr(model, "head", None), nn.Module):
        return "head"
    owners = [name for name, module in model.named_modules()
              if name and next(module.parameters(recurse=False), None) is not None]
    return owners[-1] if owners else "head"


def is_head_parameter(model: nn.Module, parameter_name: str) -> bool:
    return parameter_name.startswith(head_name(model) + ".")


def load_pretrained(model: nn.Module, path: str | Path, *, whole_backbone: bool = True) -> None:
    """Load a local state-dict file into ``model``, skipping tensors whose shape differs.

    The skipped tensors are the old head (another number of classes), so the task gets a
    fresh head. A first convolution trained on RGB is summed over its colour channels when
    the data has one channel. A file written by nntune's checkpoints (``{"model": ...}``)
    works too, and so does one that keeps them under ``state_dict`` (Lightning's). With
    ``whole_backbone`` (the built-in models) every weight outside the head must come from
    the file; a model of the user's own may take part of it (an encoder).
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError("pretrained_weights", f"no such file: {file}")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except (EOFError, RuntimeError, ValueError, OSError, pickle.UnpicklingError) as err:
        # An EOFError (an empty file) would otherwise reach the command line as an abort.
        why = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ConfigError("pretrained_weights", f"cannot read {file} as PyTorch weights: {why}") from None
    # nntune's checkpoints and model files keep the weights under "model"; Lightning's and
    # many published checkpoints under "state_dict".
    if isinstance(state, dict):
        wrapped = next((k for k in ("model", "state_dict") if isinstance(state.get(k), dict)), None)
        state = state[wrapped] if wrapped is not None else state
    if not isinstance(state, Mapping):
        raise ConfigError("pretrained_weights", f"{file} holds a {type(state).__name__}, not a state dict")
    own = model.state_dict()
    usable: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        if key not in own or not isinstance(tensor, torch.Tensor):
            continue
        if tensor.shape == own[key].shape:
            usable[key] = tensor
        elif tensor.dim() == 4 and own[key].shape[1] == 1 and tensor.shape[0] == own[key].shape[0] and tensor.shape[2:] == own[key].shape[2:]:
            usable[key] = tensor.sum(dim=1, keepdim=True)
    if not usable:
        raise ConfigError("pretrained_weights", f"no tensor in {file} fits model {type(model).__name__}")
    if whole_backbone:
        check_backbone_filled(model, usable, file)
    model.load_state_dict(usable, strict=False)


def check_backbone_filled(model: nn.Module, usable: Mapping[str, torch.Tensor], file: Path) -> None:
    """Refuse weights that leave part of a built-in model's backbone at random: ResNet-18's
    file read into a ResNet-50 fits 98 of its tensors by name and shape (the stem, the batch
    norms), and the rest would train from scratch, silently, as if pretrained."""
    head = head_name(model) + "."
    backbone = [name for name, _ in model.named_parameters() if not name.startswith(head)]
    left = [name for name in backbone if name not in usable]
    if left:
        shape = tuple(model.get_parameter(left[0]).shape)
        raise ConfigError("pretrained_weights", f"{file} fills {len(backbone) - len(left)} of the {len(backbone)} "
                                                f"weight tensors of the model's backbone (none fits {left[0]}, shape "
                                                f"{shape}); are they another network's weights?")


# The ``dropout`` each model :func:`build_model` made was built with. A model of the user's
# own may give its ``dropout`` to some Dropout modules only, or not declare it and keep rates
# of its own: setting every module to the rate it was built with (a resumed run's) would
# change what its builder made, and switch its own dropout off at the trainer's default 0.
BUILT_DROPOUT: weakref.WeakKeyDictionary[nn.Module, Any] = weakref.WeakKeyDictionary()


def set_dropout(model: nn.Module, p: float) -> None:
    """Set every Dropout module's rate, so a changed run's new ``dropout`` really is used. A
    built-in model built without dropout first gets its Dropout modules where its builder
    puts them (a model of your own keeps the ones it has). The rate a model was built with
    changes nothing: its builder has used it."""
    if model in BUILT_DROPOUT and BUILT_DROPOUT[model] == p:
        return
    if p > 0 and not any(isinstance(module, nn.Dropout) for module in model.modules()):
        add_dropout(model)
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = p
    BUILT_DROPOUT[model] = p


def add_dropout(model: nn.Module) -> None:
    """Dropout modules (rate 0 until set) where :func:`build_model` puts them for a positive
    ``dropout``: after each hidden activation of an mlp, after a cnn's dense layer, before a
    ResNet's output layer. The weights keep their names, so checkpoints and model files
    still fit: a ResNet's ``fc`` stays itself, its input dropped out by a hook."""
    if isinstance(model, nn.Sequential) and "head" in model._modules:  # nntune's mlp and cnn
        after = _dropout_after(model)
        children = list(model.named_children())
        for name, _ in children:
            del model._modules[name]
        for name, module in children:  # in order again, each activation followed by its dropout
            model.add_module(name, module)
            if name in after:
                model.add_module("drop" + name[3:], nn.Dropout(0.0))
    elif type(model).__name__ == "ResNet" and isinstance(getattr(model, "fc", None), nn.Linear):
        model.add_module("drop_fc", nn.Dropout(0.0))
        model.fc.register_forward_pre_hook(DropInput(model.drop_fc))


def _dropout_after(model: nn.Sequential) -> list[str]:
    """The activations of nntune's mlp or cnn that a Dropout follows: a cnn's dense one, an
    mlp's hidden ones (none for an mlp without hidden layers)."""
    names = list(model._modules)
    return ["act_fc"] if "act_fc" in names else [n for n in names if n.startswith("act") and n[3:].isdigit()]


def takes_dropout(model: nn.Module) -> bool:
    """Whether a rate given by :func:`set_dropout` acts on ``model``: it has Dropout modules,
    or it is a built-in model that gains them (:func:`add_dropout`). A model of the user's
    own without any, or an mlp without hidden layers, has no place for one."""
    if any(isinstance(module, nn.Dropout) for module in model.modules()):
        return True
    if isinstance(model, nn.Sequential) and "head" in model._modules:
        return bool(_dropout_after(model))
    return type(model).__name__ == "ResNet" and isinstance(getattr(model, "fc", None), nn.Linear)


class DropInput:
    """A forward pre-hook that drops out a layer's input. An object, not a closure, so that a
    deep copy of the model (best weights kept, an ensemble member) drops out through its own
    copy of the Dropout module rather than the original's."""

    def __init__(self, drop: nn.Dropout) -> None:
        self.drop = drop

    def __call__(self, _layer: nn.Module, inputs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        return (self.drop(inputs[0]), *inputs[1:])


def renamed_head(state: Mapping[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """A ResNet's saved weights with its output layer named as in ``model``: ``fc`` without
    dropout, ``fc.out`` with it, so a checkpoint resumes with dropout switched on or off."""
    keys = set(model.state_dict())
    renamed = {}
    for key, value in state.items():
        if key not in keys and key.startswith("fc.out.") and "fc." + key[7:] in keys:
            key = "fc." + key[7:]
        elif key not in keys and key.startswith("fc.") and "fc.out." + key[3:] in keys:
            key = "fc.out." + key[3:]
        renamed[key] = value
    return renamed


def train_mode(model: nn.Module) -> None:
    """``model.train()``, except for a frozen batch norm (its scale and shift not trained, as
    in a frozen backbone): it keeps normalizing by its running statistics and leaves them as
    they are, so a frozen layer computes the same function all along (Keras's
    ``trainable = False`` does the same). A trained batch norm learns its statistics as usual."""
    model.train()
    for module in model.modules():
        if isinstance(module, BATCH_NORMS) and module.weight is not None and not module.weight.requires_grad:
            module.eval()


def build_model(
    params: Mapping[str, Any],
    input_shape: Sequence[int],
    n_outputs: int,
    *,
    generator: torch.Generator | None = None,
    pretrained: bool = True,
) -> nn.Module:
    """Build the model named by ``params["model"]`` for inputs of ``input_shape`` (no batch dim):
    a built-in one, or the user's own (``module:Name``, :mod:`nntune.train.custom_model`),
    whose declared trainer names (``dropout``) not in ``params`` get the trainer's defaults.

    Weights are initialized with ``params["init"]`` (see :func:`nntune.train.optim.init_weights`)
    drawing from ``generator``; then ``pretrained_weights`` (a local file) is loaded over them,
    except for the head, which stays fresh for the task's ``n_outputs``. ``pretrained=False``
    skips that file: trained weights are about to replace them all (a model file, a
    checkpoint), and the file need not exist where the model is loaded again.
    """
    from nntune.train.optim import init_weights

    if is_custom(params.get("model")):  # the user's own module: its builder, then the same init
        model = build_custom(params["model"], {**trainer_defaults(), **params}, input_shape, n_outputs)
    else:
        name = choice(params, "model", MODELS)
        builders = {"mlp": build_mlp, "cnn": build_cnn}
        model = builders.get(name, build_resnet)({**MODEL_DEFAULTS, **params, "model": name}, input_shape, n_outputs)
    init_weights(model, params, generator=generator)
    BUILT_DROPOUT[model] = params.get("dropout", MODEL_DEFAULTS["dropout"])
    if pretrained and params.get("pretrained_weights"):
        load_pretrained(model, params["pretrained_weights"], whole_backbone=not is_custom(params.get("model")))
    if bool(params.get("freeze_backbone", False)):
        # Frozen here, not first by the optimizer, so that the model's summary (the dry run,
        # each trial's record) counts only the head as trainable.
        head = head_name(model) + "."
        for name, parameter in model.named_parameters():
            if not name.startswith(head):
                parameter.requires_grad_(False)
    return model


def trainer_defaults() -> dict[str, Any]:
    """The trainer's default of every hyperparameter that has one (a model, a checkpoint and
    a model file are rebuilt from the values a trial gave, which leave the defaults out)."""
    from nntune.train.basics import LOOP_DEFAULTS
    from nntune.train.optim import OPTIM_DEFAULTS

    return {k: v for k, v in {**MODEL_DEFAULTS, **OPTIM_DEFAULTS, **LOOP_DEFAULTS}.items() if v is not None}


# The layer table (summary.py), importable from here.
__all__ = ["ACTIVATIONS", "BATCH_NORMS", "BUILT_DROPOUT", "MODELS", "MODEL_DEFAULTS", "POOLS", "DropInput",
           "activation", "add_dropout", "build_cnn", "build_mlp", "build_model", "build_resnet", "check_backbone_filled",
           "choice", "dense_units", "dropout_rate", "format_summary", "head_name", "hidden_units", "is_head_parameter",
           "load_pretrained", "positive_int", "renamed_head", "set_dropout", "summarize", "takes_dropout",
           "train_mode", "trainer_defaults"]
