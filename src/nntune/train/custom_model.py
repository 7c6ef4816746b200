"""A model of the user's own, trained by nntune's loop like a built-in one.

``model: "mymodels:Net"`` (a module on the path, or ``"path/to/file.py:Net"`` relative to
where nntune runs) names a callable, a function or an ``nn.Module`` class, called as
``Net(input_shape, n_outputs, **hyperparameters)``: the input shape without the batch
dimension (``(64,)``, ``(1, 28, 28)``), the number of outputs (classes, or 1 for a
regression), and the model's own hyperparameters. Those are the keyword parameters it
declares after the first two (``def __init__(self, input_shape, n_outputs, *, hidden=64,
dropout=0.0)``): a config may search or fix them like the trainer's own, a name that is
neither is still refused (a ``**kwargs`` gets none: each name is declared), and a parameter
not given keeps the builder's default. The values of a name it declares that only the
built-in models read otherwise (``activation: silu``) are its own to accept. The name
is plain text, so a study's storage, worker processes and Ray actors rebuild the model from
it. Everything else (optimizer, learning rate and its schedule, batch size, epochs, L1/L2,
gradient clipping, initialization, early stopping, the records and diagnosis, PBT's
checkpoints, the sealed test) is the trainer's as for ``mlp`` or ``cnn``. Its output
layer, which ``freeze_backbone`` and ``backbone_lr_mult`` leave at full rate, is its
``head`` module or else its last module with parameters; before a study is written the
model answers one batch of two zero inputs, and anything but one tensor of shape
``(batch, n_outputs)`` is refused in one line (:func:`check_forward`).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nntune.exceptions import ConfigError

if TYPE_CHECKING:  # torch is imported where a model is built: the config's checks of names need none of it
    from torch import nn

Builder = Callable[..., "nn.Module"]


def is_custom(name: Any) -> bool:
    """Whether a model name points at the user's own code (``module:attr``)."""
    return isinstance(name, str) and ":" in name


