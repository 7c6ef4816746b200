"""Data augmentation for training batches of images, seeded and batched.

:func:`make_augment` turns a list such as ``["hflip", {"rotation": {"degrees": 10}}]`` into
a callable applied to each training batch (N, C, H, W). Every image in the batch gets its
own random flip, crop, angle and colour change (its colour adjustments in an order of its
own, as torchvision's ColorJitter), drawn from a ``torch.Generator`` seeded by the caller,
so a run repeats exactly. This module reads and checks the list; the batched operations
are ``nntune.train._augment_ops``'s. Validation and
test batches are never augmented; :func:`make_eval_transform` gives the deterministic
resize they need when the augmentation changes the image size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from nntune.exceptions import ConfigError

__all__ = ["make_augment", "make_eval_transform", "augment_for", "check_parameter", "Augment", "AUGMENTATIONS",
           "PRESETS", "IMAGENET_MEAN", "IMAGENET_STD"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Default parameters of every augmentation; a name's dict and ``params`` override them.
AUGMENTATIONS: dict[str, dict[str, Any]] = {
    "hflip": {"p": 0.5},
    "vflip": {"p": 0.5},
    "random_resized_crop": {"scale": (0.08, 1.0), "ratio": (3 / 4, 4 / 3), "size": None},
    "random_crop": {"padding": 4},
    "rotation": {"degrees": 15.0},
    "color_jitter": {"brightness": 0.2, "contrast": 0.0, "saturation": 0.0, "hue": 0.0},
    "resize": {"size": None},
}

# Note 004's CIFAR-10 project: training resizes to 224x224 with a random crop and flips
# half the images; evaluation only resizes (``make_eval_transform(["cifar10_train"])``
# or ``["cifar10_eval"]``). Load the data with ``normalize="imagenet"`` for the ImageNet
# mean/std the pretrained ResNet-50 expects.
PRESETS: dict[str, list[str | dict[str, Any]]] = {
    "cifar10_train": [{"random_resized_crop": {"size": 224}}, {"hflip": {"p": 0.5}}],
    "cifar10_eval": [{"resize": {"size": 224}}],
}

Step = tuple[str, dict[str, Any]]


# ---------------------------------------------------------------- parsing names


def _entry(item: str | Mapping[str, Any], where: str) -> tuple[str, dict[str, Any]]:
    if isinstance(item, str):
        return item, {}
    if isinstance(item, Mapping):
        if "name" in item:
            return str(item["name"]), {k: v for k, v in item.items() if k != "name"}
        if len(item) == 1:
            name, args = next(iter(item.items()))
            if args is None:
                return str(name), {}
            if isinstance(args, Mapping):
                return str(name), dict(args)
        raise ConfigError(where, f"write {{name: {{param: value}}}} or {{name: ..., param: value}}, got {dict(item)!r}")
    raise ConfigError(where, f"an augmentation is a name or a dict, got {item!r}")


def _overrides(params: Mapping[str, Any] | None, name: str) -> dict[str, Any]:
    """``params[name]`` as a dict plus flat ``"name.key"`` entries."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if key == name and isinstance(value, Mapping):
            out.update(value)
        elif key.startswith(name + "."):
            out[key[len(name) + 1:]] = value
    return out


def parse_steps(names: Sequence[str | Mapping[str, Any]], params: Mapping[str, Any] | None = None) -> list[Step]:
    """Resolve names, presets and parameters into (name, full parameters) steps."""
    if isinstance(names, (str, Mapping)):
        names = [names]
    steps: list[Step] = []
    for i, item in enumerate(names):
        name, args = _entry(item, f"augment[{i}]")
        if name in PRESETS:
            if args:  # a preset's parameters would be dropped silently: say how to change them
                raise ConfigError(f"augment[{i}]", f"preset {name!r} takes no parameters, got {args!r}; list its "
                                  f"augmentations ({PRESETS[name]!r}) with your values instead")
            steps += parse_steps(PRESETS[name], params)
            continue
        if name not in AUGMENTATIONS:
            raise ConfigError(f"augment[{i}]", f"unknown augmentation {name!r}; choose from "
                              f"{', '.join(list(AUGMENTATIONS) + list(PRESETS))}")
        merged = {**AUGMENTATIONS[name], **args, **_overrides(params, name)}
        unknown = set(merged) - set(AUGMENTATIONS[name])
        if unknown:
            raise ConfigError(f"augment.{name}", f"unknown parameters {sorted(unknown)}; "
                              f"known: {sorted(AUGMENTATIONS[name])}")
        steps.append((name, _checked(name, merged)))
    return steps


