"""The tuned model as one file: its weights, the hyperparameters that rebuild it, and what
turns the data it was trained on into its inputs and its outputs into predictions.

``nntune tune`` writes the best trial's model (``models/STUDY.pt``) when it opens the test
split for it, and ``nntune export-model`` rebuilds it without opening that split. In Python,
:func:`load_model` gives it back as a module that takes inputs as the data loader produced
them (before normalization: features as in the file, pixels in [0, 1], or images laid out
as the data gave them) and returns logits for a classification, or predictions in the
target's own units for a regression; ``predict`` gives labels or numpy values, and
``predict_proba`` a classification's probabilities as scikit-learn's does.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nntune._files import write_atomic
from nntune._model_inputs import as_numbers, check_finite
from nntune.exceptions import ConfigError

FORMAT = "nntune-model/1"

# A class name as str() writes an integer label: "-3", "0", "12", never "007" or "+1" (those
# were text in the data, not numbers).
_INTEGER_NAME = re.compile(r"-?(?:0|[1-9][0-9]*)")


def class_labels(names: Sequence[str]) -> list[bool] | list[int] | list[str]:
    """The labels the classes had in the training data: booleans for the names False and
    True (a bool target), integers when every class name is one written out (a CSV or npz
    target of integers, digits, MNIST), else the names. Model files hold the names as text,
    so this reading also serves the files of earlier nntunes."""
    if sorted(str(n) for n in names) == ["False", "True"]:
        return [str(n) == "True" for n in names]
    if names and all(_INTEGER_NAME.fullmatch(str(n)) for n in names):
        return [int(n) for n in names]
    return [str(n) for n in names]


def save_model_file(path: str | Path, model: nn.Module, params: Mapping[str, Any], splits: Any, *,
                    study: str, trial: int, validation: float | None = None,
                    test: Mapping[str, Any] | None = None, resize: Sequence[int] | None = None,
                    data: Any = None, field: str | None = None, metric: str | None = None,
                    changes: Sequence[Mapping[str, Any]] = (),
                    continued_from: Mapping[str, int] | None = None) -> Path:
    """Write ``model`` (its state on the CPU) with everything :func:`load_model` needs;
    ``resize``: the (height, width) its evaluation batches were resized to; ``metric``: what
    ``validation`` is a value of (``accuracy``, ``loss``: the validation loss, ...);
    ``changes``: those its trial trained with (``nntune trial set``), oldest first, as
    ``{"epoch", "param", "old", "new", "who"}`` (epochs after ``epoch`` trained with ``new``);
    ``continued_from``: ``{"trial", "epoch"}`` when its trial started from another's weights
    (a fork, a resume, a PBT copy), whose epochs up to ``epoch`` trained with that trial's settings."""
    from nntune.train.basics import count_outputs

    info = splits.info if isinstance(getattr(splits, "info", None), Mapping) else {}
    payload = {
        "format": FORMAT,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "params": dict(params),  # as the trial started: its stored parameters, as Optuna's trial.params
        # What its last epochs trained with, and how it got there: a retrain from ``params``
        # alone would train another model than the one a changed trial's value describes.
        "final_params": final_params(params, changes),
        "changes": [dict(c) for c in changes],
        "continued_from": None if continued_from is None else dict(continued_from),
        "input_shape": [int(d) for d in splits.x_train.shape[1:]],
        "n_outputs": count_outputs(splits),
        "task_type": splits.task_type,
        "classes": [str(c) for c in info.get("classes", [])],
        "feature_names": list(info.get("feature_names", [])),
        "text_columns": info.get("text_columns"),  # a CSV's columns one-hot encoded (None: not known)
        "normalization": info.get("normalization"),
        "missing": info.get("missing"),  # the training split's fill for a missing feature, if any
        "load_options": dict(info.get("load_options") or {}),  # grayscale, resize, flatten of images
        "target": {"mean": float(splits.target_mean), "std": float(splits.target_std)},
        "resize": None if resize is None else [int(d) for d in resize],
        "data": data if isinstance(data, (str, Mapping)) else None,  # task.data: how new inputs are read
        "study": study,
        "trial": int(trial),
        "validation": validation,
        "metric": metric,
        "test": {k: v for k, v in (test or {}).items() if isinstance(v, (int, float, str))},
    }
    # Serialized in memory first: torch's zip writer turns a full disk into a RuntimeError
    # ("unexpected pos"), a plain write gives the OSError the one-line message names.
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return write_atomic(path, buffer.getvalue(), field=field)


def _flattened(meta: Mapping[str, Any]) -> bool:
    data = meta.get("data")
    return bool({**(data if isinstance(data, Mapping) else {}), **(meta.get("load_options") or {})}.get("flatten"))


