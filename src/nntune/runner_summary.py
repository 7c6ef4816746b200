"""What ``nntune tune`` ends with, as plain data: counts, the best trial or the Pareto
front, the test looks, and the ``--json`` object built from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nntune.builtin import TestResult
from nntune.trial import FrozenTrial


@dataclass
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

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object of ``nntune tune`` (its keys are a public interface)."""
        return {
            "study": self.study,
            "trials": {k: self.counts.get(k, 0) for k in ("complete", "pruned", "failed", "diverged")},
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

    @staticmethod
    def _scalars(test: TestResult | None) -> dict[str, float]:
        return {} if test is None else {k: v for k, v in test.metrics.items()
                                        if isinstance(v, (int, float)) and not isinstance(v, bool)}


def leaderboard_rows(trials: Sequence[FrozenTrial]) -> list[dict[str, Any]]:
    return [{"number": t.number, "state": t.state.value, "value": t.value, "epochs": t.epochs,
             "params": t.params} for t in trials]