def check_parameter(names: Sequence[str | Mapping[str, Any]], name: str, values: Sequence[tuple[str, Any]],
                    where: str) -> None:
    """One augmentation parameter (``rotation.degrees``) that ``fixed`` gives or a search
    may draw: its augmentation must be one of ``names`` (else it would change nothing), and
    each value one it takes; else a ConfigError naming ``where`` (plus the value's own
    suffix: ``values`` are (suffix, value) pairs such as (".low", 0.0) or ("", 0.5))."""
    augmentation, _, key = name.partition(".")
    if augmentation not in AUGMENTATIONS:  # a dotted name is an augmentation's parameter or nothing
        raise ConfigError(where, f"unknown name; a dotted name is an augmentation's parameter, and "
                                 f"{augmentation!r} is no augmentation ({', '.join(AUGMENTATIONS)})")
    try:
        present = [step for step, _ in parse_steps(names)] if names else []
    except ConfigError as err:
        raise ConfigError(f"task.{err.field}", err.problem) from None
    if augmentation not in present:
        listed = f"task.augment holds {', '.join(dict.fromkeys(present))}" if present else "task.augment is empty"
        raise ConfigError(where, f"{listed}; {name} would change nothing (add {augmentation} to task.augment)")
    if key not in AUGMENTATIONS[augmentation]:
        raise ConfigError(where, f"{augmentation} has no parameter {key!r}; known: {sorted(AUGMENTATIONS[augmentation])}")
    for suffix, value in values:
        try:
            parse_steps(names, {name: value})
        except ConfigError as err:
            raise ConfigError(f"{where}{suffix}", err.problem) from None


