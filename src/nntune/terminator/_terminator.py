"""The terminator: stop a study once the room left for improvement is below the noise of
its best value. ``Terminator.should_terminate(study)`` is the whole decision;
``TerminatorCallback`` asks it after every finished trial and stops the study with a
reason in plain words."""

from __future__ import annotations

import abc
import logging
import warnings
from dataclasses import asdict, dataclass
from typing import Any

from nntune._words import counted
from nntune.analysis import complete_trials
from nntune.terminator._errors import (NO_ERROR_YET, AutoErrorEvaluator, BaseErrorEvaluator, MedianErrorEvaluator,
                                       StaticErrorEvaluator)
from nntune.terminator._improvement import (DEFAULT_MIN_N_TRIALS, BaseImprovementEvaluator,
                                            BestValueStagnationEvaluator, EMMREvaluator, RegretBoundEvaluator)
from nntune.trial import FrozenTrial

log = logging.getLogger("nntune.terminator")
STUDY_ATTR = "terminator"  # the last reading, for nntune show and the report
# What each evaluator reads, in words (a user's own evaluator goes by its class name).
WORDS = {
    "RegretBoundEvaluator": "a Gaussian process's bound on the regret",
    "EMMREvaluator": "the change of the expected minimum model regret",
    "BestValueStagnationEvaluator": "trials left before the best value counts as stagnant",
    "CrossValidationErrorEvaluator": "the best trial's cross-validation scores",
    "CurveNoiseErrorEvaluator": "the epoch-to-epoch noise of the best trials' curves",
    "SplitNoiseErrorEvaluator": "the validation split's sampling error",
    "StaticErrorEvaluator": "a fixed threshold",
    "MedianErrorEvaluator": "a share of the improvement's early median",
}