@functools.lru_cache(maxsize=64)
def _load(name: str, cwd: str, mtime: float | None) -> Builder:
    where, _, attr = name.rpartition(":")
    if not where or not attr:
        raise ConfigError("model", f"{name!r}: expected module:name or file.py:name")
    if where.endswith(".py"):
        path = Path(where) if Path(where).is_absolute() else Path(cwd) / where
        if not path.is_file():
            raise ConfigError("model", f"{name!r}: no such file {path}")
        spec = importlib.util.spec_from_file_location(f"nntune_user_model_{abs(hash(str(path)))}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as err:
            raise ConfigError("model", f"{name!r}: {path} fails to import: {type(err).__name__}: {err}") from err
    else:
        if cwd not in sys.path:  # a module beside the config, as `python -m` would find it
            sys.path.append(cwd)
        try:
            module = importlib.import_module(where)
        except ImportError as err:
            raise ConfigError("model", f"{name!r}: cannot import {where}: {err}") from err
    builder = getattr(module, attr, None)
    if not callable(builder):
        # Where it was found: the working folder comes last on the path, so an installed
        # module of the same name (the standard library's `test`) wins over the user's file.
        found = getattr(module, "__file__", None)
        shadowed = found and Path(found).parent != Path(cwd) and not where.endswith(".py")
        elsewhere = f" (read from {found})" if shadowed else ""
        raise ConfigError("model", f"{name!r}: {where} has no function or class named {attr}{elsewhere}")
    own_parameters(builder, name)  # a builder that cannot take the two arguments fails here
    return builder


def load_builder(name: str) -> Builder:
    """The callable ``name`` points at, imported once per process and working folder (a
    ``file.py`` again when the file changed, as it does while a notebook's model is edited)."""
    cwd = os.getcwd()
    where = name.rpartition(":")[0]
    mtime = None
    if where.endswith(".py"):
        path = Path(where) if Path(where).is_absolute() else Path(cwd) / where
        mtime = path.stat().st_mtime if path.is_file() else None
    return _load(name, cwd, mtime)


def own_parameters(builder: Builder, name: str = "model") -> dict[str, Any]:
    """The model's own hyperparameters: the builder's parameters after ``input_shape`` and
    ``n_outputs``, by name, with their defaults (``inspect.Parameter.empty`` when required)."""
    try:
        params = list(inspect.signature(builder).parameters.values())
    except (TypeError, ValueError) as err:
        raise ConfigError("model", f"{name!r}: cannot read its parameters: {err}") from err
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < 2 and not any(p.kind == p.VAR_POSITIONAL for p in params):
        raise ConfigError("model", f"{name!r} must take (input_shape, n_outputs, **hyperparameters), "
                                   f"takes ({', '.join(p.name for p in params)})")
    own = positional[2:] + [p for p in params if p.kind == p.KEYWORD_ONLY]
    return {p.name: p.default for p in own}


def takes_any_keyword(name: str) -> bool:
    """Whether the builder of ``name`` has a ``**kwargs`` parameter. nntune passes it only the
    names declared one by one (a ``**kwargs`` taking every name would also swallow a misspelt
    trainer name, ``optimiser``, that the config refuses), so that parameter gets nothing."""
    try:
        params = inspect.signature(load_builder(name)).parameters.values()
    except (ConfigError, TypeError, ValueError):
        return False
    return any(p.kind == p.VAR_KEYWORD for p in params)


def model_hyperparameters(name: str) -> frozenset[str]:
    """The names the model ``name`` takes, for the config's check of hyperparameter names."""
    return frozenset(own_parameters(load_builder(name), name))


# The names only the built-in models' builders read (the trainer's loop reads the others,
# lr, init, dropout, loss, ..., whatever the model): a model of the user's own that declares
# one takes whatever values its builder accepts (``activation: silu``), not the built-in list.
BUILT_IN_MODEL_NAMES: frozenset[str] = frozenset({
    "activation", "pool", "layers", "units", "batchnorm", "conv_layers", "filters", "filters_growth",
    "kernel_size", "stride", "padding"})


def builder_decides(model: Any, name: str) -> bool:
    """Whether the values of ``name`` are the business of ``model``'s own builder: a model
    of the user's own that declares this name, which otherwise only built-in models read."""
    if not is_custom(model) or name not in BUILT_IN_MODEL_NAMES:
        return False
    try:
        return name in model_hyperparameters(model)
    except ConfigError:  # a model that cannot be loaded: its own check says so, naming its field
        return False


def build_custom(name: str, params: Mapping[str, Any], input_shape: Sequence[int], n_outputs: int) -> nn.Module:
    """The model ``name`` built with the hyperparameters it declares, taken from ``params``."""
    from torch import nn
    from torch.nn.parameter import is_lazy

    builder = load_builder(name)
    own = own_parameters(builder, name)
    missing = [p for p, default in own.items() if default is inspect.Parameter.empty and p not in params]
    if missing:
        raise ConfigError("model", f"{name!r} needs {', '.join(missing)}; give it in fixed or space")
    given = {p: params[p] for p in own if p in params}
    try:
        model = builder(tuple(int(d) for d in input_shape), int(n_outputs), **given)
    except ConfigError:
        raise
    except Exception as err:  # the user's own code: one line naming it, not a traceback
        shown = ", ".join(f"{k}={v!r}" for k, v in given.items())
        raise ConfigError("model", f"{name!r} fails to build{f' with {shown}' if shown else ''}: "
                                   f"{first_line(err)}") from err
    if not isinstance(model, nn.Module):
        raise ConfigError("model", f"{name!r} returned {type(model).__name__}, not a torch.nn.Module")
    if any(is_lazy(p) for p in model.parameters()):
        # nn.LazyLinear and kin take their shapes from a first batch, as PyTorch's docs do it
        # with a dry run: before the trainer initializes, counts or optimizes them.
        check_forward(model, name, input_shape, None)
    return model


def first_line(err: BaseException) -> str:
    """``Type: message`` of an exception, its message cut to one line."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__


def check_forward(model: nn.Module, name: str, input_shape: Sequence[int], n_outputs: int | None) -> None:
    """Run ``model`` on a batch of two zero inputs (no gradients) and refuse, in one line, an
    output the trainer cannot use: the loss needs one floating-point tensor of shape
    ``(batch, n_outputs)`` (a regression's ``(batch,)`` too), not a tuple or a dict of them,
    so such a model would otherwise fail every trial with an error from deep in the loss.
    It answers in eval mode, then in training mode, which the loss sees (torchvision's
    GoogLeNet and Inception add auxiliary logits there); its buffers (batch-norm statistics)
    and the random streams are left as they were. ``n_outputs=None`` only runs it once in
    eval mode (lazy modules take their shapes)."""
    batch = (2, *(int(d) for d in input_shape))
    out = answer(model, name, batch, training=False)
    if n_outputs is None:
        return
    check_output(out, name, n_outputs, "")
    check_output(answer(model, name, batch, training=True), name, n_outputs, " in training mode")


def answer(model: nn.Module, name: str, batch: tuple[int, ...], *, training: bool) -> Any:
    """The model's output for a batch of zeros in the given mode, everything it changes undone."""
    import torch

    was_training = model.training
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    buffers = {key: b.detach().clone() for key, b in model.named_buffers()} if training else {}
    try:
        model.train(training)
        with torch.no_grad(), torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            return model(torch.zeros(batch, device=device))
    except Exception as err:
        mode = " in training mode" if training else ""
        raise ConfigError("model", f"{name!r} fails{mode} on a batch of shape {batch}: {first_line(err)}") from err
    finally:
        model.train(was_training)
        with torch.no_grad():
            for key, b in model.named_buffers():
                if key in buffers:
                    b.copy_(buffers[key])


def check_output(out: Any, name: str, n_outputs: int, mode: str) -> None:
    """A ConfigError unless ``out`` is what the loss takes; ``mode`` says when it answered so."""
    import torch

    wanted = f"one tensor of shape (batch, {n_outputs})"
    if not isinstance(out, torch.Tensor):
        raise ConfigError("model", f"{name!r} returns a {type(out).__name__}{mode}; its forward must return "
                                   f"{wanted} (the {'logits' if n_outputs > 1 else 'prediction'})")
    fits = tuple(out.shape) == (2, n_outputs) or (n_outputs == 1 and tuple(out.shape) == (2,))
    if not fits:
        raise ConfigError("model", f"{name!r} returns shape {tuple(out.shape)}{mode} for a batch of 2; the task "
                                   f"needs {wanted}")
    if not out.is_floating_point():  # class labels (an argmax) give the loss nothing to differentiate
        raise ConfigError("model", f"{name!r} returns {str(out.dtype).removeprefix('torch.')} values{mode}; its "
                                   f"forward must return floating-point "
                                   f"{'logits' if n_outputs > 1 else 'predictions'}")
