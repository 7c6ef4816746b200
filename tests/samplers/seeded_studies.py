"""Seeded studies of the history-driven samplers (CMA-ES, NSGA-II, NSGA-III, multi-objective
TPE), with pruned, failed and diverged trials mixed in and constraints where a sampler
takes them, and the parameters each trial was given: the record that
``test_seeded_suggestions`` compares the samplers against, so that no cache that keeps
their asks fast can change a single suggestion.

    python tests/samplers/seeded_studies.py   # rewrite data/seeded_suggestions.json
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nntune
from nntune.exceptions import TrialPruned
from nntune.samplers import CmaEsSampler, NSGAIIISampler, NSGAIISampler, TPESampler

RECORD = Path(__file__).parent / "data" / "seeded_suggestions.json"
N_TRIALS = 300


class Broken(Exception):
    """The objective's failure on chosen trials (a failed trial, caught)."""


def _params(trial: nntune.Trial) -> tuple[float, float, int]:
    return (trial.suggest_float("x", -3, 3), trial.suggest_float("y", 1e-3, 1, log=True),
            trial.suggest_int("z", 0, 10))


def _mishap(trial: nntune.Trial, first: float) -> float | None:
    """Every so many trials: fail, prune (after reporting or not) or diverge; else None."""
    k = trial.number
    if k % 17 == 5:
        raise Broken(k)
    if k % 13 == 7:
        trial.report(first, 0)
        raise TrialPruned()
    if k % 29 == 11:
        raise TrialPruned()
    if k % 31 == 3:
        return math.nan
    return None


def single(trial: nntune.Trial) -> float:
    x, y, z = _params(trial)
    value = (x - 1) ** 2 + math.log10(y) ** 2 + 0.1 * (z - 3) ** 2
    bad = _mishap(trial, value)
    return value if bad is None else bad


def _objectives(trial: nntune.Trial, m: int) -> tuple[float, ...]:
    x, y, z = _params(trial)
    values = ((x - 1) ** 2 + 0.1 * z, (x + 1) ** 2 + y, (y - 0.5) ** 2 + 0.05 * (10 - z))[:m]
    bad = _mishap(trial, values[0])
    return values if bad is None else (bad,) * m


def two(trial: nntune.Trial) -> tuple[float, ...]:
    return _objectives(trial, 2)


def three(trial: nntune.Trial) -> tuple[float, ...]:
    return _objectives(trial, 3)


def _violation(trial: Any) -> list[float]:
    return [trial.params["x"] - 2.0, 0.3 - trial.params["y"] * (1 + trial.params["z"])]


# name -> (sampler factory, objective, directions)
CASES: dict[str, tuple[Callable[[], Any], Callable[[nntune.Trial], Any], list[str]]] = {
    "cmaes": (lambda: CmaEsSampler(seed=3), single, ["minimize"]),
    "cmaes_pruned": (lambda: CmaEsSampler(seed=4, popsize=6, consider_pruned_trials=True,
                                          n_startup_trials=5), single, ["maximize"]),
    "nsga2": (lambda: NSGAIISampler(seed=5, population_size=20), two, ["minimize", "maximize"]),
    "nsga2_constrained": (lambda: NSGAIISampler(seed=6, population_size=16, constraints_func=_violation),
                          two, ["minimize", "minimize"]),
    "nsga2_single": (lambda: NSGAIISampler(seed=7, population_size=12), single, ["minimize"]),
    "nsga3": (lambda: NSGAIIISampler(seed=8, population_size=24, constraints_func=_violation),
              three, ["minimize", "maximize", "minimize"]),
    "nsga3_two": (lambda: NSGAIIISampler(seed=11, population_size=20), two, ["maximize", "minimize"]),
    "nsga3_single": (lambda: NSGAIIISampler(seed=12, population_size=12, constraints_func=_violation), single,
                     ["minimize"]),
    "nsga2_three": (lambda: NSGAIISampler(seed=13, population_size=20, constraints_func=_violation), three,
                    ["minimize", "minimize", "maximize"]),
    "motpe": (lambda: TPESampler(seed=9, n_startup_trials=10), two, ["minimize", "minimize"]),
    "motpe_constrained": (lambda: TPESampler(seed=10, constraints_func=_violation), three,
                          ["maximize", "minimize", "minimize"]),
}


def run(name: str, n_trials: int = N_TRIALS, storage: str | None = None) -> list[dict[str, Any]]:
    """Each trial's parameters (empty for a trial that failed before suggesting any)."""
    make, objective, directions = CASES[name]
    study = nntune.create_study(storage=storage, sampler=make(), directions=directions)
    study.optimize(objective, n_trials=n_trials, catch=(Broken,))
    return [dict(t.params) for t in study.get_trials(deepcopy=False)]


if __name__ == "__main__":
    nntune.logging.set_verbosity(nntune.logging.ERROR)
    chosen = sys.argv[1:] or list(CASES)
    # Named cases are recorded anew and the others kept: a new case is recorded without
    # rewriting what the samplers drew before.
    kept = json.loads(RECORD.read_text()) if sys.argv[1:] and RECORD.exists() else {}
    record = {**kept, **{name: run(name) for name in chosen}}
    RECORD.write_text("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}"
                                          for k, v in record.items()) + "\n}\n")
    print(f"wrote {RECORD}: {', '.join(f'{k} ({len(v)})' for k, v in record.items())}")
