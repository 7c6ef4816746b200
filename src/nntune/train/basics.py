"""The trainer's small pure helpers, shared by the solo loop (:mod:`nntune.train.loop`) and
the stack (:mod:`nntune.train.stack`): hyperparameters over their defaults, the device,
batch sizes and starts, input and output shapes, losses, and prediction and evaluation
without gradients."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nntune.exceptions import ConfigError, NonFiniteOutputs
from nntune.train.custom_model import builder_decides
from nntune.train.schema import check_hyperparameters
from nntune.train.metrics import confusion, predictions_numpy, scores, targets_numpy
from nntune.train.models import MODEL_DEFAULTS
from nntune.train.optim import OPTIM_DEFAULTS, OPTIMIZERS, default_lr, pick
from nntune.train.splits import Splits

LOOP_DEFAULTS: dict[str, Any] = {
    "epochs": 10,
    "batch_size": 64,
    "early_stopping": False,
    "patience": 5,
    "min_delta": 0.0,
    "grad_clip": 0.0,
    "amp": False,
    "huber_delta": 1.0,
}
LOSSES = {"classification": ("cross_entropy", "mse"), "regression": ("mse", "mae", "huber")}
EVAL_BATCH = 4096


def resolve_params(params: Mapping[str, Any], task_type: str) -> dict[str, Any]:
    """``params`` over the defaults, with plain Python values (storable and JSON-safe)."""
    hp = {**MODEL_DEFAULTS, **OPTIM_DEFAULTS, **LOOP_DEFAULTS, **{k: plain(v) for k, v in params.items()}}
    if hp.get("lr") is None:
        hp["lr"] = default_lr(pick(hp, "optimizer", OPTIMIZERS))
    if hp.get("loss") is None:
        hp["loss"] = LOSSES[task_type][0]
    if hp["loss"] not in LOSSES[task_type]:
        raise ConfigError("loss", f"unknown {hp['loss']!r} for {task_type}; choose from {', '.join(LOSSES[task_type])}")
    # The config's own table: a value it refuses, fit refuses; but a name that a model of
    # the user's own declares and only built-in models read (``padding: reflect``) takes
    # whatever that model's builder takes.
    check_hyperparameters(hp, [name for name in hp if not builder_decides(hp["model"], name)])
    return hp


def check_names(params: Mapping[str, Any]) -> None:
    """A name that neither the trainer nor the model takes (``optimiser``, ``learning_rate``)
    is refused as the config refuses it, not left silently unused (``fit`` and ``fit_stack``)."""
    from nntune.config import HYPERPARAMETERS, is_hyperparameter  # the config imports the trainer
    from nntune.config_checks import _unknown
    from nntune.train.custom_model import is_custom, model_hyperparameters

    model = params.get("model")
    own = {p: str(model) for p in model_hyperparameters(model)} if is_custom(model) else {}
    for name in params:
        if not is_hyperparameter(name) and name not in own:
            raise _unknown(name, name, own, HYPERPARAMETERS, [model])


def plain(value: Any) -> Any:
    """numpy scalars and tuples turned into Python numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def derive_seed(seed: int, stream: int) -> int:
    """An independent 63-bit seed per purpose (initialization, batch order) from one seed."""
    return int(np.random.SeedSequence([seed, stream]).generate_state(2, np.uint64)[0] >> np.uint64(1))


def pick_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_batch_size(value: Any, n_train: int) -> int:
    """``"full"`` means the whole training set; 1 is pure stochastic gradient descent."""
    if value == "full":
        return n_train
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError("batch_size", f"must be an integer >= 1 or 'full', got {value!r}")
    return min(value, n_train)


def float_inputs(x: Tensor) -> Tensor:
    """float64 inputs (numpy's default, so ``torch.tensor(array)``'s too) as float32, the
    models' own type; any other tensor as it is (a model of your own may take token ids)."""
    return x.float() if x.dtype == torch.float64 else x


def model_input_shape(splits: Splits, eval_transform: Callable[[Tensor], Tensor] | None) -> tuple[int, ...]:
    """The input a model is built for: one sample as the evaluation transform leaves it
    (224x224 after a resize), which is also the size of the augmented training batches."""
    if eval_transform is None:
        return tuple(splits.input_shape)
    return tuple(eval_transform(splits.x_train[:1]).shape[1:])


