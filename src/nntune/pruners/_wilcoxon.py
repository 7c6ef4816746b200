"""Optuna's ``WilcoxonPruner``: stop a trial that is, with confidence, worse than the best one
over the instances both have been evaluated on.

Some objectives score a configuration over many instances (the folds of a k-fold
cross-validation, a set of problems, many validation batches) and report one value per
instance with ``trial.report(value, step=instance_id)``, in any order. Instances differ
in difficulty, so a trial's running mean says little early on; comparing it with the
best complete trial instance by instance does. After each report, a one-sided Wilcoxon
signed-rank test over the paired differences asks whether this trial is worse; when its
p-value is below ``p_threshold`` the trial stops, so a clearly worse configuration costs
a few instances instead of all of them.

The rule, as in Optuna:

- the trial is compared with the best complete trial (a feasible one when trials carry
  constraint values); with none yet, nothing is pruned;
- only instances both trials reported count; with fewer than ``max(2, n_startup_steps)``
  of them nothing is pruned;
- a trial whose own values include NaN or infinity is never pruned (and a warning says
  so), nor is one compared with a best trial that reported nothing; a stored trial keeps
  finite values only, so an instance where the best trial's value was NaN or infinite is
  one it did not report, left out of the comparison (with a warning) where Optuna would
  prune nothing against that best trial;
- zero differences are split between the ranks (scipy's ``zero_method="zsplit"``), so a
  trial identical to the best is never pruned and ties need no special case;
- the test is one-sided in the study's direction: a lower loss, or a higher accuracy, is
  better;
- a trial whose mean over its own values is at least as good as the best trial's mean
  over all of its values is kept, whatever the test says: the best trial then has had
  harder instances so far, not better results.

The rule reads stored values only and keeps no state, so asking twice at the same step
gives the same answer, and any number of threads or processes can share it.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

import numpy as np

from nntune.exceptions import ConfigError
from nntune.pruners._pruners import BasePruner
from nntune.samplers import is_feasible
from nntune.schedulers import Decision
from nntune.schedulers._options import check_count
from nntune.trial import Direction, FrozenTrial, best_trial

Note = Literal["", "no values", "not finite", "best has no values", "best not finite", "unpaired steps"]


class WilcoxonVerdict(NamedTuple):
    """What the rule found: whether to prune, the test's p-value (NaN when no test was
    run) and a note on why the trial could not be judged or what was left out ("" when
    nothing needs saying)."""

    prune: bool
    p_value: float
    note: Note


def _finite(values: Mapping[int, float | None]) -> bool:
    return all(v is not None and math.isfinite(v) for v in values.values())


def _mean(values: Mapping[int, float | None]) -> float:
    return sum(float(values[s]) for s in sorted(values)) / len(values)  # type: ignore[arg-type]


def signed_rank_p(diffs: Sequence[float], alternative: Literal["less", "greater"]) -> float:
    """The one-sided p-value of the Wilcoxon signed-rank test of ``diffs`` with zero
    differences split between the sides: scipy's ``wilcoxon(..., zero_method="zsplit")``.

    With ties or zeros among at most 13 differences scipy runs an exact sign-flip
    permutation test, which takes up to a second per call: too slow to ask after every
    instance when scores are discrete (right or wrong per question, per-fold accuracy).
    The same enumeration is done here in a few milliseconds: every one of the 2**n sign
    flips, the rank sum of the positive differences (averaged ranks) counted against the
    observed one. The sums are multiples of 1/2, exact in floating point, so the count,
    and the p-value, are scipy's.
    """
    d = np.asarray(diffs, dtype=float)
    n = d.size
    zero = d == 0
    if n > 13 or (not zero.any() and np.unique(np.abs(d)).size == n):
        from scipy.stats import wilcoxon  # on first judgement only: scipy.stats is slow to import

        return float(wilcoxon(d, alternative=alternative, zero_method="zsplit").pvalue)
    from scipy.stats import rankdata

    ranks = rankdata(np.abs(d))  # ties share their average rank; zeros rank lowest
    # A zero adds half its rank to every flip's sum alike, so it drops out of the comparison.
    flips = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1  # row k: which differences are positive
    null = flips[:, ~zero] @ ranks[~zero]
    observed = float(ranks[d > 0].sum())
    count = np.count_nonzero(null >= observed if alternative == "greater" else null <= observed)
    return float(count / 2 ** n)


def wilcoxon_verdict(values: Mapping[int, float | None], best: Mapping[int, float | None] | None,
                     direction: Direction, p_threshold: float, n_startup_steps: int) -> WilcoxonVerdict:
    """Whether a trial that reported ``values`` (instance id -> value) should stop, given the
    best complete trial's ``best`` values (None: there is no complete trial yet).

    A ``None`` value stands for a non-finite one (storage keeps finite values only, so
    such values come from data built by hand). See the module's docstring for the rule.
    """
    if not values:
        return WilcoxonVerdict(False, math.nan, "no values")
    if not _finite(values):
        return WilcoxonVerdict(False, math.nan, "not finite")
    if best is None:
        return WilcoxonVerdict(False, math.nan, "")
    if not best:
        return WilcoxonVerdict(False, math.nan, "best has no values")
    if not _finite(best):
        return WilcoxonVerdict(False, math.nan, "best not finite")
    shared = sorted(set(values) & set(best))
    note: Note = "unpaired steps" if len(shared) < len(values) else ""
    if len(shared) < max(2, n_startup_steps):
        return WilcoxonVerdict(False, math.nan, note)
    diffs = [float(values[s]) - float(best[s]) for s in shared]  # type: ignore[arg-type]
    # One-sided, towards worse: lower when larger is better, higher otherwise.
    alternative: Literal["less", "greater"] = "less" if direction == "maximize" else "greater"
    p = signed_rank_p(diffs, alternative)
    mine, theirs = _mean(values), _mean(best)
    average_is_best = mine >= theirs if direction == "maximize" else mine <= theirs
    return WilcoxonVerdict(p < p_threshold and not average_is_best, p, note)


def best_curve(history: Sequence[FrozenTrial], direction: Direction) -> tuple[int, dict[int, float | None]] | None:
    """The number and reported values of the best complete trial, as ``study.best_trial``
    chooses it (feasible trials only; None when no trial has completed)."""
    best = best_trial([t for t in history if is_feasible(t)], direction)
    return None if best is None else (best.number, dict(best.intermediate_values))


_WARNINGS: dict[Note, str] = {
    "not finite": "the values of trial {trial} include NaN or infinity: WilcoxonPruner does not prune it",
    "best has no values": "the best trial (trial {best}) reported no values, so WilcoxonPruner cannot compare "
                          "with it (a trial added with add_trial needs intermediate_values)",
    "best not finite": "the values of the best trial (trial {best}) include NaN or infinity: WilcoxonPruner "
                       "does not prune trial {trial}",
    # "did not report" alone would be wrong where the best trial reported NaN or infinity,
    # which its stored curve does not keep.
    "unpaired steps": "trial {trial} reported steps for which the best trial (trial {best}) has no value (not "
                      "reported, or NaN or infinite): WilcoxonPruner leaves them out of the comparison",
}


class WilcoxonPruner(BasePruner):
    """Stop a trial once a one-sided Wilcoxon signed-rank test over the instances it shares
    with the best complete trial says it is worse, with p-value below ``p_threshold``.

    Report one value per instance with ``trial.report(value, step=instance_id)`` (the same
    id for the same instance in every trial, in any order; shuffling the order per trial
    keeps the search from fitting the first instances) and ask ``trial.should_prune()``
    after each. A larger ``p_threshold`` prunes sooner and more often; as the test is
    repeated with every new instance, its false-positive rate is above the nominal one.
    ``n_startup_steps`` instances shared with the best trial are needed before any
    pruning (and at least two, whatever it is set to).

    A pruned trial can raise ``nntune.TrialPruned`` or return the mean of the values it
    evaluated; the trial's mean is then worse than the best trial's, so it never takes
    the best trial's place.
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        if (isinstance(p_threshold, bool) or not isinstance(p_threshold, numbers.Real)
                or not 0.0 <= p_threshold <= 1.0):
            raise ConfigError("p_threshold", f"must be a number in [0, 1], got {p_threshold!r}")
        self.p_threshold = float(p_threshold)
        self.n_startup_steps = check_count("n_startup_steps", n_startup_steps, 0)

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        """Stop or continue ``trial`` (which just reported ``step``); ``step`` itself does
        not matter, as instances come in any order."""
        if not trial.intermediate_values:
            return Decision.CONTINUE
        found = best_curve(history, direction)
        best_number, best_values = found if found is not None else (None, None)
        verdict = wilcoxon_verdict(trial.intermediate_values, best_values, direction, self.p_threshold,
                                   self.n_startup_steps)
        message = _WARNINGS.get(verdict.note)
        if message is not None:
            warnings.warn(message.format(trial=trial.number, best=best_number), UserWarning, stacklevel=3)
        return Decision.STOP if verdict.prune else Decision.CONTINUE

    def __repr__(self) -> str:
        return f"WilcoxonPruner(p_threshold={self.p_threshold:g}, n_startup_steps={self.n_startup_steps})"
