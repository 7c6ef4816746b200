"""What ``nntune tune`` ends with, as plain data: counts, the best trial or the Pareto
front, the test looks, and the ``--json`` object built from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nntune.builtin import TestResult
from nntune.trial import FrozenTrial


@dataclass(repr=False)  # the generated repr printed every trial's records: pages in a notebook
class TuneSummary:
    study: str
    direction: str
    metric: str
    counts: dict[str, int]
    best: FrozenTrial | None
    leaderboard: list[FrozenTrial]
    test: TestResult | None
    stop_reason: str
    new_trials: int
    notes: list[str] = field(default_factory=list)
    # Several objectives (task.metric a list): their names, the Pareto front among feasible
    # trials, and one test look per trial of it (``best`` and ``test`` stay None).
    objectives: list[str] = field(default_factory=list)
    front: list[FrozenTrial] = field(default_factory=list)
    front_tests: list[TestResult] = field(default_factory=list)
    ensemble: Any = None  # an EnsembleResult with search.ensemble
    storage: Any = None  # the study's storage, for the report
    first_error: str | None = None  # the error of the lowest-numbered failed trial
    report_path: Path | None = None  # where nntune.tune wrote the report
    model_path: Path | None = None  # where nntune.tune wrote the best trial's model (this run's look)

    def __repr__(self) -> str:
        """A few lines' worth in a notebook: the study, its trials by state, the best trial's
        number, value and parameters and its test metrics (with several objectives, the
        front's trial numbers), under ``--json``'s names. The attributes hold the rest."""
        parts = [f"study={self.study!r}", f"trials={self._trials()!r}"]
        if self.objectives:
            parts += [f"objectives={self.objectives!r}", f"front={[t.number for t in self.front]!r}"]
        else:
            best = None if self.best is None else {
                "trial": self.best.number, "value": _short(self.best.value), "params": self.best.params}
            test = {k: _short(v) for k, v in self._scalars(self.test).items()}
            parts += [f"metric={self.metric!r}", f"best={best!r}", f"test={test!r}"]
        return f"TuneSummary({', '.join(parts)})"

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object of ``nntune tune`` (its keys are a public interface)."""
        return {
            "study": self.study,
            "trials": self._trials(),
            "best": None if self.best is None else {
                "trial": self.best.number, "value": self.best.value, "params": self.best.params},
            "test": {} if self.test is None else {
                k: v for k, v in self.test.metrics.items() if isinstance(v, (int, float))},
            "test_evaluations": max([r.looks for r in self.front_tests] + [0 if self.test is None else self.test.looks]),
            "stop_reason": self.stop_reason,
            "ensemble": None if self.ensemble is None else self.ensemble.to_json(),
            "objectives": self.objectives or [self.metric],
            "front": self.front_json(),
        }

    def front_json(self) -> list[dict[str, Any]]:
        """The Pareto front (several objectives) or the best trial, each with its test look."""
        if not self.objectives:
            return [] if self.best is None else [{"trial": self.best.number, "values": [self.best.value],
                                                  "params": self.best.params, "test": self._scalars(self.test)}]
        tests = {r.trial: r for r in self.front_tests}
        return [{"trial": t.number, "values": t.values, "params": t.params,
                 "test": self._scalars(tests.get(t.number))} for t in self.front]

    def _trials(self) -> dict[str, int]:
        return {k: self.counts.get(k, 0) for k in ("complete", "pruned", "failed", "diverged")}

    @staticmethod
    def _scalars(test: TestResult | None) -> dict[str, float]:
        return {} if test is None else {k: v for k, v in test.metrics.items()
                                        if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _short(value: Any) -> Any:
    """A score to 4 significant digits (0.8 for 0.7999999999999999); the parameters stay
    exact, as they would be copied into a config."""
    return float(f"{value:.4g}") if isinstance(value, float) else value


def leaderboard_rows(trials: Sequence[FrozenTrial]) -> list[dict[str, Any]]:
    return [{"number": t.number, "state": t.state.value, "value": t.value, "epochs": t.epochs,
             "params": t.params} for t in trials]
