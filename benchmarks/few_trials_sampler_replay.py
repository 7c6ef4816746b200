"""Race samplers offline: nntune's real samplers and schedulers against Optuna's TPE with
HyperbandPruner, on recorded ``mnist_cnn`` curves instead of training.

``few_trials_replay.py`` draws recorded configurations at random, so it measures stopping
rules but not samplers. Here each sampler proposes its own configurations, and a
nearest-neighbour surrogate answers each one with the recorded curve (values and epoch
costs) of the closest recorded configuration: distance in the search space's unit cube
(on the log scale where the space is log), with a categorical mismatch counted as a gap
larger than any numeric distance, so the neighbour shares ``batch_size`` and ``optimizer``
whenever a recording with those values exists.

The surrogate's limits, which bound what the replay can say:

- 162 points in 7 dimensions (about 20 per categorical pair, in 5 numeric dimensions) is
  sparse: most proposals are far from every recording, and the answer is a step function
  of the configuration, flat between recordings.
- It rewards landing *near* a recorded good point, not *between* good points: a sampler
  that explores where nothing was recorded is answered with whatever recording is least far.
- Ties (two proposals with the same neighbour) replay the same curve, noise included: the
  recorded curve is one training run, not the configuration's expected curve.
- Its leave-one-out check (each recording answered by its nearest other recording, printed
  first) says how much of the final value the neighbour carries.

Simulated studies run in simulated time as in ``few_trials_replay.py``: each epoch costs the
neighbour's recorded seconds (``cpu_s``), the budget is 180 simulated seconds like the real
``mnist_cnn`` race. nntune's side is a real in-memory study (``ask``, the objective's
``suggest_*`` calls in its order, ``report``, ``should_prune``, ``tell``) on 2 simulated
workers, with each suggestion stored at once as under ``optimize(n_jobs=2)`` so the
constant liar sees the trial still running; Optuna's side is ``optuna.create_study`` with
``TPESampler`` and ``HyperbandPruner(1, 6, 3)`` on 1 worker. Seed ``k`` of either side is
study seed ``k``. The target is Optuna's median final best over the seeds (as in the real
race); per nntune variant it prints the median seconds to target, the share of seeds
reaching it, the median best, trials started, distinct recordings that answered them
(fewer than started: proposals sharing a neighbour), the share stopped, and the share of
seeds where nntune reached it in at most half Optuna's time (Optuna not reaching it counts
as a win when nntune did), with a 90% interval for that share from resampling the seeds,
and each variant's difference from the defaults in that share (percentage points, paired
over the same seeds, with its 90% interval).
The GP variant refits its model at every suggestion (~10 CPU s a study), so it runs on the
first ``--gp-seeds`` seeds only, against the same Optuna seeds and the same target.

    python benchmarks/few_trials_sampler_replay.py              # 100 seed pairs, every variant
    python benchmarks/few_trials_sampler_replay.py --seeds 20 --variants defaults "startup 8"
    python benchmarks/few_trials_sampler_replay.py --task wide_mlp --budget 120   # the batch-norm MLP's space
"""

from __future__ import annotations

import argparse
import heapq
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from few_trials_replay import DEFAULT_FILE, Recorded, load_rows, paired  # noqa: E402

import nntune  # noqa: E402
from nntune._defaults import DEFAULT_STARTUP_TRIALS, default_scheduler, few_trials_gamma  # noqa: E402
from nntune.samplers import GPSampler, TPESampler  # noqa: E402
from nntune.samplers._tpe import Groups, default_gamma, split  # noqa: E402
from nntune.samplers._define_by_run import ranked  # noqa: E402
from nntune.schedulers import ASHA, CurveExtrapolation, MedianStopping, NoScheduler  # noqa: E402
from nntune.space import Choice, Distribution, Float, Int, Space  # noqa: E402
from nntune.trial import FrozenTrial, TrialState  # noqa: E402

