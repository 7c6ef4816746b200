"""The shape of a CNN before it is built: per block its kernel, stride, feature maps and
the pixels x feature maps it carries (note 003's capacity rule).

The rule: as the image shrinks, add feature maps, so that pixels x maps stays about the
same from block to block; after a 2x2 pooling (a quarter of the pixels) that is four times
the maps. ``filters_growth: auto`` applies it. ``kernel_size`` and ``stride`` may be one
value or a list with one per block, so a large kernel and stride can sit in the first
block only and 3x3 kernels after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nntune.exceptions import ConfigError

SHRINK_WARN = 4.0  # pixels x maps falling by more than this from one block to the next


@dataclass(frozen=True)
class Block:
    """One convolution block: its settings and the tensor it hands on."""

    index: int
    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    padding: int | str
    conv_hw: tuple[int, int]  # height, width after the convolution
    out_hw: tuple[int, int]  # after the pooling, if any
    pooled: bool

    @property
    def conv_units(self) -> int:
        """Pixels x feature maps after the convolution."""
        return self.conv_hw[0] * self.conv_hw[1] * self.out_channels


def per_block(params: Mapping[str, Any], key: str, n_blocks: int, default: int) -> list[int]:
    """``params[key]`` as one positive integer per block: a single value repeats, a list
    must hold exactly ``n_blocks``."""
    value = params.get(key, default)
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n_blocks
    if len(values) != n_blocks or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
        raise ConfigError(key, f"need one integer >= 1, or a list of {n_blocks} (one per block), got {value!r}")
    return values


def conv_padding(padding: Any, kernel: int, stride: int) -> int | str:
    if padding == "valid":
        return 0
    if padding == "same":
        # PyTorch accepts "same" only with stride 1; k // 2 keeps the size (up to the
        # stride) for the odd kernels CNNs use.
        return "same" if stride == 1 else kernel // 2
    if isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        return padding
    raise ConfigError("padding", f"use 'same', 'valid' or an integer >= 0, got {padding!r}")


def conv_output_size(height: int, width: int, kernel: int, stride: int, padding: int | str) -> tuple[int, int]:
    if padding == "same":
        return height, width
    pad = int(padding)
    return (height + 2 * pad - kernel) // stride + 1, (width + 2 * pad - kernel) // stride + 1


def no_room(index: int, kernel: int, padding: int | str, hw: tuple[int, int]) -> tuple[str, str]:
    """The field and problem of a block whose kernel is larger than its padded input. In the
    first block the kernel is at fault (the image is what the data gives); in a later one,
    the blocks before it shrank the image, and fewer of them also fits."""
    fix = "padding 'same' or a smaller kernel_size" + (" or fewer conv_layers" if index > 1 else "")
    problem = (f"block {index}'s {kernel}x{kernel} kernel is larger than its {hw[0]}x{hw[1]} input "
               f"padded by {padding}, which leaves no pixel; use {fix}")
    return ("kernel_size" if index == 1 else "conv_layers"), problem


def growth_of(params: Mapping[str, Any]) -> float | None:
    """``filters_growth`` as a factor per block, or None for ``auto``."""
    growth = params.get("filters_growth", 2.0)
    if growth == "auto":
        return None
    if isinstance(growth, bool) or not isinstance(growth, (int, float)) or growth <= 0:
        raise ConfigError("filters_growth", f"use a number > 0 or 'auto', got {growth!r}")
    return float(growth)


def plan_cnn(params: Mapping[str, Any], input_shape: Sequence[int], *, n_blocks: int, filters: int,
             pool: str) -> list[Block]:
    """Every block of the CNN ``params`` describes on ``input_shape`` (C, H, W). With
    ``filters_growth: auto`` each block's maps are the last block's times the factor its
    pixels shrank by (from one convolution output to the next), so pixels x maps stays
    about constant."""
    kernels = per_block(params, "kernel_size", n_blocks, 3)
    strides = per_block(params, "stride", n_blocks, 1)
    growth = growth_of(params)
    channels, height, width = (int(v) for v in input_shape)
    blocks: list[Block] = []
    for i, (kernel, stride) in enumerate(zip(kernels, strides), start=1):
        padding = conv_padding(params.get("padding", "same"), kernel, stride)
        conv_hw = conv_output_size(height, width, kernel, stride, padding)
        if conv_hw[0] < 1 or conv_hw[1] < 1:
            raise ConfigError(*no_room(i, kernel, padding, (height, width)))
        if not blocks:
            out = filters
        elif growth is not None:
            out = max(1, round(filters * growth ** (i - 1)))
        else:
            prev = blocks[-1]
            shrink = (prev.conv_hw[0] * prev.conv_hw[1]) / (conv_hw[0] * conv_hw[1])
            out = max(1, round(prev.out_channels * shrink))
        # A 2x2 pool on a 1-pixel map would fail; small inputs simply stop pooling.
        pooled = pool != "none" and min(conv_hw) >= 2
        out_hw = (conv_hw[0] // 2, conv_hw[1] // 2) if pooled else conv_hw
        blocks.append(Block(i, channels, out, kernel, stride, padding, conv_hw, out_hw, pooled))
        channels, (height, width) = out, out_hw
    return blocks


def capacity_warnings(blocks: Sequence[Block], input_shape: Sequence[int]) -> list[str]:
    """Where pixels x maps falls by more than SHRINK_WARN from the input to the first block,
    or from one block's convolution output to the next's."""
    warnings = []
    before, label = int(input_shape[0]) * int(input_shape[1]) * int(input_shape[2]), "the input"
    for b in blocks:
        if b.conv_units * SHRINK_WARN < before:
            warnings.append(f"block {b.index}: pixels x maps falls {before / b.conv_units:.1f}x from {label} "
                            f"({before:,} to {b.conv_units:,}); add feature maps (filters_growth: auto) or "
                            f"shrink the image more slowly")
        before, label = b.conv_units, f"block {b.index}"
    return warnings


# Note 003's kernels and strides: 5x5 on small inputs (28x28, 32x32), 11x11 or 15x15 with
# stride 4 only in the first layer over a large input, 3x3 from the third stage on; several
# small kernels beat one large one; stride 1 with pooling is usually best. "Small" is read
# up to 64 pixels on the shorter side, twice the notes' 32.
SMALL_INPUT = 64
LARGE_KERNEL = 11
THIRD_STAGE_KERNEL = 3


def layout_advice(blocks: Sequence[Block], input_shape: Sequence[int]) -> list[str]:
    """Where the kernels or strides depart from note 003's advice, one line per block."""
    side = min(int(input_shape[1]), int(input_shape[2]))
    small = side <= SMALL_INPUT
    out = []
    for b in blocks:
        where = f"block {b.index}: {b.kernel}x{b.kernel} kernel, stride {b.stride}"
        if b.stride > 1 and (b.index > 1 or small):
            place = "away from the input" if b.index > 1 else f"over a small {side}-pixel input"
            out.append(f"{where}: a stride above 1 {place}; the notes keep stride 1 and let pooling shrink "
                       f"the image (a larger stride only in the first layer, over a large input)")
        elif b.kernel >= LARGE_KERNEL and small:
            out.append(f"{where}: a large kernel over a small {side}-pixel input; the notes use 5x5 on 28-32 "
                       f"pixel inputs and keep 11x11 or 15x15 for the first layer over large ones")
        elif b.index >= 3 and b.kernel > THIRD_STAGE_KERNEL:
            out.append(f"{where}: the notes use 3x3 kernels from the third stage on (several small kernels "
                       f"beat one large one)")
        elif b.index > 1 and b.kernel >= LARGE_KERNEL:
            out.append(f"{where}: 11x11 or 15x15 kernels belong in the first layer only")
    return out


