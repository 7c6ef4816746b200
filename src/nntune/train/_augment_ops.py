"""The batched operations of :mod:`nntune.train.augment`: each draws one random change per
image of a batch (N, C, H, W) from the augmentation's own ``torch.Generator``, so a run
repeats exactly. Geometric steps are one ``grid_sample`` per batch; the pixel operations come
from ``torchvision.transforms.v2.functional``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F


def _uniform(n: int, low: float, high: float, gen: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=gen, dtype=torch.float64)


def _warp(x: torch.Tensor, theta: torch.Tensor, size: tuple[int, int], padding: str = "zeros") -> torch.Tensor:
    grid = F.affine_grid(theta.to(x.device, x.dtype), [x.shape[0], x.shape[1], *size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=padding, align_corners=False)


def _flip(x: torch.Tensor, p: dict[str, Any], gen: torch.Generator, horizontal: bool) -> torch.Tensor:
    from torchvision.transforms.v2 import functional as TF  # slow import, only for images
    mask = (torch.rand(x.shape[0], generator=gen) < p["p"]).to(x.device).view(-1, 1, 1, 1)
    flipped = TF.horizontal_flip(x) if horizontal else TF.vertical_flip(x)
    return torch.where(mask, flipped, x)


def _rotation(x: torch.Tensor, p: dict[str, Any], gen: torch.Generator) -> torch.Tensor:
    n, h, w = x.shape[0], x.shape[-2], x.shape[-1]
    angle = torch.deg2rad(_uniform(n, *p["degrees"], gen))
    cos, sin = torch.cos(angle), torch.sin(angle)
    zero = torch.zeros(n, dtype=torch.float64)
    theta = torch.stack([torch.stack([cos, -sin * h / w, zero], 1), torch.stack([sin * w / h, cos, zero], 1)], 1)
    return _warp(x, theta, (h, w))


def _resized_crop(x: torch.Tensor, p: dict[str, Any], gen: torch.Generator) -> torch.Tensor:
    n, h, w = x.shape[0], x.shape[-2], x.shape[-1]
    area = _uniform(n, *p["scale"], gen)
    log_ratio = _uniform(n, math.log(p["ratio"][0]), math.log(p["ratio"][1]), gen)
    ratio = torch.exp(log_ratio)
    cw = torch.sqrt(area * ratio * h / w).clamp(max=1.0)  # crop width / image width
    ch = torch.sqrt(area / ratio * w / h).clamp(max=1.0)
    cx = (2 * torch.rand(n, generator=gen, dtype=torch.float64) - 1) * (1 - cw)
    cy = (2 * torch.rand(n, generator=gen, dtype=torch.float64) - 1) * (1 - ch)
    zero = torch.zeros(n, dtype=torch.float64)
    theta = torch.stack([torch.stack([cw, zero, cx], 1), torch.stack([zero, ch, cy], 1)], 1)
    # A crop lies inside the image; "border" repeats its edge for the half pixel an upscale
    # reaches past it, as torchvision's resize does (zeros would frame every image in black).
    size = p["size"] or (h, w)
    largest = (math.ceil(float(ch.max()) * h), math.ceil(float(cw.max()) * w))
    if largest[0] <= size[0] and largest[1] <= size[1]:
        return _warp(x, theta, size, padding="border")
    # Shrinking: sampled at the largest crop's pixels, then resized with antialiasing as
    # torchvision's RandomResizedCrop does (bilinear sampling alone would alias fine detail).
    from torchvision.transforms.v2 import functional as TF  # slow import, only for images
    full = _warp(x, theta, (max(largest[0], size[0]), max(largest[1], size[1])), padding="border")
    return TF.resize(full, list(size), antialias=True)


def _random_crop(x: torch.Tensor, p: dict[str, Any], gen: torch.Generator) -> torch.Tensor:
    n, h, w, pad = x.shape[0], x.shape[-2], x.shape[-1], p["padding"]
    shift = torch.randint(-pad, pad + 1, (n, 2), generator=gen).double()
    one, zero = torch.ones(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64)
    theta = torch.stack([torch.stack([one, zero, 2 * shift[:, 0] / w], 1),
                         torch.stack([zero, one, 2 * shift[:, 1] / h], 1)], 1)
    return _warp(x, theta, (h, w))


def _gray(x: torch.Tensor) -> torch.Tensor:
    from torchvision.transforms.v2 import functional as TF  # slow import, only for images
    return TF.rgb_to_grayscale(x) if x.shape[1] == 3 else x


def _pixel_bounds(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The range colour changes keep a batch's pixels in: [0, 1] (torchvision's range for
    float images) widened to the batch's own values, so images stored as 0..255 or -1..1
    floats are not flattened to white. Tensors, so no host sync on an accelerator."""
    return x.amin().clamp(max=0.0), x.amax().clamp(min=1.0)


# The colour adjustments in the order their factors are drawn, and the factor that leaves
# an image as it is.
_JITTER_IDENTITY = {"brightness": (1.0, 1.0), "contrast": (1.0, 1.0), "saturation": (1.0, 1.0), "hue": (0.0, 0.0)}


def _jitter_keys(p: dict[str, Any], channels: int) -> list[str]:
    """The colour adjustments ``p`` asks for that change images of ``channels`` channels
    (saturation and hue need colour)."""
    return [k for k, same in _JITTER_IDENTITY.items()
            if p[k] != same and (channels == 3 or k in ("brightness", "contrast"))]


def _adjust(key: str, x: torch.Tensor, f: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """One colour adjustment of the images ``x`` by their factors ``f`` (one each), kept in
    [low, high] as torchvision keeps float pixels in [0, 1]."""
    if key == "hue":
        from torchvision.transforms.v2 import functional as TF  # slow import, only for images
        hues = f.tolist()
        unit = (torch.clamp(x, low, high) - low) / (high - low)  # adjust_hue works on [0, 1] pixels
        return torch.cat([TF.adjust_hue(unit[i:i + 1], hues[i]) for i in range(len(hues))]) * (high - low) + low
    f = f.to(x.device, x.dtype).view(-1, 1, 1, 1)
    if key == "brightness":
        return torch.clamp(x * f, low, high)
    centre = _gray(x).mean(dim=(1, 2, 3), keepdim=True) if key == "contrast" else _gray(x)
    return torch.clamp((x - centre) * f + centre, low, high)


def _color_jitter(x: torch.Tensor, p: dict[str, Any], gen: torch.Generator,
                  bounds: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Each image's brightness, contrast, saturation and hue changed by its own factors, in
    its own random order, as torchvision's ColorJitter draws an order for each image it is
    called on: the adjustments do not commute (brightness clipped before a contrast change
    is not brightness clipped after it), so a fixed order would narrow what a run sees."""
    n = x.shape[0]
    low, high = (b.to(x.device, x.dtype) for b in bounds)
    keys = _jitter_keys(p, x.shape[1])
    factors = {k: _uniform(n, *p[k], gen) for k in keys}
    if len(keys) < 2:  # nothing to order (and no order drawn: one adjustment repeats as it always did)
        return _adjust(keys[0], x, factors[keys[0]], low, high) if keys else x
    order = torch.rand(n, len(keys), generator=gen).argsort(dim=1)  # a uniform random permutation per image
    for position in range(len(keys)):
        for j, key in enumerate(keys):
            idx = (order[:, position] == j).nonzero().flatten()
            if len(idx):
                x = x.index_copy(0, idx.to(x.device), _adjust(key, x[idx.to(x.device)], factors[key][idx], low, high))
    return x