def image_batch(x: np.ndarray, data: Any, options: Mapping[str, Any] | None) -> torch.Tensor:
    """A batch of images as an npz file's ``x`` gives them ((N, H, W), (N, C, H, W) or
    (N, H, W, C); integer pixels) as the model's inputs: laid out by the npz loader's rule,
    scaled, and grayscaled, resized and flattened as the training's images were
    (``options``: the model file's ``load_options``; ``data``: its ``task.data``)."""
    from nntune.train.data import _images_to_float
    from nntune.train.datasets import size_pair
    from nntune.train.datasets_npz import _inputs

    spec = {**(options or {}), **(data if isinstance(data, Mapping) else {})}
    images, _ = _inputs(x, "input")  # (3 or 4 axes: always images)
    size = size_pair(spec["resize"]) if spec.get("resize") is not None else None
    out = _images_to_float(images, bool(spec.get("grayscale", False)), size)
    return out.flatten(1) if spec.get("flatten") else out


def final_params(params: Mapping[str, Any], changes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``params`` with ``changes`` (oldest first) applied: what the last epoch trained with."""
    return {**params, **{c["param"]: c["new"] for c in changes}}


class TunedModel(nn.Module):
    """A tuned network between the data's normalization and the target's units. ``params``:
    the hyperparameters its trial started with; ``final_params``: those its last epoch
    trained with, after ``changes`` (each ``{"epoch", "param", "old", "new", "who"}``);
    ``continued_from``: ``{"trial", "epoch"}`` whose weights its trial started from, or None."""

    def __init__(self, network: nn.Module, shift: torch.Tensor, scale: torch.Tensor, target_mean: float,
                 target_std: float, *, task_type: str, classes: Sequence[str], params: Mapping[str, Any],
                 meta: Mapping[str, Any], resize: Sequence[int] | None = None,
                 fill: torch.Tensor | None = None, final_params: Mapping[str, Any] | None = None,
                 changes: Sequence[Mapping[str, Any]] = (),
                 continued_from: Mapping[str, int] | None = None) -> None:
        super().__init__()
        self.network = network
        self.register_buffer("shift", shift)
        self.register_buffer("scale", scale)
        self.register_buffer("fill", fill)  # task.data.missing mean or median: NaN features take it
        self.task_type = task_type
        self.target_mean, self.target_std = float(target_mean), float(target_std)
        self.classes = list(classes)
        self.params = dict(params)
        self.final_params = dict(params if final_params is None else final_params)
        self.changes = [dict(c) for c in changes]
        self.continued_from = None if continued_from is None else dict(continued_from)
        self.meta = dict(meta)
        self.resize = None if resize is None else [int(d) for d in resize]

    def forward(self, x: Any) -> torch.Tensor:
        """Logits (a classification) or target values (a regression) for ``x``: a tensor, a
        numpy array or nested lists, of any numeric dtype, or a pandas DataFrame of a table's
        rows (its columns by name, text ones one-hot as the training's were). Images may also
        come as the training data gave them: (N, H, W) or channels last (N, H, W, C), and
        integer pixels (uint8 scaled to [0, 1] as the loader scaled them)."""
        if hasattr(x, "columns") and hasattr(x, "to_numpy"):  # a DataFrame: read as nntune predict reads a CSV
            x = self._table_inputs(x)
        elif hasattr(x, "to_frame") and hasattr(x, "to_numpy"):  # a pandas Series
            x = self._series_inputs(x)
        x = as_numbers(x)
        x = self._as_trained(x)
        if getattr(getattr(x, "flags", None), "writeable", True) is False:
            # pandas' to_numpy(), np.load(mmap_mode="r"): torch warns of undefined behaviour
            # on a read-only array; the model only reads it, so read a copy
            x = x.copy()
        # as the network's float32: numpy's float64 would stop at the first layer
        x = torch.as_tensor(x, device=self.shift.device)
        x = x if x.dtype == self.shift.dtype else x.to(self.shift.dtype)
        self._check_shape(tuple(x.shape))
        if self.fill is not None:
            x = torch.where(torch.isnan(x), self.fill, x)
        x = (x - self.shift) / self.scale
        if self.resize is not None:  # as the validation and test batches were (beside random crops)
            from torchvision.transforms.v2 import functional as TF

            x = TF.resize(x, self.resize, antialias=True)
        out = self.network(x)
        if self.task_type == "regression":
            out = out * self.target_std + self.target_mean
            return out.squeeze(-1) if out.dim() > 1 and out.shape[-1] == 1 else out
        return out

    def _table_inputs(self, table: Any) -> torch.Tensor:
        from nntune.predict import table_inputs

        names = self.meta.get("feature_names")
        if not names:
            raise ValueError("the model was trained on inputs without column names; give an array, not a DataFrame")
        return table_inputs(table, names, self.meta.get("data"), fills=self.fill is not None,
                            text_columns=self.meta.get("text_columns"))

    def _series_inputs(self, row: Any) -> Any:
        """A Series labelled by the training's columns (``df.iloc[i]``, one row of a table) as
        a table of that one row, read by name as a DataFrame is; any other Series (a column,
        a list of numbers) as its values."""
        return self._table_inputs(row.to_frame().T) if self._names_a_row(row) else row.to_numpy()

    def _names_a_row(self, series: Any) -> bool:
        known = {*(self.meta.get("feature_names") or ()), *(self.meta.get("text_columns") or ())}
        return bool(known) and any(label in known for label in series.index)

    def _as_trained(self, x: Any) -> Any:
        """A batch of images as the training data gave them, (N, H, W), (N, H, W, C) or
        integer pixels, read as the npz loader and the training's image options read them;
        other inputs as they are."""
        taken = self.meta.get("input_shape") or ()
        if not taken or (len(taken) == 1 and not _flattened(self.meta)):  # a table's rows
            return x
        if isinstance(x, (list, tuple)):
            x = np.asarray(x)
        shape = tuple(getattr(x, "shape", ()))
        if len(shape) not in (3, 4):
            return x
        floats = torch.is_floating_point(x) if isinstance(x, torch.Tensor) else x.dtype.kind == "f"
        # already the model's inputs: one image as it takes them, or a batch of float pixels
        if self._fits(shape) and (floats or shape == tuple(self.meta["input_shape"])):
            return x
        array = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        try:
            images = image_batch(array, self.meta.get("data"), self.meta.get("load_options"))
        except ConfigError as err:
            raise ValueError(f"inputs of shape {shape}: {err.problem}") from None
        if not self._fits(tuple(images.shape)):  # named in the user's shape, not the one read from it
            self._check_shape(shape)
        return images

    def _fits(self, shape: tuple[int, ...]) -> bool:
        taken = tuple(int(d) for d in self.meta.get("input_shape") or ())
        if not taken:
            return True
        one = shape[1:] if len(shape) == len(taken) + 1 else shape if len(shape) == len(taken) else None
        # images resized on the way in (task.augment) may come at any size, with the right channels
        return one is not None and (one == taken or (self.resize is not None and len(taken) == 3
                                                     and one[0] == taken[0]))

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        """A batch (or one input) of the shape the model was trained on, or one ValueError
        that says so, rather than torch's complaint about two tensors deep inside."""
        if not self._fits(shape):
            taken = tuple(int(d) for d in self.meta.get("input_shape") or ())
            raise ValueError(f"inputs of shape {shape}; the model takes a batch of shape "
                             f"(N, {', '.join(map(str, taken))})" + (
                                 "" if len(taken) == 1 and not _flattened(self.meta) else
                                 ", or images laid out as the training data gave them"))

    @property
    def labels(self) -> list[bool] | list[int] | list[str]:
        """The classes as the training data's labels: integers where those were integers,
        booleans where they were (``classes`` holds their names as text)."""
        return class_labels(self.classes)

    @torch.no_grad()
    def predict(self, x: Any) -> np.ndarray | list[bool] | list[int] | list[str]:
        """For a batch ``x`` (as :meth:`forward` takes it): a classification's class labels, a
        list as long as the batch (integers or booleans where the training's labels were,
        else their names); a regression's values in the target's own units, a numpy float32 array of
        shape (N,) (or (N, targets) for several targets). Always answered in eval mode;
        a model being fine-tuned (``train()``) is left in training mode."""
        out = self._evaluated(x)
        if self.task_type == "regression":
            return out.cpu().numpy()
        index = out.argmax(dim=-1).reshape(-1).tolist()  # one unbatched input: a list of one
        labels = self.labels
        return [labels[i] for i in index] if labels else index

    @torch.no_grad()
    def predict_proba(self, x: Any) -> np.ndarray:
        """A classification's class probabilities for a batch ``x``, as scikit-learn's
        ``predict_proba`` gives them: a numpy float32 array of shape (N, classes) whose rows
        sum to 1, its columns in the order of :attr:`labels`."""
        if self.task_type == "regression":
            raise ValueError("predict_proba: the model is a regression, which has no class probabilities; "
                             "use predict")
        return torch.softmax(self._evaluated(x), dim=-1).cpu().numpy()

    def _evaluated(self, x: Any) -> torch.Tensor:
        """The output for ``x`` in eval mode (dropout off, batch norm's running statistics),
        each module's mode as it was afterwards: a check of a model being fine-tuned must not
        switch its dropout off, or batch norm's updates, for the steps after it."""
        self._check_finite(x)
        modes = [(module, module.training) for module in self.modules()]
        self.eval()
        try:
            return self(x)
        finally:
            for module, mode in modes:
                module.training = mode

    def _check_finite(self, x: Any) -> None:
        """A NaN or infinite input refused for ``predict`` (:func:`~nntune._model_inputs.check_finite`);
        a DataFrame's, and a Series row's, are refused by column where the table is read."""
        if hasattr(x, "to_frame") and hasattr(x, "to_numpy") and not self._names_a_row(x):
            x = x.to_numpy()  # a Series of values, not a table's row
        if not hasattr(x, "to_numpy"):
            check_finite(x, self.meta.get("input_shape") or (), fills=self.fill is not None)


def _stats(normalization: Any, input_shape: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    image = len(input_shape) == 3
    view = (1, -1, 1, 1) if image else (1, -1)
    if not isinstance(normalization, Mapping):
        return torch.zeros(1), torch.ones(1)
    shift = torch.tensor(normalization["shift"], dtype=torch.float32)
    scale = torch.tensor(normalization["scale"], dtype=torch.float32)
    if not image and len(input_shape) == 1 and shift.numel() != input_shape[0]:
        # images flattened for an MLP: one statistic per channel over its pixels
        per = input_shape[0] // max(shift.numel(), 1)
        return shift.repeat_interleave(per).reshape(1, -1), scale.repeat_interleave(per).reshape(1, -1)
    return shift.reshape(view), scale.reshape(view)


def load_model(path: str | Path, *, map_location: str | torch.device = "cpu") -> TunedModel:
    """The model a model file holds, in evaluation mode, rebuilt from its hyperparameters
    (a model of your own is imported by its ``module:Name``).

    It is for prediction: ``model(x)`` answers the same for the same ``x``, and tracks
    gradients as any module's output does (``torch.no_grad()``, or ``predict``, where none
    are wanted). To fine-tune it, call ``model.train()`` (dropout on, batch norm updating its
    statistics) and optimize ``model.network.parameters()`` on the outputs of ``model(x)``:
    logits for a classification, target units for a regression; ``predict`` and
    ``predict_proba`` answer in eval mode meanwhile and leave it training. ``model.eval()``
    again before predicting with ``model(x)``."""
    from nntune.train.models import build_model

    device = _device(map_location)
    try:  # the file's tensors are on the CPU, whatever device the model goes to
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ConfigError("path", f"no model file at {path}") from None
    except Exception:  # not a torch file, or one holding more than plain tensors and values
        raise ConfigError("path", f"{path} is not an nntune model file ({FORMAT})") from None
    if not isinstance(payload, Mapping) or payload.get("format") != FORMAT:
        raise ConfigError("path", f"{path} is not an nntune model file ({FORMAT})")
    shape = payload["input_shape"]
    resize = payload.get("resize")
    # The network was built for its inputs after the resize (224x224 beside random crops),
    # not the data's own size: a CNN's dense layer depends on it.
    built_for = [shape[0], *resize] if resize is not None and len(shape) == 3 else shape
    # The file holds every weight: a pretrained_weights file the study started from is not
    # read again (it need not exist where the model is used).
    network = build_model(payload["params"], built_for, payload["n_outputs"], pretrained=False)
    network.load_state_dict(payload["model"])
    shift, scale = _stats(payload.get("normalization"), shape)
    meta = {k: payload.get(k) for k in ("study", "trial", "validation", "metric", "test", "feature_names",
                                        "text_columns", "data", "input_shape", "missing", "load_options")}
    missing = payload.get("missing")
    fill = torch.tensor(missing["fill"], dtype=torch.float32).reshape(1, -1) \
        if isinstance(missing, Mapping) and "fill" in missing else None
    # A file of an earlier nntune has neither: its params are all it says of the training.
    changes = payload.get("changes") or []
    model = TunedModel(network, shift, scale, payload["target"]["mean"], payload["target"]["std"],
                       task_type=payload["task_type"], classes=payload.get("classes", []),
                       params=payload["params"], meta=meta, resize=payload.get("resize"), fill=fill,
                       final_params=payload.get("final_params") or final_params(payload["params"], changes),
                       changes=changes, continued_from=payload.get("continued_from"))
    return model.to(device).eval()


def _device(given: str | torch.device) -> torch.device:
    """``map_location`` as a device of this machine, or one line naming it: asked for CUDA
    where there is none, torch's load failed and the file was called no model file."""
    try:
        device = torch.device(given)
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError, TypeError) as err:
        problem = (str(err).strip() or type(err).__name__).splitlines()[0]
        raise ConfigError("map_location", f"{given!r} is not a device of this machine: {problem}") from None
    return device