def plan_lines(blocks: Sequence[Block], input_shape: Sequence[int]) -> list[str]:
    """One line per block for ``--dry-run``: kernel, stride, maps, pixels and their product."""
    c, h, w = (int(v) for v in input_shape)
    lines = [f"input    {h}x{w} pixels x {c} maps = {h * w * c:,}"]
    for b in blocks:
        ch, cw = b.conv_hw
        pool = f", pooled to {b.out_hw[0]}x{b.out_hw[1]}" if b.pooled else ""
        lines.append(f"block {b.index}  {b.kernel}x{b.kernel} kernel, stride {b.stride}: {ch}x{cw} pixels x "
                     f"{b.out_channels} maps = {b.conv_units:,}{pool}")
    return lines


def describe_cnn(params: Mapping[str, Any], input_shape: Sequence[int]) -> list[str]:
    """What ``--dry-run`` prints for a CNN: pixels x maps per block, then any warnings."""
    from nntune.train.models import MODEL_DEFAULTS

    full = {**MODEL_DEFAULTS, **params}
    blocks = plan_cnn(full, input_shape, n_blocks=int(full["conv_layers"]), filters=int(full["filters"]),
                      pool=str(full["pool"]))
    return ["pixels x feature maps per block (note 003: keep it about constant):",
            *plan_lines(blocks, input_shape), *(f"warning: {w}" for w in capacity_warnings(blocks, input_shape)),
            *(f"advice: {a}" for a in layout_advice(blocks, input_shape))]
