"""Findings that explain others: when a layer-level cause holds a trial's errors high, it is
named in place of the findings whose advice would not help (a bigger network, another rate).

:func:`nntune.diagnose.diagnose` applies these last, to the findings of every rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from nntune.diagnose_findings import ADVICE, SEVERITY, Finding
from nntune.diagnose_layers import LAYER_TYPES

# Findings a zero initialization explains, whose own advice (a bigger network, a lower or
# larger rate) would not help: the units of each layer stay identical whatever is changed.
SYMMETRY_HIDES = ("underfitting", "dead_relus", "lr_too_small")

# Layer-level causes of errors that stay high, in the order one is named, with their words:
# each makes "a bigger network" the wrong advice (more layers deepen a vanishing gradient,
# and more sigmoid layers fed by std-1 weights saturate as the others do). The last three
# are the notes' failed initial scales: std 1 pins sigmoids at 0 and 1, std 0.01 collapses
# the signal, and weights too large explode the gradients before any update.
CAUSES_OF_HIGH_ERRORS = {"dead_relus": "the dead units", "vanishing_gradients": "the vanishing gradients",
                         "exploding_gradients": "the exploding gradients",
                         "saturated_activations": "the saturated units",
                         "collapsed_activations": "the collapsed activations"}


def starts_symmetric(params: Mapping[str, Any]) -> bool:
    """The weights start at one value: ``init: zeros``, or ``normal`` with std 0."""
    std = params.get("init_std")
    return params.get("init") == "zeros" or (
        params.get("init") == "normal" and isinstance(std, (int, float)) and not isinstance(std, bool) and std == 0)


def weight_layers(user_attrs: Mapping[str, Any]) -> int | None:
    """The Linear and convolution layers of a trial's model summary; None without one."""
    summary = user_attrs.get("model_summary")
    if not isinstance(summary, list):
        return None
    return sum(1 for row in summary if isinstance(row, Mapping) and row.get("type") in LAYER_TYPES)


def symmetric_over_consequences(found: list[Finding], params: Mapping[str, Any],
                                user_attrs: Mapping[str, Any]) -> list[Finding]:
    """The findings with ``symmetric_weights`` first when the weights started at zero (the
    notes' failed initialization), in place of what it explains (SYMMETRY_HIDES). A network
    without hidden layers (a logistic regression) learns from zeros: its loss is convex."""
    if not starts_symmetric(params):
        return found
    layers = weight_layers(user_attrs)
    depth = layers if layers is not None else 1 + int(params.get("layers", 1) or 0)
    if depth < 2:
        return found
    under = next((f for f in found if f.kind == "underfitting"), None)
    evidence: dict[str, float] = {} if layers is None else {"weight_layers": float(layers)}
    if under is not None:
        evidence.update(under.evidence)
    errors = "" if under is None else f"; {under.summary}"
    summary = f"init {params['init']}: every unit of a hidden layer started identical{errors}"
    first = Finding("symmetric_weights", SEVERITY["symmetric_weights"], evidence, ADVICE["symmetric_weights"],
                    summary)
    return [first, *(f for f in found if f.kind not in SYMMETRY_HIDES)]


def cause_over_underfitting(found: list[Finding]) -> list[Finding]:
    """The findings with ``underfitting`` folded into a layer-level cause when both hold.

    Errors that stay high while most ReLU outputs are zero come from units that died (a
    rate too large: Adam 0.1 on a Fashion-MNIST MLP ends at 17-47% accuracy with 99-100%
    zeros, its loss flat from the first epoch), not from a network too small, so "a bigger
    network" is the wrong advice; the dead-unit finding keeps the errors as its evidence.
    On 252 real runs no network made too small or too regularized (1-4 units, L2 0.1-1)
    had dead ReLUs. So too with gradients that vanish towards the first layers (a 10-layer
    sigmoid MLP on digits sits at chance, its first layer's gradient 1e-8 of the last's):
    more layers would make it worse. So too with the initial scale's findings: a 5-layer
    sigmoid MLP with std-1 weights ends at 43% training error on digits, every layer
    saturated from the first probe, and a 6-layer ReLU MLP with std-0.3 weights, clipped,
    at 38% on Fashion-MNIST, its gradients 3e3 before any update and 497 at the end."""
    under = next((f for f in found if f.kind == "underfitting"), None)
    at = next((i for kind in CAUSES_OF_HIGH_ERRORS for i, f in enumerate(found) if f.kind == kind), None)
    if under is None or at is None:
        return found
    f = found[at]
    found[at] = replace(f, evidence={**f.evidence, **under.evidence},
                        summary=f"{f.summary}; {under.summary}: {CAUSES_OF_HIGH_ERRORS[f.kind]}, not the "
                                f"network's size, hold it back")
    return [x for x in found if x is not under]


def dead_over_vanishing(found: list[Finding]) -> list[Finding]:
    """The findings with ``vanishing_gradients`` folded into ``dead_relus`` when both hold.

    A ReLU unit whose output is zero passes no gradient back, so a layer of dead units
    starves its own weights and every layer below it: the first layer's gradient is then
    orders of magnitude below the last's however shallow the network. Adam at lr 0.3 on
    breast_cancer (two hidden layers, 94% of fc2's outputs zero) ends with fc1's gradient
    10^-2.1 of the head's; a single ReLU unit under L2 1.0 on diabetes, 94% zero, 10^-2.3.
    The vanishing gradient's advice (fewer layers, ReLU instead of sigmoid/tanh) does not
    fit such a network; the dead units' (a lower rate, He initialization, leaky ReLU) does,
    and its summary names the starved gradient."""
    dead = next((i for i, f in enumerate(found) if f.kind == "dead_relus"), None)
    vanishing = next((f for f in found if f.kind == "vanishing_gradients"), None)
    if dead is None or vanishing is None:
        return found
    f = found[dead]
    found[dead] = replace(f, evidence={**f.evidence, **vanishing.evidence},
                          summary=f"{f.summary}, and they starve the layers below of gradient: {vanishing.summary}")
    return [x for x in found if x is not vanishing]


def dead_over_slow_rate(found: list[Finding]) -> list[Finding]:
    """The findings without ``lr_too_small`` when ``dead_relus`` holds.

    A layer of dead units passes no gradient back, so every weight below it stops learning
    and the loss crawls down only as the few parameters above it (the output layer's bias)
    fit the class frequencies: a slow descent that a larger rate would not turn into
    learning, and would kill more units besides, against the dead units' advice (a lower
    rate). The default MLP narrowed to one unit a layer, in a study of that one trial:
    fc2's unit outputs zero for every input from the first epoch, the gradients of fc1 and
    fc2 are 0, and the validation loss falls 5% in 30 epochs at chance accuracy (digits,
    Adam 1e-3, seed 1; wine, SGD 0.01, seed 1, 2.3%); each was told both to raise its rate
    tenfold and to lower it. Over the real runs measured for the rate rules (246 MLPs at
    good, too-small and too-large rates, 42 of them too small, and about 240 one- and
    two-unit networks), the six runs that carried both findings were all such networks."""
    if not any(f.kind == "dead_relus" for f in found):
        return found
    return [f for f in found if f.kind != "lr_too_small"]
