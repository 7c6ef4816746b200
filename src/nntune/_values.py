"""An objective's return as values, the errors of telling it (a trial told by a number that
is none among them), and the line logged as a trial ends."""

from __future__ import annotations

import contextlib
import logging
import math
import numbers
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from nntune.exceptions import FinishedTrialTellError, TrialStateError
from nntune.samplers import is_feasible
from nntune.storage._base import TrialTakenOver
from nntune.trial import FrozenTrial, TrialState, best_trial

if TYPE_CHECKING:
    from nntune.study import Study


def as_values(value: Any) -> list[float] | None:
    """An objective's return as one float per objective (None: it returned nothing)."""
    if value is None:
        return None
    if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
        value = value.tolist()
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [float(v.item() if hasattr(v, "item") else v) for v in value]
    return [float(value)]


@contextlib.contextmanager
def told_once(number: int) -> Iterator[None]:
    """A write of ``tell`` to a trial that has already finished: Optuna's tell raises
    ``ValueError`` there, nntune's storages ``TrialStateError``; the error is both. A trial
    taken from this worker is no finished tell of its own: that error passes unchanged, so
    the worker can tell it apart and go on."""
    try:
        yield
    except TrialTakenOver:
        raise
    except TrialStateError as err:
        raise FinishedTrialTellError(f"cannot tell trial {number}: {err}") from None


def tell_problem(state: TrialState, n_values: int, n_objectives: int) -> str | None:
    """What is wrong with telling a trial's end as ``state`` with ``n_values`` values
    (Optuna's rule; None: nothing): complete needs one value per objective, pruned and
    failed take none (a pruned trial keeps its last reported value)."""
    if state != TrialState.COMPLETE:
        return f"a {state.value} trial takes no values" if n_values else None
    if not n_values:
        return "a complete trial needs its values"
    if n_values != n_objectives:
        return f"got {count_of(n_values, 'value')} for a study of {count_of(n_objectives, 'objective')}"
    return None


def count_of(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless one: "1 value", "2 values"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def told_ending(state: TrialState | None, returned: Any, n_objectives: int,
                error: str | None) -> tuple[TrialState, list[float] | None, str | None]:
    """How a told trial ends: (state, its values or None, the error). As Optuna, an objective
    that returned no number, or the wrong count of them, fails its trial (the study goes on;
    the trial is never left running). An infinite value is a value, as in Optuna (a user's
    objective may return inf for a configuration it rules out); NaN is none, so a complete
    trial with one diverged. nntune's own trainers diverge on a non-finite loss before any
    value is told (``TrialDiverged``). ``state`` None is a complete trial."""
    state = TrialState.COMPLETE if state is None else TrialState(state)
    try:
        vector = as_values(returned)
    except (TypeError, ValueError):
        return TrialState.FAILED, None, error or f"objective returned {show_returned(returned)}, which is not a number"
    if vector is not None and len(vector) != n_objectives:
        # Optuna's words: the number of the values did not match the number of the objectives.
        wrong = f"{count_of(len(vector), 'value')} for a study of {count_of(n_objectives, 'objective')}"
        return TrialState.FAILED, None, error or f"objective returned {wrong}"
    if state == TrialState.COMPLETE:
        if vector is None:
            return TrialState.FAILED, None, error or "objective returned no value"
        if any(math.isnan(v) for v in vector):
            return TrialState.DIVERGED, vector, error or f"objective returned {show_values(vector)}"
    return state, vector, error


def told_badly(error: str | None) -> bool:
    """Whether a failed trial's error says it failed for what it was told (no number, or
    the wrong count of them; :func:`told_ending`'s words): the failure Optuna warns of."""
    return bool(error) and str(error).startswith("objective returned")


def show_returned(value: Any) -> str:
    """An objective's return as it reads in a one-line error (its repr, cut at 80 characters)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def show_values(values: Sequence[float]) -> str:
    return f"{values[0]!r}" if len(values) == 1 else repr(list(values))


def log_told(log: logging.Logger, study: Study, frozen: FrozenTrial) -> None:
    """The line Optuna logs as a trial ends (at INFO)."""
    if frozen.state != TrialState.COMPLETE:
        log.info("Trial %d %s%s.", frozen.number, frozen.state.value,
                 f": {frozen.error}" if frozen.error else "")
        return
    values = frozen.values or []
    names = study.metric_names
    # Named objectives read by name, as Optuna shows them: {'loss': 0.3}, {'acc': 0.9, 'ms': 12.0}.
    shown = show_values(values) if names is None else repr(dict(zip(names, values)))
    if study.is_multi_objective:
        log.info("Trial %d finished with values: %s and parameters: %s.", frozen.number, shown, frozen.params)
        return
    best = best_trial([t for t in study.get_trials(deepcopy=False) if is_feasible(t)], study.directions[0])
    # No feasible complete trial yet (all break their constraints): no best to name, as in Optuna,
    # rather than "Best is trial -1 with value: None".
    tail = "" if best is None else f" Best is trial {best.number} with value: {best.value}."
    log.info("Trial %d finished with value: %s and parameters: %s.%s", frozen.number, shown, frozen.params, tail)


def told_number(trial: Any) -> int:
    """A trial told by its number: a whole number >= 0. Storage reads numbers as list
    positions, so -1 would tell the study's last trial and 1.5 or True trial 1."""
    if isinstance(trial, bool) or not isinstance(trial, numbers.Integral):
        raise TypeError(f"trial: must be a Trial or a trial number (an integer >= 0), got "
                        f"{type(trial).__name__} {trial!r}")
    if trial < 0:
        raise ValueError(f"cannot tell trial {trial}: the study has no such trial (numbers start at 0)")
    return int(trial)
