"""The per-layer rules of the curve diagnosis: vanishing and exploding gradients from the
layers' gradient norms, and saturated, collapsed and dead activations from their output
statistics (recorded by :mod:`nntune.train.stats`). Pure functions of plain numbers, with
their thresholds; :mod:`nntune.diagnose_rules` holds the rules read from the curves.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nntune.diagnose_findings import Finding, finding

# Layer statistics are read from the last 5 epochs: the state training ended in, with a
# median over epochs against one noisy probe batch.
LAYER_EPOCHS = 5
# Gradients: first vs last layer gradient norm, "orders of magnitude" = 2 decades (100x).
# Healthy MLPs and CNNs keep the ratio within about one decade.
GRAD_RATIO_DECADES = 2.0
# Exploding gradients as real ReLU MLPs show them: the first/last ratio stays within a
# decade, but every layer's gradient norm is orders of magnitude above a healthy one's.
# Largest layer gradient norm of an epoch's probe (mean-reduced losses, as the built-in
# trainer's), measured on digits, breast_cancer, diabetes and 3000 Fashion-MNIST images:
# healthy runs (defaults, He init, batch norm, unnormalized digits, SGD/Momentum/Adam at
# sensible rates, the CNN, regression MLPs) peak at 2.4-5.4 over all epochs, 7.4 at most
# (a 6-layer batch-norm MLP's first probe on Fashion-MNIST). ReLU MLPs initialized with
# std 0.2 start at 78 (6 layers) and 130 (8 layers; 814 on Fashion-MNIST), with std 0.3 and
# 0.5 at 3.3e3 and 2e5, on unnormalized breast_cancer at 219. 15 is twice the healthy
# maximum; an 8-layer MLP with std 0.15 (12 at the start, 90% on digits) stays below it. A
# learning rate too large shows as a spike after a normal start (Momentum at lr 0.5: 0.13
# at the start, 24 at epoch 9); most such runs stay below (peaks of 2.6-14) and die or wobble.
GRAD_NORM_EXPLODED = 15.0
# Bounded activations: the variance of a value confined to [lo, hi] with mean m is at most
# (hi - m)(m - lo) (Bhatia-Davis), reached only when every value sits on a bound. Variance
# at 70% of that maximum means most outputs are pinned near the bounds: fed by std-1
# weights, tanh layers reach 89-92% and sigmoid layers (of 64-100 units) 76-79%, while at
# the start of training default, Xavier and He initializations give 2-55%.
SATURATION_SHARE = 0.7
# Only layers saturated already in the first epoch's probe (its first batch, before any
# update) count: the notes' bad initial scale (std 1) or unnormalized inputs. Training pushes
# well-fitted units towards their bounds too (a tanh MLP at 95.5% on digits ends at 89%).
# Collapsed activations: a hidden layer whose outputs vary by less than 0.01 (std); with
# std-0.01 weights a tanh stack shrinks them to 1e-2, 1e-3, ... layer after layer.
COLLAPSED_STD = 0.01
# Dead ReLUs: 90% of a layer's outputs exactly zero. A healthy ReLU layer sits near 50%
# (half of the pre-activations are negative); only ReLU-like units output exact zeros.
DEAD_ZERO_FRACTION = 0.9

BOUNDED_ACTIVATIONS: dict[str, tuple[float, float]] = {
    "sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "hardtanh": (-1.0, 1.0),
    "hardsigmoid": (0.0, 1.0),
    "softsign": (-1.0, 1.0),
}
ACTIVATION_NAMES = {"relu", "leakyrelu", "leaky_relu", "elu", "gelu", "silu", "softplus", *BOUNDED_ACTIVATIONS}
LAYER_TYPES = {"Linear", "Conv1d", "Conv2d", "Conv3d"}


def gradient_findings(layers_by_epoch: Sequence[Sequence[Mapping[str, Any]]]) -> list[Finding]:
    """Vanishing / exploding gradients: the median over epochs of log10(first / last layer
    gradient norm). Layers with a zero norm (frozen) are skipped."""
    ratios: list[float] = []
    first_last: list[tuple[str, float, str, float]] = []
    for layers in layers_by_epoch:
        norms = [(l.get("name", ""), l.get("grad_norm")) for l in layers]
        norms = [(str(n), float(g)) for n, g in norms if type(g) in (float, int) and 0 < g < math.inf]
        if len(norms) >= 2:
            ratios.append(math.log10(norms[0][1] / norms[-1][1]))
            first_last.append((norms[0][0], norms[0][1], norms[-1][0], norms[-1][1]))
    if not ratios:
        return []
    i = sorted(range(len(ratios)), key=ratios.__getitem__)[len(ratios) // 2]
    median = ratios[i]
    fname, fg, lname, lg = first_last[i]
    evidence = {"log10_ratio": median, "first_grad_norm": fg, "last_grad_norm": lg}
    if median <= -GRAD_RATIO_DECADES:
        return [finding("vanishing_gradients", evidence,
                        f"gradient norm of {fname} is 10^{median:.1f} times that of {lname} ({fg:.2g} vs {lg:.2g})")]
    if median >= GRAD_RATIO_DECADES:
        return [finding("exploding_gradients", evidence,
                        f"gradient norm of {fname} is 10^{median:.1f} times that of {lname} ({fg:.2g} vs {lg:.2g})")]
    return []


@dataclass(frozen=True)
class GradientPeak:
    """Where a trial's gradient norms exploded: the largest layer norm of each epoch's probe,
    read over every epoch. ``at_start``: already in the first epoch's probe, which is measured on
    the first batch before any update, so neither the learning rate nor training made it."""

    epoch: int  # the epoch of the largest norm
    norm: float
    layer: str
    start: float  # the first recorded epoch's largest norm
    start_epoch: int  # that epoch: 1 unless the records begin later (a resumed run)
    last: float  # the median of the last LAYER_EPOCHS epochs' largest norms
    at_start: bool


def largest_grad_norm(layers: Sequence[Mapping[str, Any]]) -> tuple[str, float] | None:
    """(name, norm) of the layer with the largest finite, non-zero gradient norm; None if none."""
    norms = [(str(l.get("name", "")), float(g)) for l in layers
             if isinstance(l, Mapping) and type(g := l.get("grad_norm")) in (float, int) and 0 < g < math.inf]
    return max(norms, key=lambda n: n[1]) if norms else None


def gradient_peak(peaks: Sequence[tuple[int, str, float]]) -> GradientPeak | None:
    """The explosion in a trial's per-epoch largest gradient norms, (epoch, layer, norm) in
    epoch order (see GRAD_NORM_EXPLODED): the first epoch's at or above it, or a later one's;
    None when every epoch stays below."""
    if not peaks:
        return None
    first = peaks[0][2]
    epoch, layer, norm = max(peaks, key=lambda p: p[2])
    if norm < GRAD_NORM_EXPLODED:
        return None
    last = statistics.median(p[2] for p in peaks[-LAYER_EPOCHS:])
    start_epoch = peaks[0][0]
    # Only epoch 1's probe comes before any update; a resumed run's first probe does not.
    return GradientPeak(epoch, norm, layer, first, start_epoch, last,
                        at_start=start_epoch == 1 and first >= GRAD_NORM_EXPLODED)


def peak_evidence(peak: GradientPeak) -> dict[str, float]:
    return {"first_grad_norm": peak.start, "first_epoch": float(peak.start_epoch), "peak_grad_norm": peak.norm,
            "peak_epoch": float(peak.epoch), "last_grad_norm": peak.last}


def peak_words(peak: GradientPeak) -> str:
    """The explosion in a learning-rate finding's words: after a normal start the steps grew
    the weights until the gradients exploded."""
    if peak.start >= GRAD_NORM_EXPLODED:
        return f"; gradient norms were already {peak.start:.3g} at epoch {peak.start_epoch}, the first recorded"
    return (f"; gradient norms spiked to {peak.norm:.3g} ({peak.layer}, epoch {peak.epoch}) from {peak.start:.2g} "
            f"{_when(peak)}: the steps, not the initialization, made them explode")


def _when(peak: GradientPeak) -> str:
    return "before any update" if peak.start_epoch == 1 else f"at epoch {peak.start_epoch}"


def exploding_finding(peak: GradientPeak, *, grad_clip: float = 0.0) -> Finding:
    """``exploding_gradients`` from a :class:`GradientPeak`, its cause in its words."""
    if peak.at_start:
        summary = (f"gradient norms were already {peak.start:.3g} in the first epoch, before any update "
                   f"(healthy networks start below {GRAD_NORM_EXPLODED:g}): the initialization or the "
                   f"inputs, not the learning rate, made them explode")
    elif peak.start >= GRAD_NORM_EXPLODED:  # a resumed run, exploded when its records begin
        summary = (f"gradient norms were already {peak.start:.3g} at epoch {peak.start_epoch}, the first "
                   f"recorded (healthy networks stay below {GRAD_NORM_EXPLODED:g})")
    else:
        summary = (f"gradient norm of {peak.layer} jumped to {peak.norm:.3g} at epoch {peak.epoch}, "
                   f"from {peak.start:.2g} {_when(peak)}: the updates grew the weights")
    if peak.last >= GRAD_NORM_EXPLODED:
        summary += f"; still {peak.last:.3g} in the last epochs"
        if grad_clip > 0:
            summary += f", clipped to {grad_clip:g}, so the loss only crawls"
    return finding("exploding_gradients", peak_evidence(peak), summary)


def _hidden(layers: Sequence[Mapping[str, Any]],
            kinds: Mapping[str, str | None]) -> list[tuple[Mapping[str, Any], str | None]]:
    if kinds:
        return [(l, kinds[str(l.get("name"))]) for l in layers if kinds.get(str(l.get("name"))) is not None]
    return [(l, None) for l in layers[:-1]]


def saturation_share(layer: Mapping[str, Any], kind: str | None) -> float:
    """The variance of a bounded activation's outputs as a share of the largest its mean
    allows (see SATURATION_SHARE); NaN for an unbounded or unknown activation."""
    if kind not in BOUNDED_ACTIVATIONS:
        return math.nan
    mean, std = float(layer.get("act_mean", math.nan)), float(layer.get("act_std", math.nan))
    if not (math.isfinite(mean) and math.isfinite(std)):
        return math.nan
    lo, hi = BOUNDED_ACTIVATIONS[kind]
    room = (hi - mean) * (mean - lo)
    return std**2 / room if room > 0 else 1.0


def activation_findings(layers: Sequence[Mapping[str, Any]], kinds: Mapping[str, str | None],
                        first: Sequence[Mapping[str, Any]] | None = None) -> list[Finding]:
    """Saturated, collapsed and dead activations of the hidden layers in one epoch's records.

    ``kinds`` maps layer names to their activation (``None``: an output layer). With no
    entry for any layer, every layer but the last counts as hidden (bounds unknown).
    ``first``: the first epoch's records; a layer saturated now counts only if it was
    saturated there too (see SATURATION_SHARE)."""
    if not layers:
        return []
    hidden = _hidden(layers, kinds)
    at_start = None if first is None else {str(l.get("name", "")): saturation_share(l, k)
                                           for l, k in _hidden(first, kinds)}
    saturated, collapsed, dead = [], [], []
    for layer, kind in hidden:
        name = str(layer.get("name", ""))
        std, zeros = float(layer.get("act_std", math.nan)), float(layer.get("act_zero_frac", math.nan))
        # Only ReLU-like units die; a tanh layer of exact zeros (weights started at 0) has
        # collapsed to a constant, and "try leaky ReLU" would be advice for another network.
        if math.isfinite(zeros) and zeros >= DEAD_ZERO_FRACTION and kind not in BOUNDED_ACTIVATIONS:
            dead.append((name, zeros))
            continue
        if not math.isfinite(std):
            continue
        if std < COLLAPSED_STD:
            collapsed.append((name, std))
        elif (share := saturation_share(layer, kind)) >= SATURATION_SHARE and (
                at_start is None or at_start.get(name, math.nan) >= SATURATION_SHARE):
            saturated.append((name, share))
    out: list[Finding] = []
    if saturated:
        worst = max(saturated, key=lambda s: s[1])
        out.append(finding("saturated_activations",
                           {"layers": len(saturated), "max_saturation": worst[1]},
                           f"{_names(saturated)}: output variance at {100 * worst[1]:.0f}% of the "
                           f"largest possible for the activation's range"))
    if collapsed:
        low = min(collapsed, key=lambda s: s[1])
        out.append(finding("collapsed_activations", {"layers": len(collapsed), "min_std": low[1]},
                           f"{_names(collapsed)}: activation std down to {low[1]:.2g}"))
    if dead:
        worst = max(dead, key=lambda s: s[1])
        out.append(finding("dead_relus", {"layers": len(dead), "max_zero_fraction": worst[1]},
                           f"{_names(dead)}: up to {100 * worst[1]:.0f}% of outputs are zero"))
    return out


def _names(items: Sequence[tuple[str, float]]) -> str:
    names = [n for n, _ in items]
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def last_finite_layers(layers_by_epoch: Sequence[Sequence[Mapping[str, Any]]]) -> list[Mapping[str, Any]]:
    for layers in reversed(layers_by_epoch):
        if layers and all(math.isfinite(float(l.get("act_std", math.nan))) for l in layers):
            return list(layers)
    return []
