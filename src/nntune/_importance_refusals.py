"""Why no importance can be measured from a study, in words naming the actual problem:
:class:`CannotExplain` (the plots say it instead of drawing), and its
:class:`TooLittleToExplain`, which ``get_param_importances`` and nntune's evaluators answer
as Optuna's do (``{}``, or every parameter at 0) with it as their warning."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nntune.analysis import IMPORTANCE_FEWEST_TRIALS, complete_trials
from nntune.trial import FrozenTrial


class CannotExplain(ValueError):
    """The study holds too little to measure importance from (too few complete trials, none
    that used a parameter, or values that never vary): a plot of it is empty, not an error."""


class TooLittleToExplain(CannotExplain):
    """Fewer than 2 complete trials, no parameter drawn, one value for all, or (PED-ANOVA)
    every trial among the best: Optuna's ``get_param_importances`` and its evaluators answer
    these (``{}``, or every parameter at 0) rather than raising, so nntune's do too, with
    this as their warning."""


def _too_few(n: int) -> CannotExplain:
    return TooLittleToExplain(f"importance needs at least {IMPORTANCE_FEWEST_TRIALS} complete trials whose values "
                         f"vary; this study has {n}")


def cannot_explain(trials: Sequence[FrozenTrial], n_params: int, *, asked: bool = True) -> CannotExplain:
    """Why no importance can be measured from ``trials``, naming the actual problem: too
    few complete trials, no parameter any of them used, or one value for all of them."""
    values = [float(t.value) for t in complete_trials(trials)]  # type: ignore[arg-type]
    return _cannot(len(values), n_params, lambda: f"value {values[0]:g}", asked)


def cannot_explain_front(trials: Sequence[FrozenTrial], n_params: int, *, asked: bool = True) -> CannotExplain:
    """:func:`cannot_explain` for complete trials of several objectives (``trials``)."""
    return _cannot(len(trials), n_params, lambda: f"values {list(trials[0].values or [])}", asked)


def check_named(params: Sequence[str] | None, names: Sequence[str]) -> None:
    """Every parameter ``params`` names was used by a complete trial (``names`` are those
    that were): answered without one, the shares would look as if it had been measured
    and its share were 0. Optuna's evaluators refuse it too. No name used at all is
    :func:`cannot_explain`'s to say."""
    missing = [p for p in params or () if p not in names]
    if missing and names:
        raise CannotExplain(f"params: no complete trial used {missing}, so their importance cannot be measured")


def _cannot(count: int, n_params: int, shared: Callable[[], str], asked: bool = True) -> CannotExplain:
    """The first of: too few of the ``count`` complete trials, no parameter to explain, or
    one ``shared()`` value (or values) for all of them."""
    if count < IMPORTANCE_FEWEST_TRIALS:
        return _too_few(count)
    if n_params == 0:  # ``asked``: by params=, else the study's complete trials drew none
        if asked:
            return CannotExplain("params: no complete trial used any of the parameters to explain")
        return TooLittleToExplain("no complete trial of this study drew a parameter: there is none to explain")
    return TooLittleToExplain(f"importance needs complete trials whose values vary; all {count} of this "
                         f"study's have the {shared()}")
