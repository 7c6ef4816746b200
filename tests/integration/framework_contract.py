"""What every framework's callback is held to, in real fits of that framework: a tiny
learning rate is diagnosed as such and a huge one ends its trial diverged; the study's
median rule stops, inside the framework's own loop, trials far worse than the first two.

``fit(trial, lr, epochs)`` trains the framework's digits model with the callback and
returns its last validation accuracy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import nntune
from nntune.diagnose import diagnose
from nntune.trial import TrialState

Fit = Callable[[Any, float, int], float]


def check_tiny_and_huge_rates(fit: Fit, metric: str) -> None:
    study = nntune.create_study(direction="maximize", pruner=nntune.pruners.NopPruner())
    for lr in (1e-5, 1e30):
        study.enqueue_trial({"lr": lr})
    study.optimize(lambda t: fit(t, t.suggest_float("lr", 1e-5, 1e30, log=True), 4), n_trials=2)
    slow, huge = study.trials
    kinds = {f.kind for f in diagnose(slow, direction="maximize", metric=metric)}
    assert slow.state == TrialState.COMPLETE and "lr_too_small" in kinds, kinds
    assert huge.state == TrialState.DIVERGED and "not finite" in huge.error


def check_the_scheduler_stops_trials(fit: Fit, good_lr: float, epochs: int = 3) -> None:
    # Every trial after the first two is far worse than them at its first epoch: the median
    # rule stops it there, out of the framework's loop, and the study records it pruned.
    study = nntune.create_study(direction="maximize",
                                pruner=nntune.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0))
    study.optimize(lambda t: fit(t, t.suggest_float("lr", good_lr, good_lr) if t.number < 2 else 1e-6, epochs),
                   n_trials=4)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2 + [TrialState.PRUNED] * 2
    assert all(sorted(t.intermediate_values) == [1] for t in study.trials[2:])
