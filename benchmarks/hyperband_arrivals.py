"""How many trials Hyperband stops depends on the order their values arrive in, not on whose
Hyperband it is: nntune's ``Hyperband(1, 6, 3)`` and Optuna's ``HyperbandPruner(1, 6, 3)``
replayed on the same constructed curves, one trial at a time.

Two kinds of arrivals: trials whose quality is drawn alike whatever their number (a search
that learns nothing), and trials that get better as the study goes on (a sampler that
learns). A halving rung keeps the best ``1/eta`` of what reached it *so far*, so a trial
better than the earlier ones always goes on: a learning search is stopped far less. That
is why, in ``few_trials.py``, Optuna's TPE+Hyperband stopped 49% of its trials and
nntune's Sobol-started TPE with Hyperband 70%, on the same (1, 6, 3) brackets: not the
pruners (``tests/pruners/test_prunefix_optuna_parity.py`` checks that both give every
``should_prune()`` answer alike where their brackets agree), but what the samplers offered
them, and when.

    python benchmarks/hyperband_arrivals.py            # 5 seeds of 60 trials, a few seconds
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

EPOCHS = 6


def flat_curves(rng: np.random.Generator, n: int) -> list[list[float]]:
    """Qualities drawn alike for every trial; each curve rises towards its quality, with noise."""
    return [_curve(rng, rng.uniform(0.8, 0.98)) for _ in range(n)]


def learning_curves(rng: np.random.Generator, n: int) -> list[list[float]]:
    """Qualities that rise with the trial's number, as a sampler that learns would offer."""
    return [_curve(rng, 0.8 + 0.18 * (i / n) ** 0.5 * rng.uniform(0.7, 1.0)) for i in range(n)]


def _curve(rng: np.random.Generator, quality: float) -> list[float]:
    return [quality - 0.1 / e + rng.normal(0, 0.01) for e in range(1, EPOCHS + 1)]


def stopped(study: Any, pruned: type[BaseException], curves: list[list[float]]) -> int:
    """Trials the study's pruner stopped, the curves reported one trial at a time."""
    count = 0

    def objective(trial: Any) -> float:
        nonlocal count
        trial.suggest_float("x", 0.0, 1.0)
        curve = curves[trial.number]
        for epoch, value in enumerate(curve, 1):
            trial.report(value, epoch)
            if trial.should_prune():
                count += 1
                raise pruned()
        return curve[-1]

    study.optimize(objective, n_trials=len(curves))
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=60)
    args = parser.parse_args()
    import optuna

    import nntune
    from nntune.schedulers import Hyperband

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    kinds: dict[str, Callable[[np.random.Generator, int], list[list[float]]]] = {
        "qualities alike": flat_curves, "qualities rising": learning_curves}
    print(f"trials stopped of {args.trials}, Hyperband(1, {EPOCHS}, 3), the same curves for both")
    print(f"{'arrivals':18} {'seed':>4} {'nntune':>7} {'Optuna':>7}")
    for kind, make in kinds.items():
        for seed in range(args.seeds):
            curves = make(np.random.default_rng(seed), args.trials)
            ours = stopped(nntune.create_study(direction="maximize", scheduler=Hyperband(1, EPOCHS, 3, seed=seed)),
                           nntune.TrialPruned, curves)
            theirs = stopped(optuna.create_study(direction="maximize",
                                                 pruner=optuna.pruners.HyperbandPruner(1, EPOCHS, 3)),
                             optuna.TrialPruned, curves)
            print(f"{kind:18} {seed:>4} {ours:>7} {theirs:>7}")


if __name__ == "__main__":
    main()