# The mnist_cnn objective's parameters, in the order its suggest_* calls make them
# (few_trials_tasks.py: cnn(), then lr, batch_size, weight_decay, optimizer).
SPACE: dict[str, Distribution] = {
    "filters": Int(4, 32, log=True), "hidden": Int(32, 256, log=True), "dropout": Float(0.0, 0.5),
    "lr": Float(1e-4, 3e-2, log=True), "batch_size": Choice((32, 64, 128, 256)),
    "weight_decay": Float(1e-6, 1e-3, log=True), "optimizer": Choice(("adam", "sgd")),
}
# The batch-norm MLP's (few_trials_tasks.py: bn_mlp(), then the same four).
WIDE_MLP_SPACE: dict[str, Distribution] = {
    "width": Int(16, 1024, log=True), "depth": Int(1, 3), "dropout": Float(0.0, 0.5),
    **{n: d for n, d in SPACE.items() if n not in ("filters", "hidden", "dropout")},
}
SPACES = {"mnist_cnn": SPACE, "wide_mlp": WIDE_MLP_SPACE}
CATEGORICAL_GAP = 10.0  # beyond the unit cube's diagonal in the numeric dimensions (sqrt(5))


def suggest_all(trial: Any, space: dict[str, Distribution] = SPACE) -> dict[str, Any]:
    """The objective's suggest_* calls, through either library's trial."""
    out: dict[str, Any] = {}
    for name, d in space.items():
        if isinstance(d, Choice):
            out[name] = trial.suggest_categorical(name, list(d.values))
        elif isinstance(d, Int):
            out[name] = trial.suggest_int(name, d.low, d.high, log=d.log)
        else:
            out[name] = trial.suggest_float(name, d.low, d.high, log=d.log)
    return out


class Surrogate:
    """Answers a configuration with the recorded curve of its nearest recorded one."""

    def __init__(self, rows: Sequence[tuple[dict[str, Any], Recorded]],
                 space: dict[str, Distribution] = SPACE) -> None:
        if not rows:
            raise ValueError("rows: no recorded configurations")
        self.space = space
        self.curves = [rec for _, rec in rows]
        self._numeric = [n for n, d in space.items() if not isinstance(d, Choice)]
        self._categorical = [n for n, d in space.items() if isinstance(d, Choice)]
        self._x = np.array([self.unit(p) for p, _ in rows]).reshape(len(rows), len(self._numeric))
        self._c = [tuple(p[n] for n in self._categorical) for p, _ in rows]

    def unit(self, params: dict[str, Any]) -> np.ndarray:
        return np.array([self.space[n].to_unit(params[n]) for n in self._numeric])

    def distances(self, params: dict[str, Any]) -> np.ndarray:
        d = np.sqrt(((self._x - self.unit(params)) ** 2).sum(axis=1))
        cat = tuple(params[n] for n in self._categorical)
        return d + CATEGORICAL_GAP * np.array([sum(a != b for a, b in zip(c, cat)) for c in self._c])

    def nearest(self, params: dict[str, Any], exclude: int | None = None) -> int:
        """The index of the nearest recording (the first of equals: ties are rare in floats)."""
        d = self.distances(params)
        if exclude is not None:
            d[exclude] = math.inf
        return int(np.argmin(d))

    def curve(self, params: dict[str, Any]) -> Recorded:
        return self.curves[self.nearest(params)]


def leave_one_out(rows: Sequence[tuple[dict[str, Any], Recorded]], surrogate: Surrogate) -> tuple[float, float]:
    """Pearson and Spearman correlation between each recording's final value and that of
    its nearest other recording: how far the neighbour stands for the configuration."""
    own = np.array([rec.final for _, rec in rows])
    near = np.array([surrogate.curves[surrogate.nearest(p, exclude=i)].final for i, (p, _) in enumerate(rows)])

    def rank(a: np.ndarray) -> np.ndarray:
        return np.argsort(np.argsort(a, kind="stable"), kind="stable").astype(float)

    return float(np.corrcoef(own, near)[0, 1]), float(np.corrcoef(rank(own), rank(near))[0, 1])


@dataclass
class Run:
    """One simulated study: each complete trial's (simulated end time, final value)."""

    done: list[tuple[float, float]] = field(default_factory=list)
    started: int = 0
    stopped: int = 0
    answered: set[int] = field(default_factory=set)  # which recordings answered (ties show here)

    @property
    def best(self) -> float:
        return max((v for _, v in self.done), default=-math.inf)

    def time_to(self, target: float) -> float:
        return min((t for t, v in self.done if v >= target), default=math.inf)