@dataclass(frozen=True)
class Reading:
    """One decision: after ``n_complete`` complete trials, the ``improvement`` left against
    the ``error``, and whether that stops the study."""

    n_complete: int
    improvement: float
    error: float
    terminate: bool
    improvement_by: str
    error_by: str

    def reason(self) -> str:
        return (f"the terminator: after {counted(self.n_complete, 'complete trial')} the room left for improvement "
                f"({self.improvement_by}, {self.improvement:.4g}) is below the noise of the best value "
                f"({self.error_by}, {self.error:.4g})")

    def text(self) -> str:
        """The reading in plain words, whichever way it went."""
        if self.terminate:
            return f"stopped by {self.reason()}"
        # EMMR's "never stop" reading and the median error's "not yet" are stand-ins, not
        # numbers to show: a noise of -2.225e-308 reads as a bug.
        room = "not measured yet" if self.improvement >= EMMREvaluator.NEVER else f"{self.improvement:.4g}"
        noise = (f"the noise of the best value is not known yet ({self.error_by})" if self.error == NO_ERROR_YET
                 else f"not below the noise of the best value {self.error:.4g} ({self.error_by})")
        return (f"the terminator's last check, after {counted(self.n_complete, 'complete trial')}: room left for "
                f"improvement {room} ({self.improvement_by}), {noise}; more trials may still find a better model")

    @classmethod
    def stored(cls, data: Any) -> Reading | None:
        """The reading a :class:`TerminatorCallback` stored with the study (None if none)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{f: data[f] for f in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None


def reading_data(stored: Any) -> dict[str, Any] | None:
    """A reading as a :class:`TerminatorCallback` stored it, with its ``text`` line, for
    ``nntune show`` and the report; None when the study has none."""
    reading = Reading.stored(stored)
    return None if reading is None else {**stored, "text": reading.text()}


def default_error_evaluator(improvement: BaseImprovementEvaluator, study: Any = None) -> BaseErrorEvaluator:
    """The error an improvement evaluator is compared with when none is given: 0 for
    stagnation (it counts trials), its own early median for EMMR (its reading is
    standardized), else :class:`AutoErrorEvaluator` with what the study knows of its
    validation split (an ``nntune tune`` study stores its size and metric)."""
    if isinstance(improvement, BestValueStagnationEvaluator):
        return StaticErrorEvaluator(0.0)
    if isinstance(improvement, EMMREvaluator):
        return MedianErrorEvaluator(improvement)
    attrs: dict[str, Any] = study.system_attrs if study is not None else {}
    n_val = attrs.get("n_val")
    return AutoErrorEvaluator(n_val if isinstance(n_val, int) else None, attrs.get("metric"))


class BaseTerminator(abc.ABC):
    """Whether a study should stop."""

    @abc.abstractmethod
    def should_terminate(self, study: Any) -> bool:
        """True once the study has nothing left worth its trials."""


class Terminator(BaseTerminator):
    """``Terminator(improvement_evaluator=None, error_evaluator=None, min_n_trials=20)``:
    stop once the improvement left (default :class:`RegretBoundEvaluator`) is below the
    best value's error (default: see :func:`default_error_evaluator`), never before
    ``min_n_trials`` complete trials. ``last`` holds the latest :class:`Reading`."""

    def __init__(self, improvement_evaluator: BaseImprovementEvaluator | None = None,
                 error_evaluator: BaseErrorEvaluator | None = None,
                 min_n_trials: int = DEFAULT_MIN_N_TRIALS) -> None:
        if isinstance(min_n_trials, bool) or not isinstance(min_n_trials, int) or min_n_trials <= 0:
            raise ValueError(f"min_n_trials must be a positive integer, got {min_n_trials!r}")
        self._improvement_evaluator = improvement_evaluator or RegretBoundEvaluator()
        self._error_evaluator = error_evaluator
        self._min_n_trials = min_n_trials
        self.last: Reading | None = None

    def read(self, study: Any) -> Reading | None:
        """The improvement and error now (None before ``min_n_trials`` complete trials)."""
        if study.is_multi_objective:
            raise ValueError("the terminator takes single-objective studies only")
        trials: list[FrozenTrial] = study.get_trials(deepcopy=False)
        n = len(complete_trials(trials))
        if n < self._min_n_trials:
            return None
        if self._error_evaluator is None:
            self._error_evaluator = default_error_evaluator(self._improvement_evaluator, study)
        improvement = self._improvement_evaluator.evaluate(trials, study.directions[0])
        error = self._error_evaluator.evaluate(trials, study.directions[0])
        name = type(self._error_evaluator).__name__
        error_by = getattr(self._error_evaluator, "source", None) or WORDS.get(name, name)
        name = type(self._improvement_evaluator).__name__
        self.last = Reading(n, float(improvement), float(error), bool(improvement < error),
                            WORDS.get(name, name), error_by)
        return self.last

    def should_terminate(self, study: Any) -> bool:
        reading = self.read(study)
        return reading is not None and reading.terminate


class TerminatorCallback:
    """``study.optimize(..., callbacks=[TerminatorCallback()])``: after each finished trial,
    stop the study when its terminator says so (default :class:`Terminator`). The reading
    is stored as the study's ``terminator`` attribute, so ``nntune show`` can say how
    close the search came to its noise.

    An evaluator that cannot read the study (no cross-validation scores, curves too short)
    raises, as Optuna's does. With ``keep_going=True`` (what ``nntune tune`` passes) the
    search goes on instead, unstopped, with one warning saying why: a search of hours is
    not lost because its stopping rule found nothing to read yet."""

    def __init__(self, terminator: BaseTerminator | None = None, *, keep_going: bool = False) -> None:
        self._terminator = terminator or Terminator()
        self._keep_going = keep_going
        self._warned = False

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        if not isinstance(self._terminator, Terminator):
            if self._terminator.should_terminate(study):
                study.stop("stopped by the terminator")
            return
        try:
            reading = self._terminator.read(study)
        except ValueError as err:
            if not self._keep_going:
                raise
            if not self._warned:
                self._warned = True
                warnings.warn(f"the terminator cannot read study {study.study_name} yet, so it does not stop "
                              f"it: {err}", UserWarning, stacklevel=2)
            return
        if reading is None:
            return
        study.storage.set_study_attr(study.id, STUDY_ATTR, {**asdict(reading), "trial": trial.number})
        if reading.terminate:
            log.info("study %s: %s", study.study_name, reading.reason())
            study.stop(reading.reason())
