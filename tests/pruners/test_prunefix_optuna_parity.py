"""The same scripted reports under Optuna and nntune: every should_prune() answer alike.

Each script is a list of events over a few trials, some running at once: a report (with
or without a should_prune() after it) or the trial's end. A trial is told pruned as soon
as it is told to stop. Steps may jump, values may be NaN, and the direction is either.
Where nntune means to differ (an infinite value at a rung, a halving pruner's rungs
before an "auto" resource is known, the bracket Optuna deals a trial to from the study's
name) the scripts stay clear of it; Hyperband's brackets are dealt as nntune deals them.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import nntune

optuna = pytest.importorskip("optuna")

Event = tuple[Any, ...]
Make = Callable[[Any], Any]


def _deal_as_nntune(pruner: Any) -> None:
    """Optuna's Hyperband deals trials to brackets by a hash of the study's name; here
    by nntune's seeded deal, so that both judge each trial in the same bracket."""
    def bracket_id(study: Any, trial: Any) -> int:
        if not pruner._pruners:
            return 0
        budget = pruner._max_resource
        ours = nntune.schedulers.Hyperband(min(pruner._min_resource, budget), budget, pruner._reduction_factor, seed=0)
        return ours.brackets[0].index - ours.bracket_of(trial.number).index
    pruner._get_bracket_id = bracket_id


def _answers(lib: Any, events: list[Event], direction: str, make: Make) -> list[tuple[int, int, bool]]:
    lib.logging.set_verbosity(lib.logging.ERROR)
    study = lib.create_study(direction=direction, pruner=make(lib), study_name="parity")
    if lib is optuna:
        inner = getattr(study.pruner, "_wrapped_pruner", study.pruner)
        if isinstance(inner, optuna.pruners.HyperbandPruner):
            _deal_as_nntune(inner)
    trials: dict[int, Any] = {}
    done: set[int] = set()
    out = []
    for kind, number, *rest in events:
        if number in done:
            continue
        if number not in trials:
            trials[number] = study.ask()
        trial = trials[number]
        if kind == "end":
            study.tell(trial, rest[0])
            done.add(number)
            continue
        step, value, ask = rest
        trial.report(value, step)
        if not ask:
            continue
        stop = bool(trial.should_prune())
        out.append((number, step, stop))
        if stop:
            study.tell(trial, state=lib.trial.TrialState.PRUNED)
            done.add(number)
    return out


def _scripts(seed: int, *, nan: bool, sparse: bool, shuffled: bool, n: int = 6) -> list[list[Event]]:
    """``n`` scripts of 2 to 6 trials, each of 1 to 9 reports, interleaved in half of them;
    ``nan``: some values NaN; ``sparse``: some reports not asked about; ``shuffled``: the
    last trial reports its steps in any order (and runs after the others: Optuna keeps a
    rung's value from the report that reached it, nntune reads a stored curve's first
    report at or past the rung, which is the same for curves reported in order)."""
    rng = random.Random(seed)
    scripts = []
    for _ in range(n):
        streams = []
        count = rng.randint(2, 6)
        for number in range(count):
            base, gap = rng.random(), rng.choice([1, 1, 2, 3])
            steps = [i * gap for i in range(rng.randint(1, 9))]
            if shuffled and number == count - 1:
                rng.shuffle(steps)
            stream: list[Event] = []
            for step in steps:
                value = math.nan if nan and rng.random() < 0.15 else round(base + rng.gauss(0, 0.2) - 0.05 * step, 2)
                stream.append(("report", number, step, value, not sparse or rng.random() < 0.5))
            last = next((e[3] for e in reversed(stream) if not math.isnan(e[3])), base)
            streams.append([*stream, ("end", number, last)])
        if shuffled or rng.random() < 0.5:
            scripts.append([e for s in streams for e in s])
            continue
        merged: list[Event] = []
        while any(streams):
            merged.append(rng.choice([s for s in streams if s]).pop(0))
        scripts.append(merged)
    return scripts


PRUNERS: dict[str, tuple[Make, dict[str, bool]]] = {
    # name: (pruner from the library, which scripts: nan / sparse / shuffled)
    "median": (lambda lib: lib.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
               {"nan": True, "sparse": True, "shuffled": True}),
    "median_min_trials": (lambda lib: lib.pruners.MedianPruner(n_startup_trials=0, n_min_trials=3),
                          {"nan": False, "sparse": True, "shuffled": True}),
    "percentile_interval": (lambda lib: lib.pruners.PercentilePruner(30.0, n_startup_trials=1, interval_steps=2),
                            {"nan": True, "sparse": True, "shuffled": True}),
    "percentile_0": (lambda lib: lib.pruners.PercentilePruner(0.0, n_startup_trials=1),
                     {"nan": True, "sparse": False, "shuffled": False}),
    "percentile_100": (lambda lib: lib.pruners.PercentilePruner(100.0, n_startup_trials=1, n_warmup_steps=3),
                       {"nan": True, "sparse": False, "shuffled": False}),
    "threshold": (lambda lib: lib.pruners.ThresholdPruner(lower=0.0, upper=1.0, n_warmup_steps=2, interval_steps=3),
                  {"nan": True, "sparse": True, "shuffled": True}),
    "patient": (lambda lib: lib.pruners.PatientPruner(None, patience=2, min_delta=0.05),
                {"nan": True, "sparse": True, "shuffled": True}),
    "patient_median": (lambda lib: lib.pruners.PatientPruner(lib.pruners.MedianPruner(n_startup_trials=1), patience=1),
                       {"nan": True, "sparse": True, "shuffled": True}),
    "halving": (lambda lib: lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
                {"nan": True, "sparse": False, "shuffled": False}),
    "halving_bootstrap": (lambda lib: lib.pruners.SuccessiveHalvingPruner(
        min_resource=2, reduction_factor=3, min_early_stopping_rate=1, bootstrap_count=2),
        {"nan": True, "sparse": False, "shuffled": False}),
    "halving_late_steps": (lambda lib: lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
                           {"nan": False, "sparse": False, "shuffled": True}),
    "hyperband": (lambda lib: lib.pruners.HyperbandPruner(min_resource=1, max_resource=12, reduction_factor=2),
                  {"nan": True, "sparse": False, "shuffled": False}),
    "patient_halving": (lambda lib: lib.pruners.PatientPruner(
        lib.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2), patience=1),
        {"nan": False, "sparse": False, "shuffled": True}),
    "wilcoxon": (lambda lib: lib.pruners.WilcoxonPruner(p_threshold=0.2),
                 {"nan": False, "sparse": True, "shuffled": True}),
}


@pytest.mark.parametrize("name", sorted(PRUNERS))
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_every_answer_as_optuna(name: str, direction: str) -> None:
    make, kinds = PRUNERS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's experimental notes, Wilcoxon's notes
        # More scripts where a trial reports late steps: those rarely meet a rung just so.
        for index, events in enumerate(_scripts(sum(map(ord, name)), **kinds, n=30 if kinds["shuffled"] else 6)):
            ours, theirs = (_answers(lib, events, direction, make) for lib in (nntune, optuna))
            assert ours == theirs, f"script {index}: {events}"