class Driver:
    """Starts, reports and finishes trials of one library's study; ``start`` returns a
    handle and the configuration's curve."""

    def start(self) -> tuple[Any, Recorded]: ...
    def report(self, handle: Any, value: float, epoch: int) -> bool: ...  # True: stop it
    def finish(self, handle: Any, value: float | None) -> None: ...  # None: stopped


class NntuneDriver(Driver):
    def __init__(self, study: Any, surrogate: Surrogate) -> None:
        self.study, self.surrogate = study, surrogate
        study._parallel_jobs = 2  # as optimize(n_jobs=2): the liar sees running trials' params

    def start(self) -> tuple[Any, Recorded]:
        trial = self.study.ask()
        return trial, self.surrogate.curve(suggest_all(trial, self.surrogate.space))

    def report(self, handle: Any, value: float, epoch: int) -> bool:
        handle.report(value, epoch)
        return bool(handle.should_prune())

    def finish(self, handle: Any, value: float | None) -> None:
        if value is None:
            self.study.tell(handle, state=TrialState.PRUNED)
        else:
            self.study.tell(handle, value)


class OptunaDriver(Driver):
    def __init__(self, seed: int, surrogate: Surrogate, epochs: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna, self.surrogate = optuna, surrogate
        # HyperbandPruner puts trials in brackets by a hash of the study's name: a fixed name
        # makes a seed replay the same (a fresh random name would draw the brackets anew).
        self.study = optuna.create_study(study_name=f"replay-{seed}", direction="maximize",
                                         sampler=optuna.samplers.TPESampler(seed=seed),
                                         pruner=optuna.pruners.HyperbandPruner(1, epochs, 3))
        d = optuna.distributions
        self.dists = {n: d.CategoricalDistribution(list(x.values)) if isinstance(x, Choice)
                      else d.IntDistribution(x.low, x.high, log=x.log) if isinstance(x, Int)
                      else d.FloatDistribution(x.low, x.high, log=x.log) for n, x in surrogate.space.items()}

    def start(self) -> tuple[Any, Recorded]:
        trial = self.study.ask(self.dists)
        return trial, self.surrogate.curve(trial.params)

    def report(self, handle: Any, value: float, epoch: int) -> bool:
        handle.report(value, epoch)
        return bool(handle.should_prune())

    def finish(self, handle: Any, value: float | None) -> None:
        if value is None:
            self.study.tell(handle, state=self.optuna.trial.TrialState.PRUNED)
        else:
            self.study.tell(handle, value)


def simulate(driver: Driver, budget: float, workers: int) -> Run:
    """Trials on ``workers`` simulated workers until ``budget`` simulated seconds: a worker
    starts the next trial when its trial finishes or is stopped; each epoch costs the
    curve's recorded seconds. Trials still running at the budget are left unfinished."""
    run = Run()
    live: dict[int, tuple[Any, Recorded]] = {}
    events: list[tuple[float, int, int]] = []  # (time the epoch ends, start order, epoch)

    def start(now: float) -> None:
        handle, rec = driver.start()
        live[run.started] = (handle, rec)
        run.answered.add(id(rec))
        heapq.heappush(events, (now + rec.seconds[0], run.started, 1))
        run.started += 1

    for _ in range(workers):
        start(0.0)
    while events:
        now, k, epoch = heapq.heappop(events)
        if now > budget:
            break
        handle, rec = live[k]
        stop = driver.report(handle, rec.values[epoch - 1], epoch)
        if epoch == len(rec.values):
            driver.finish(handle, rec.final)
            run.done.append((now, rec.final))
            start(now)
        elif stop:
            driver.finish(handle, None)
            run.stopped += 1
            start(now)
        else:
            heapq.heappush(events, (now + rec.seconds[epoch], k, epoch + 1))
    return run


class StartupThenGP:
    """TPE's start-up points (centre, then Sobol) until ``n_startup`` trials are ranked,
    then ``GPSampler`` (which has no constant liar: two workers differ only by its seed)."""

    def __init__(self, seed: int, n_startup: int = DEFAULT_STARTUP_TRIALS) -> None:
        self.seed, self.n_startup = seed, n_startup
        self.first = TPESampler(seed=seed, n_startup_trials=n_startup, startup="sobol", centre_first=True)
        self.then = GPSampler(seed=seed, n_startup_trials=2)

    def _model(self, history: Sequence[FrozenTrial], direction: str) -> Any:
        return self.then if len(ranked(history, direction)) >= self.n_startup else self.first

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        return self._model(history, direction).suggest(space, history, number=number, direction=direction)

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        return self._model(history, direction).suggest_one(name, dist, history, number=number, direction=direction)


def tpe(seed: int, **changes: Any) -> TPESampler:
    """The default sampler (``nntune._defaults.default_sampler``) with ``changes``."""
    options: dict[str, Any] = dict(n_startup_trials=DEFAULT_STARTUP_TRIALS, startup="sobol", centre_first=True,
                                   constant_liar=True, gamma=few_trials_gamma)
    return TPESampler(seed=seed, **{**options, **changes})


def rung_reliability(completes: Sequence[FrozenTrial], step: int) -> float:
    """How well the value at ``step`` ranks the complete trials by their final value: the
    Spearman correlation over those that reported it, clipped to [0, 1]; 1 (trust the
    rung) until 4 complete trials reported it."""
    pairs = [(t.intermediate_values[step], t.value) for t in completes
             if step in t.intermediate_values and t.value is not None]
    if len(pairs) < 4:
        return 1.0
    a, b = np.asarray(pairs, dtype=float).T
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    rho = float(np.corrcoef(np.argsort(np.argsort(a)), np.argsort(np.argsort(b)))[0, 1])
    return min(1.0, max(0.0, rho))


class TPEStoppedRule(TPESampler):
    """The default TPE with another rule for stopped trials (``rule``):

    - ``"complete start-up"``: the model counts stopped trials, the start-up waits for
      ``n_startup_trials`` complete ones (isolates ``consider_pruned=False``'s longer start-up);
    - ``"left out, start-up on all"``: stopped trials out of the model, the start-up counts
      them (isolates the model without them);
    - ``"rung weights"``: a stopped trial's kernel weighs the Spearman correlation, over the
      study's complete trials, between the value at its last rung and the final value."""

    def __init__(self, seed: int, rule: str, **changes: Any) -> None:
        options: dict[str, Any] = dict(n_startup_trials=DEFAULT_STARTUP_TRIALS, startup="sobol",
                                       centre_first=True, constant_liar=True, gamma=few_trials_gamma)
        super().__init__(seed=seed, **{**options, **changes})
        self.rule = rule

    def _split(self, space: Space, history: Sequence[FrozenTrial], direction: str,
               slot: str | None = None, *, pareto: bool = False, lying: frozenset[int] = frozenset()) -> Groups | None:
        all_ranked = ranked(history, direction)
        completes = [t for t in all_ranked if t.state == TrialState.COMPLETE]

        def measured(trials: Sequence[FrozenTrial]) -> int:  # the constant liars count for nothing, as in TPESampler
            return sum(t.number not in lying for t in trials)

        if self.rule == "complete start-up":
            if measured(completes) < self.n_startup_trials:
                return None
            return super()._split(space, history, direction, slot, pareto=pareto, lying=lying)
        if self.rule == "left out, start-up on all":
            if measured(all_ranked) < self.n_startup_trials or measured(completes) < 2:
                return None
            trials = completes
        else:
            if measured(all_ranked) < self.n_startup_trials:
                return None
            trials = all_ranked
        points = self._rows.encode(space, trials, slot)
        n_good = split(measured(trials), self.gamma)
        weights = np.ones(len(trials))
        if self.rule == "rung weights":
            real = [t for t in completes if t.datetime_complete is not None]  # not a constant liar
            cache: dict[int, float] = {}
            for i, t in enumerate(trials):
                if t.state == TrialState.PRUNED and t.intermediate_values:
                    step = max(t.intermediate_values)
                    if step not in cache:
                        cache[step] = rung_reliability(real, step)
                    weights[i] = max(0.02, cache[step])
        return Groups(points[:n_good], points[n_good:], (weights[:n_good], weights[n_good:]))


def one_less_gamma(n: int) -> int:
    """Optuna's good group less one trial: a single good trial up to 20 ranked ones."""
    return max(1, min(25, math.ceil(0.1 * n) - 1))


# name -> (sampler for a seed, workers[, scheduler]); without a scheduler, the default one.
VARIANTS: dict[str, tuple[Any, ...]] = {
    "defaults": (tpe, 2),
    "startup 3": (lambda s: tpe(s, n_startup_trials=3), 2),
    "startup 8": (lambda s: tpe(s, n_startup_trials=8), 2),
    "no centre": (lambda s: tpe(s, centre_first=False), 2),
    "random start-up": (lambda s: tpe(s, startup="random"), 2),
    "no constant liar": (lambda s: tpe(s, constant_liar=False), 2),
    "GP after start-up": (StartupThenGP, 2),
    "defaults, 1 worker": (tpe, 1),
    "TPE gamma 0.1": (lambda s: tpe(s, gamma=default_gamma), 2),  # the default before 2026-12-05, Optuna's
    "TPE gamma 0.2": (lambda s: tpe(s, gamma=0.2), 2),
    "TPE gamma one less": (lambda s: tpe(s, gamma=one_less_gamma), 2),
    "TPE 96 candidates": (lambda s: tpe(s, n_ei_candidates=96), 2),
    "TPE independent": (lambda s: tpe(s, multivariate=False), 2),
    "TPE without stopped trials": (lambda s: tpe(s, consider_pruned=False), 2),
    "TPE prior weight 0.25": (lambda s: tpe(s, prior_weight=0.25), 2),
    "TPE start-up on complete trials": (lambda s: TPEStoppedRule(s, "complete start-up"), 2),
    "TPE without stopped, start-up on all": (lambda s: TPEStoppedRule(s, "left out, start-up on all"), 2),
    "TPE stopped weighed by rung": (lambda s: TPEStoppedRule(s, "rung weights"), 2),
    "plain ASHA": (tpe, 2, lambda: ASHA(1, None, 3)),
    "ASHA eta 3, noise 1x": (tpe, 2, lambda: ASHA(1, None, 3, noise_margin=1.0)),  # the default before 2026-12-05
    "ASHA eta 2, noise 1x": (tpe, 2, lambda: ASHA(1, None, 2, noise_margin=1.0)),
    "ASHA eta 3, grace 2": (tpe, 2, lambda: ASHA(2, None, 3, noise_margin=1.0)),
    "ASHA eta 2, noise 3x": (tpe, 2, lambda: ASHA(1, None, 2, noise_margin=3.0)),
    "ASHA eta 2, grace 2, noise 2x": (tpe, 2, lambda: ASHA(2, None, 2, noise_margin=2.0)),
    "median stopping": (tpe, 2, lambda: MedianStopping()),
    "curve extrapolation": (tpe, 2, lambda: CurveExtrapolation()),
    "no stopping": (tpe, 2, lambda: NoScheduler()),
}


def nntune_run(variant: str, seed: int, surrogate: Surrogate, budget: float) -> Run:
    make, workers, *scheduler = VARIANTS[variant]
    study = nntune.create_study(direction="maximize", sampler=make(seed),
                                scheduler=scheduler[0]() if scheduler else default_scheduler(), seed=seed)
    return simulate(NntuneDriver(study, surrogate), budget, workers)


def wins(nn: Sequence[Run], op: Sequence[Run], target: float) -> list[bool]:
    """Per seed pair: nntune reached the target in at most half Optuna's time (Optuna not
    reaching it counts when nntune did)."""
    return [math.isfinite(a.time_to(target)) and a.time_to(target) <= 0.5 * b.time_to(target)
            for a, b in zip(nn, op)]


def interval(flags: Sequence[bool], rng: np.random.Generator, n: int = 2000) -> tuple[float, float]:
    """A 90% bootstrap interval of the share of ``flags`` over resampled seeds."""
    a = np.asarray(flags, dtype=float)
    shares = a[rng.integers(len(a), size=(n, len(a)))].mean(axis=1)
    return float(np.quantile(shares, 0.05)), float(np.quantile(shares, 0.95))


def summarize(name: str, runs: Sequence[Run], target: float, optuna_runs: Sequence[Run] | None,
              seconds: float, base: Sequence[bool] | None = None) -> dict[str, Any]:
    times = [r.time_to(target) for r in runs]
    row: dict[str, Any] = {"to_target_s": statistics.median(times),
                           "reached": sum(map(math.isfinite, times)) / len(runs),
                           "best": statistics.median(r.best for r in runs),
                           "started": statistics.median(r.started for r in runs),
                           "stopped": sum(r.stopped for r in runs) / max(1, sum(r.started for r in runs)),
                           "distinct": statistics.median(len(r.answered) for r in runs),
                           "win": math.nan, "win_lo": math.nan, "win_hi": math.nan, "flags": []}
    vs = ""
    if optuna_runs is not None:
        flags = row["flags"] = wins(runs, optuna_runs, target)
        row["win"] = sum(flags) / len(flags)
        row["win_lo"], row["win_hi"] = interval(flags, np.random.default_rng(0))
        if base is not None and flags is not base:
            mean, lo, hi = paired(flags, base, np.random.default_rng(0))
            vs = f"{100 * mean:+.0f} ({100 * lo:+.0f}..{100 * hi:+.0f})"
    secs = "-" if math.isinf(row["to_target_s"]) else f"{row['to_target_s']:.1f}"
    win = "" if optuna_runs is None else f"{row['win']:6.0%} ({row['win_lo']:.0%}-{row['win_hi']:.0%})"
    print(f"{name:28s} {secs:>8s} {row['reached']:8.0%} {row['best']:8.4f} {row['started']:7.0f} "
          f"{row['distinct']:8.0f} {row['stopped']:8.0%} {win:>17s} {vs:>17s} {seconds:6.0f}", flush=True)
    return row


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=list(SPACES), default="mnist_cnn",
                    help="whose space the samplers search (default file: benchmarks/data/<task>_curves.jsonl)")
    ap.add_argument("--file", type=Path, default=None)
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    ap.add_argument("--seeds", type=int, default=100, help="simulated seed pairs")
    ap.add_argument("--gp-seeds", type=int, default=20,
                    help="seeds for the GP variant, the first of --seeds (each costs ~10 cpu s)")
    ap.add_argument("--budget", type=float, default=180.0, help="simulated seconds per study")
    args = ap.parse_args(argv)
    if args.seeds < 1 or args.budget <= 0:
        ap.error("--seeds and --budget must be positive")
    path = args.file or DEFAULT_FILE.with_name(f"{args.task}_curves.jsonl")
    rows = load_rows(path, "cpu_s")
    space = SPACES[args.task]
    if any(set(p) != set(space) for p, _ in rows):
        ap.error(f"{path}: its configurations do not have {args.task}'s parameters ({', '.join(space)})")
    surrogate = Surrogate(rows, space)
    pearson, spearman = leave_one_out(rows, surrogate)
    print(f"{len(rows)} recorded configurations from {path.name}; leave-one-out, own final against "
          f"the nearest other's: Pearson {pearson:.2f}, Spearman {spearman:.2f}")
    t0 = time.process_time()
    epochs = len(rows[0][1].values)
    optuna_runs = [simulate(OptunaDriver(s, surrogate, epochs), args.budget, 1) for s in range(args.seeds)]
    target = statistics.median(r.best for r in optuna_runs)
    print(f"{args.seeds} seed pairs of {args.budget:g} simulated s; target {target:.4f} (Optuna's median best)\n")
    print(f"{'study':28s} {'to tgt s':>8s} {'reached':>8s} {'best':>8s} {'started':>7s} {'distinct':>8s} "
          f"{'stopped':>8s} "
          f"{'<= half Optuna':>17s} {'pts vs defaults':>17s} {'cpu s':>6s}")
    out = {"optuna": summarize("Optuna TPE+Hyperband", optuna_runs, target, None, time.process_time() - t0)}
    for name in args.variants:
        n = min(args.seeds, args.gp_seeds) if name.startswith("GP") else args.seeds
        t0 = time.process_time()
        runs = [nntune_run(name, s, surrogate, args.budget) for s in range(n)]
        base = out["defaults"]["flags"] if "defaults" in out else None
        out[name] = summarize(name + (f" ({n} seeds)" if n != args.seeds else ""), runs, target, optuna_runs[:n],
                              time.process_time() - t0, base)
    return out


if __name__ == "__main__":
    sys.exit(main() and 0)