def eval_batch_size(train_batch: int, transformed: bool) -> int:
    """Rows per forward pass when evaluating. A transformed (enlarged) batch is kept to the
    training batch size: that fits in memory with gradients, so it fits without them."""
    return min(EVAL_BATCH, train_batch) if transformed else EVAL_BATCH


def batch_starts(n_train: int, batch_size: int, has_batchnorm: bool) -> list[int]:
    """Start index of each mini-batch; batch norm cannot train on a last batch of one sample."""
    starts = list(range(0, n_train, batch_size))
    if has_batchnorm and len(starts) > 1 and n_train - starts[-1] == 1:
        starts.pop()
    return starts


def count_outputs(splits: Splits) -> int:
    if splits.task_type == "classification":
        return splits.n_classes or int(splits.y_train.max()) + 1
    return 1 if splits.y_train.dim() == 1 else int(splits.y_train.shape[1])


def make_loss(name: str, task_type: str, n_classes: int, huber_delta: float) -> Callable[[Tensor, Tensor], Tensor]:
    """Mean loss of a batch; classification ``mse`` compares the softmax with the one-hot target."""
    if task_type == "classification":
        if name == "cross_entropy":
            return F.cross_entropy
        return lambda out, y: F.mse_loss(out.float().softmax(-1), F.one_hot(y, n_classes).float())
    regression = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": lambda o, t: F.huber_loss(o, t, delta=huber_delta)}
    fn = regression[name]
    return lambda out, y: fn(out.float().view_as(y), y)


def predict(model: nn.Module, x: Tensor, *, amp: bool = False, batch: int = EVAL_BATCH,
            transform: Callable[[Tensor], Tensor] | None = None) -> Tensor:
    """Raw outputs for ``x`` in eval mode (dropout off, batch-norm running statistics), on
    ``x``'s device: each batch runs where the model's parameters are, so a model trained on a
    GPU predicts a split held on the CPU.

    ``transform`` (e.g. a resize to 224x224) is applied batch by batch on the model's device,
    so the enlarged copy of a whole split never exists at once.
    """
    x = float_inputs(x)
    model.eval()
    dev = next(model.parameters(), x).device  # a model without parameters runs where x is
    autocast = torch.autocast(dev.type, dtype=torch.float16) if amp else nullcontext()
    prepare = transform if transform is not None else (lambda xb: xb)
    with torch.no_grad(), autocast:
        out = torch.cat([model(prepare(x[i : i + batch].to(dev))).float() for i in range(0, len(x), batch)])
    return out.to(x.device)


def evaluate(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    task_type: str,
    metrics: str | Sequence[str],
    n_classes: int = 0,
    target_mean: float = 0.0,
    target_std: float = 1.0,
    device: str | torch.device | None = None,
    transform: Callable[[Tensor], Tensor] | None = None,
    batch: int = EVAL_BATCH,
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Each metric as a float (regression in original units) and, for classification,
    ``"confusion_matrix"`` (rows: true class, columns: predicted class). ``transform`` is
    the evaluation transform the model was validated with (see :func:`fit`); ``options``
    are the binary metrics' ``positive`` class and fbeta's ``beta``."""
    dev = pick_device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    outputs = predict(model.to(dev), x.to(dev), batch=batch, transform=transform)
    model.train(was_training)
    bad = int((~torch.isfinite(outputs.reshape(len(outputs), -1))).any(dim=1).sum()) if len(outputs) else 0
    if bad:
        raise NonFiniteOutputs(f"the model's outputs are NaN or infinite for {bad} of {len(outputs)} samples, "
                               "so its metrics cannot be measured there")
    if task_type == "regression":
        outputs = outputs.view_as(y)
    y_true = targets_numpy(y, task_type, target_mean, target_std)
    y_pred = predictions_numpy(outputs, task_type, target_mean, target_std)
    names = [metrics] if isinstance(metrics, str) else metrics  # "accuracy" is one metric, not eight letters
    result: dict[str, Any] = scores(names, task_type, y_true, y_pred, n_classes, **(options or {}))
    if task_type == "classification":
        result["confusion_matrix"] = confusion(y_true, y_pred, n_classes or int(max(y_true.max(), y_pred.max())) + 1)
    return result