def _pair(value: Any, where: str, symmetric: bool = False) -> tuple[float, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if symmetric and value < 0:  # one number x means -x..x (as torchvision's), so it is a size
            raise ConfigError(where, f"one number means the range -x..x and must be >= 0, got {value!r} "
                                     f"(or give [low, high])")
        low, high = (-float(value), float(value)) if symmetric else (float(value), float(value))
    else:
        try:
            if isinstance(value, (str, bytes)):  # "02" would unpack into the pair (0.0, 2.0)
                raise TypeError(value)
            low, high = (float(v) for v in value)
        except (TypeError, ValueError) as err:
            raise ConfigError(where, f"give a number or [low, high], got {value!r}") from err
    if not (math.isfinite(low) and math.isfinite(high)):  # NaN would blank every image, silently
        raise ConfigError(where, f"give finite numbers, got {value!r}")
    if low > high:
        raise ConfigError(where, f"low {low} exceeds high {high}")
    return low, high


def _size(value: Any, where: str) -> tuple[int, int] | None:
    if value is None:
        return None
    pair = (value, value) if not isinstance(value, (list, tuple)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair):
        raise ConfigError(where, f"give a positive int or [height, width], got {value!r}")
    return int(pair[0]), int(pair[1])


def _checked(name: str, p: dict[str, Any]) -> dict[str, Any]:
    where = f"augment.{name}"
    if name in ("hflip", "vflip"):
        chance = p["p"]
        if isinstance(chance, bool) or not isinstance(chance, (int, float)) or not 0.0 <= chance <= 1.0:
            raise ConfigError(f"{where}.p", f"must be a number in [0, 1], got {chance!r}")
        return {"p": float(chance)}
    if name == "random_resized_crop":
        scale, ratio = _pair(p["scale"], f"{where}.scale"), _pair(p["ratio"], f"{where}.ratio")
        if not (0.0 < scale[0] and scale[1] <= 1.0):  # fractions of the image's area
            raise ConfigError(f"{where}.scale", f"must lie in (0, 1], got {list(scale)}")
        if ratio[0] <= 0:
            raise ConfigError(f"{where}.ratio", f"width/height ratios must be positive, got {list(ratio)}")
        return {"scale": scale, "ratio": ratio, "size": _size(p["size"], f"{where}.size")}
    if name == "random_crop":
        if isinstance(p["padding"], bool) or not isinstance(p["padding"], int) or p["padding"] < 0:
            raise ConfigError(f"{where}.padding", f"must be a non-negative int, got {p['padding']!r}")
        return {"padding": p["padding"]}
    if name == "rotation":
        return {"degrees": _pair(p["degrees"], f"{where}.degrees", symmetric=True)}
    if name == "resize":
        size = _size(p["size"], f"{where}.size")
        if size is None:
            raise ConfigError(f"{where}.size", "resize needs a size")
        return {"size": size}
    out = {}
    for key in ("brightness", "contrast", "saturation"):
        low, high = _pair(p[key], f"{where}.{key}", symmetric=True)
        out[key] = (max(0.0, 1.0 + low), 1.0 + high) if isinstance(p[key], (int, float)) else (low, high)
        if out[key][0] < 0:
            raise ConfigError(f"{where}.{key}", f"factors must be non-negative, got {out[key]}")
    out["hue"] = _pair(p["hue"], f"{where}.hue", symmetric=True)
    if not -0.5 <= out["hue"][0] <= out["hue"][1] <= 0.5:
        raise ConfigError(f"{where}.hue", f"must lie in [-0.5, 0.5], got {out['hue']}")
    return out


# The batched operations, importable from here as from their own module.
from nntune.train._augment_ops import (_color_jitter, _flip, _gray, _pixel_bounds, _random_crop,  # noqa: F401
                                       _resized_crop, _rotation, _uniform, _warp)


def _out_size(steps: list[Step], size: tuple[int, ...]) -> tuple[int, ...]:
    for name, p in steps:
        if name in ("random_resized_crop", "resize") and p["size"] is not None:
            size = p["size"]
    return size


class Augment:
    """A seeded, per-image random augmentation of training batches (N, C, H, W).

    With ``mean``/``std`` the batch is taken back to pixel values in [0, 1] first (so
    brightness acts on pixels and padding is black) and normalized again afterwards.
    Colour changes keep pixels in [0, 1] as torchvision's do (or in the batch's own wider
    range). A uint8 batch, as torchvision takes it, comes back as uint8.
    """

    def __init__(self, steps: list[Step], seed: int = 0, mean: Sequence[float] | None = None,
                 std: Sequence[float] | None = None) -> None:
        self.steps = steps
        self.seed = seed
        self.generator = torch.Generator().manual_seed(seed)
        self.mean = None if mean is None else torch.tensor(list(mean), dtype=torch.float32).view(1, -1, 1, 1)
        self.std = None if std is None else torch.tensor(list(std), dtype=torch.float32).view(1, -1, 1, 1)

    def reset(self, seed: int | None = None) -> None:
        """Start the random sequence again (from ``seed`` if given)."""
        self.seed = self.seed if seed is None else seed
        self.generator.manual_seed(self.seed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ConfigError("augment", f"augmentation needs image batches (N, C, H, W), got shape {tuple(x.shape)}")
        if x.shape[0] == 0:  # nothing to draw; the shape still follows the resizing steps
            size = _out_size(self.steps, tuple(x.shape[-2:]))
            return x.new_empty((0, x.shape[1], *size))
        if x.dtype == torch.uint8 and self.mean is None:  # the sampling grid needs floats
            return (self(x.float() / 255.0) * 255.0).round_().clamp_(0, 255).to(torch.uint8)
        if not x.is_floating_point():
            raise ConfigError("augment", f"augmentation needs float pixels (or uint8 without mean/std), got {x.dtype}")
        pixel = self.mean is not None and self.std is not None
        for key, stat in (("mean", self.mean), ("std", self.std)):
            if stat is not None and stat.shape[1] not in (1, x.shape[1]):  # broadcasting would add channels
                raise ConfigError(f"augment.{key}", f"{stat.shape[1]} values for images of {x.shape[1]} channels")
        if pixel:
            x = x * self.std.to(x.device) + self.mean.to(x.device)  # type: ignore[union-attr]
        # taken before any step: padding and interpolation never widen the range
        bounds = _pixel_bounds(x) if any(name == "color_jitter" for name, _ in self.steps) else None
        for name, p in self.steps:
            x = self._apply(name, p, x, bounds)
        if pixel:
            x = (x - self.mean.to(x.device)) / self.std.to(x.device)  # type: ignore[union-attr]
        return x

    def _apply(self, name: str, p: dict[str, Any], x: torch.Tensor,
               bounds: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        from torchvision.transforms.v2 import functional as TF  # slow import, only for images
        gen = self.generator
        if name in ("hflip", "vflip"):
            return _flip(x, p, gen, horizontal=name == "hflip")
        if name == "rotation":
            return _rotation(x, p, gen)
        if name == "random_resized_crop":
            return _resized_crop(x, p, gen)
        if name == "random_crop":
            return _random_crop(x, p, gen)
        if name == "resize":
            return TF.resize(x, list(p["size"]), antialias=True)
        assert bounds is not None  # __call__ takes them whenever a colour step is listed
        return _color_jitter(x, p, gen, bounds)

    def __repr__(self) -> str:
        return f"Augment({[name for name, _ in self.steps]}, seed={self.seed})"


def make_augment(names: Sequence[str | Mapping[str, Any]], params: Mapping[str, Any] | None = None, *,
                 seed: int = 0, mean: Sequence[float] | None = None,
                 std: Sequence[float] | None = None) -> Augment | None:
    """The training-batch augmentation for ``names``, or None when the list is empty.

    ``names`` holds augmentation names (:data:`AUGMENTATIONS`), presets (:data:`PRESETS`)
    or dicts ``{name: {param: value}}``. ``params`` overrides parameters, as
    ``{name: {param: value}}`` or flat ``{"name.param": value}`` (how a search space
    samples them). ``mean``/``std``: the normalization the batches carry, so colour changes
    act on pixel values; leave them out for batches already in [0, 1].
    """
    steps = parse_steps(names, params)
    return Augment(steps, seed=seed, mean=mean, std=std) if steps else None


def make_eval_transform(names: Sequence[str | Mapping[str, Any]],
                        params: Mapping[str, Any] | None = None) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The deterministic resize validation/test batches need to match the augmented
    training size (e.g. 224x224 for ``cifar10_train``), or None when sizes already match."""
    size = eval_size(names, params)
    if size is None:
        return None
    from torchvision.transforms.v2 import functional as TF  # slow import, only for images

    target = list(size)
    return lambda x: TF.resize(x, target, antialias=True)


def eval_size(names: Sequence[str | Mapping[str, Any]], params: Mapping[str, Any] | None = None) -> tuple[int, int] | None:
    """The (height, width) :func:`make_eval_transform` resizes to, or None."""
    size = _out_size(parse_steps(names, params), ())
    return (int(size[0]), int(size[1])) if size else None


def augment_for(splits: Any, names: Sequence[str | Mapping[str, Any]], params: Mapping[str, Any] | None = None,
                *, seed: int = 0) -> Augment | None:
    """:func:`make_augment` for the image :class:`~nntune.train.splits.Splits` that
    :func:`~nntune.train.data.load_splits` returned, using their recorded normalization."""
    info = getattr(splits, "info", {})
    if info.get("modality") != "image" or info.get("flattened"):
        raise ConfigError("augment", f"augmentation needs unflattened image data; {getattr(splits, 'name', '')} is not")
    norm = info.get("normalization", {})
    return make_augment(names, params, seed=seed, mean=norm.get("shift"), std=norm.get("scale"))
