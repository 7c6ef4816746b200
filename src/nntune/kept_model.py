"""The weights of the best trial this process trained, kept in memory for the test look.

The look at the sealed test split needs the best trial's trained model. Trials write no
weights to disk (a study of many trials would fill it), so the look retrains the best
configuration with the trial's seed, which on a CPU gives the same weights: a whole
trial's training again. When the best trial trained in this process (``nntune tune``
without workers), its model was at hand: the objective offers each finished trial's model
here, one is kept (the best so far), and the look takes it instead of retraining. On a GPU,
whose kernels are not all deterministic, it is also exactly the model the value describes.

A trial that is not the one kept (trained by another process, or tied with the kept one
and preferred by the study's tie rule) is retrained as before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch


@dataclass
class KeptModel:
    """One trial's weights on the host: the best finite value offered in ``direction``."""

    direction: str = "maximize"
    number: int | None = None
    value: float = math.nan
    state: dict[str, torch.Tensor] | None = None

    def offer(self, number: int, value: float, model: torch.nn.Module) -> bool:
        """Keep ``model``'s weights when ``value`` beats the kept one (a tie keeps the earlier
        trial). Returns whether they were kept."""
        if not math.isfinite(value) or not self.beats(value):
            return False
        # Copies on the host: the trainer goes on with the device's memory, and the model
        # object itself may be reused or freed by the next trial.
        self.state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        self.number, self.value = number, float(value)
        return True

    def beats(self, value: float) -> bool:
        if self.number is None:
            return True
        return value > self.value if self.direction == "maximize" else value < self.value

    def state_of(self, number: int) -> Mapping[str, torch.Tensor] | None:
        """Trial ``number``'s weights, or None when another trial's (or none) are kept."""
        return self.state if number == self.number else None
