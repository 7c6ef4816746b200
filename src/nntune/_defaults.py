"""What ``create_study()`` and ``load_study()`` use when no sampler or scheduler is given.

Chosen for neural-network objectives in the few-trial regime, where a dozen trials fit the
budget (``docs/few-trials.md`` has the measurements): TPE that starts from the centre of
the space and fills the next four start-up trials from a scrambled Sobol sequence, then
models from trial six on (stopped trials included, ranked by how far they got) with the
best twentieth of the ranked trials as its good group (Optuna's takes a tenth); and ASHA
judging at epochs 1, 2, 4, 8, ... and keeping the better half, but stopping a trial only when
it is behind the last one kept by more than twice the epoch-to-epoch noise of the study's own
curves. On these tasks the first epochs rank configurations barely better than chance, so
the less eager rule wins: replayed on two sets of recorded curves against Optuna
TPE+Hyperband (300 seed pairs each), it reached Optuna's target in at most half its time 12
and 7 points more often than ASHA keeping the best third with the noise cut at 1x, the
default before. Trials still running count as
the worst value seen (the constant liar), which matters only when several run at once. An objective that never reports
intermediate values is never stopped, so the scheduler costs nothing there.

A study of several objectives gets TPE on the non-dominated sorting (each complete trial's
front, crowding breaking ties) with 10 random start-up trials and the constant liar, and
no stopping: pruning is refused there (a rung compares one value). Optuna's default there
is its TPE too. ``benchmarks/multi_objective.py`` (docs/benchmarks.md): after 40 trials its
hypervolume was above random search's in 10 of 10 seeds on ZDT1 and ZDT2, and on a digits
MLP's error against its size (8 seeds) its median was 0.977 of the best run's, against
0.915 for random search and 0.980 for Optuna's default.
"""

from __future__ import annotations

import math

from nntune.samplers import Sampler, TPESampler
from nntune.schedulers import ASHA, NoScheduler, Scheduler

DEFAULT_STARTUP_TRIALS = 5
DEFAULT_NOISE_MARGIN = 2.0  # ASHA stops a trial only when behind its rung's cut by more than twice the noise
DEFAULT_REDUCTION_FACTOR = 2  # the better half of each rung goes on


def few_trials_gamma(n: int) -> int:
    """How many of ``n`` ranked trials form the default TPE's good group: a twentieth,
    between 1 and 25, where Optuna's rule takes a tenth. With a few dozen trials TPE then
    models the region of the best one or two instead of the best three to seven; replayed
    on recorded curves (900 seed pairs) this reached Optuna TPE+Hyperband's target in at
    most half its time 7 points more often on a CNN and 2 on an MLP (docs/few-trials.md)."""
    return max(1, min(25, math.ceil(0.05 * n)))


def default_sampler(seed: int | None, n_objectives: int = 1) -> Sampler:
    """The sampler of a study created without one, seeded by ``seed``."""
    if n_objectives > 1:
        # The single-objective start (centre, Sobol, a twentieth as the good group) was no
        # better here: fronts are wide, and the plain start-up covers them as well.
        return TPESampler(seed=seed, constant_liar=True)
    # The constant liar changes nothing for trials run one at a time (the trial being drawn
    # has no parameters yet); under ``optimize(n_jobs=N)`` or parallel workers it tells the
    # trials still running as the worst value seen, so two do not draw the same point.
    return TPESampler(seed=seed, n_startup_trials=DEFAULT_STARTUP_TRIALS, startup="sobol", centre_first=True,
                      constant_liar=True, gamma=few_trials_gamma)


def default_scheduler(n_objectives: int = 1) -> Scheduler:
    """The scheduler of a study created without one."""
    if n_objectives > 1:
        return NoScheduler()
    return ASHA(min_resource=1, max_resource=None, reduction_factor=DEFAULT_REDUCTION_FACTOR,
                noise_margin=DEFAULT_NOISE_MARGIN)
