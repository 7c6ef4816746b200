"""What a finding of the curve diagnosis is: its kinds, each with a severity and the advice
of the lecture notes, and the :class:`Finding` a rule returns (:func:`finding` fills in the
severity and the advice of its kind).

The rules that decide when a finding holds are in :mod:`nntune.diagnose_rules`;
:mod:`nntune.diagnose` reads a trial and calls them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["info", "warning", "error"]

ADVICE: dict[str, str] = {
    "overfitting": "The model memorizes the training data. Regularize: L2 weight decay (raise "
                   "lambda while the gap persists), dropout (start at p 0.3, raise it towards 0.5 "
                   "if the model still overfits), data augmentation; or use a smaller network, stop "
                   "earlier (early stopping), or collect more data.",
    "underfitting": "The model cannot fit even the training data. Use a bigger network (more "
                    "layers or units), train for more epochs, or try another architecture; "
                    "weaken the regularization if there is any (less weight decay or "
                    "dropout); more data will not help.",
    "lr_too_small": "The validation curve was still improving steadily at the end: the learning "
                    "rate is too small to converge in time. Train for more epochs or raise the "
                    "learning rate a little.",
    "lr_too_large": "The loss oscillates up and down, falls and then climbs again, or blew "
                    "up within an epoch: the learning rate is too large. Lower it, or use a "
                    "decay schedule (step, exponential, plateau).",
    "diverged": "The loss blew up (NaN, infinite or exploding): the learning rate is far too "
                "large, or the gradients exploded (weights initialized too large, a deep "
                "stack). Lower the learning rate; also consider gradient clipping, normalized "
                "inputs and a smaller initialization (Xavier/He).",
    "vanishing_gradients": "Gradients shrink towards the first layers, so those layers barely "
                           "learn. Use fewer layers or residual connections, ReLU instead of "
                           "sigmoid/tanh, Xavier/He initialization, normalized inputs or batch "
                           "normalization, and less weight decay.",
    "exploding_gradients": "Gradient norms are orders of magnitude above a healthy network's, "
                           "or grow towards the first layers: the steps overshoot, and clipping "
                           "only hides it. Large from the start: initialize weights smaller "
                           "(Xavier/He) and normalize the inputs. Large later: lower the learning "
                           "rate. Clipping and weight decay help too.",
    "saturated_activations": "Sigmoid/tanh outputs sit at their bounds, where the gradient is "
                             "almost zero. Initialize weights smaller (Xavier instead of std 1), "
                             "normalize the inputs, add batch normalization, or use ReLU.",
    "collapsed_activations": "Activations collapse towards a constant layer after layer, so the "
                             "signal (and its gradient) vanishes. Initialize weights larger "
                             "(Xavier/He instead of std 0.01) or add batch normalization.",
    "dead_relus": "Most ReLU outputs are exactly zero, so those units no longer learn. Lower "
                  "the learning rate, use He initialization, or try leaky ReLU / ELU.",
    "symmetric_weights": "Every weight started at the same value (zero), so all units of a layer "
                         "compute the same output and backpropagation updates them alike: the "
                         "layer acts as one unit, and with ReLU or tanh the signal and its "
                         "gradient are zero from the start. Initialize the weights randomly "
                         "(He for ReLU, Xavier for sigmoid/tanh); only the biases start at 0.",
    "stalled": "The curve stopped improving far short of what other trials reached: more "
               "epochs will not help this configuration. A learning rate far too small crawls "
               "(raise it tenfold), one too large stays at a poor level or at chance (lower it "
               "tenfold), a decay that reaches zero early freezes the weights (decay later), and "
               "heavy dropout or weight decay hold a curve down. Check too that the objective "
               "trains what it scores: the optimizer holds the model's parameters, and the "
               "inputs are shuffled and scaled.",
}
# lr_too_small's advice where the schedule, not the starting rate, slowed the curve (see
# nntune.diagnose_descent.stalled_by_schedule): more epochs under a step or exponential
# decay run at a rate already near zero, so the decay itself has to change.
LR_SCHEDULE_ADVICE = ("The validation curve was still improving for the learning rate it had, but the "
                      "schedule had lowered that rate so far that it barely moved at the end: the "
                      "schedule decays too early. Decay later or more slowly (a larger decay factor, "
                      "longer steps, a cosine spread over more epochs), or start from a larger rate; "
                      "more epochs under the same decay add little.")
SEVERITY: dict[str, Severity] = {
    "overfitting": "warning",
    "underfitting": "warning",
    "lr_too_small": "info",
    "lr_too_large": "warning",
    "diverged": "error",
    "vanishing_gradients": "warning",
    "exploding_gradients": "warning",
    "saturated_activations": "warning",
    "collapsed_activations": "warning",
    "dead_relus": "warning",
    "symmetric_weights": "error",
    "stalled": "warning",
}
KINDS = tuple(ADVICE)


@dataclass(frozen=True)
class Finding:
    """One diagnosis: what (``kind``), how bad, the numbers it rests on, what to do.
    ``summary`` says in one line what was seen (it may name layers)."""

    kind: str
    severity: Severity
    evidence: dict[str, float]
    advice: str
    summary: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "evidence": dict(self.evidence),
                "advice": self.advice, "summary": self.summary}


def finding(kind: str, evidence: Mapping[str, float], summary: str) -> Finding:
    return Finding(kind, SEVERITY[kind], {k: float(v) for k, v in evidence.items()}, ADVICE[kind], summary)


def no_finding_words(epochs: int | None) -> str:
    """What a trial without findings says, by the epochs (or steps) it reported: none, so
    nothing was read; fewer than the trend rules need (:data:`MIN_EPOCHS_FOR_TREND`), so no
    finding is no verdict either; or curves that look healthy (``None``: not counted)."""
    from nntune.diagnose_descent import MIN_EPOCHS_FOR_TREND

    if epochs is not None and epochs <= 0:
        return "the trial reported no curve (no trial.report), so there was nothing to diagnose"
    if epochs is not None and epochs < MIN_EPOCHS_FOR_TREND:
        reported = f"{epochs} epoch" if epochs == 1 else f"{epochs} epochs"
        return f"too short to read: {reported}, where a trend takes {MIN_EPOCHS_FOR_TREND}"
    return "the curves look healthy"
