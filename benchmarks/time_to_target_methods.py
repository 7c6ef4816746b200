"""The tasks and the methods of ``benchmarks/time_to_target.py``: one timed run of a method.

Every method trains with nntune's own trainer (``nntune.train.fit``) on the same splits,
with the same per-trial seed rule; only the search around the trainer differs. A run
returns each complete trial's finishing time (seconds since the run started, after data
loading) and value, how many trials started and were stopped early, and the test value of
its best configuration, taken after the timed part.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nntune._trial import derive_seed
from nntune.builtin import default_priors, load_task_splits, trial_hyperparameters
from nntune.config import Config, parse_config
from nntune.exceptions import TrialDiverged
from nntune.runner import Prepared, budget_epochs, build_sampler, build_scheduler, run_tune
from nntune.space import Beta, Choice, Int, Space
from nntune.train import Splits, build_model, evaluate, fit
from nntune.trial import FrozenTrial, TrialState

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HALVING = 3  # reduction factor of every successive-halving method (each library's default)
# The clock a run's times are read on, and its wall-clock timeout as a multiple of the
# budget. ``time_to_target.py --clock cpu`` sets them to this process's CPU time and
# CPU_WALL_FACTOR: on a machine that others load, a method that runs in this process and
# one thread is then timed by the CPU it got, and its timeout leaves room for a budget of it.
CLOCK: Callable[[], float] = time.perf_counter
WALL_FACTOR = 1.0
CPU_WALL_FACTOR = 4.0


@dataclass(frozen=True)
class Task:
    name: str
    config: dict[str, Any]  # an nntune config's data: task, space, fixed (no search section)
    epochs: int  # the largest budget: every trial may train this many epochs
    budget: float  # seconds of search per (method, seed)
    pbt_ready: int  # PBT compares members every this many epochs


def _example(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((EXAMPLES / name).read_text()))


def make_task(name: str, epochs: int, budget: float) -> Task:
    """``digits`` and ``breast_cancer`` take their example's task, space and fixed values;
    ``fashion_mnist`` is the digits MLP's space on 10,000 Fashion-MNIST training images, and
    ``fashion_cnn`` the Fashion-MNIST CNN example's space and fixed values on the same
    images (the race for a GPU: on a CPU its epochs take seconds)."""
    source = {"digits": "digits-mlp.yaml", "breast_cancer": "breast-cancer-recall.yaml",
              "fashion_mnist": "digits-mlp.yaml", "fashion_cnn": "fashion-mnist-cnn.yaml"}[name]
    data = _example(source)
    task = data["task"]
    if name in ("fashion_mnist", "fashion_cnn"):
        # The data set's own 10,000 test images stay the test split; validation is cut from
        # the 60,000 training images, of which 10,000 are kept for training.
        task = {"data": "fashion_mnist", "split": [0.8, 0.2], "train_size": 10_000,
                "model": "mlp" if name == "fashion_mnist" else "cnn", "metric": "accuracy",
                "direction": "maximize"}
    config = {"task": task, "space": data["space"], "fixed": {**data.get("fixed", {}), "epochs": epochs}}
    return Task(name, config, epochs, budget, pbt_ready=max(2, round(epochs / 7)))


def task_config(task: Task, study: str, search: Mapping[str, Any] | None = None,
                storage: str = "memory") -> Config:
    """The task as an nntune config, in memory by default (the split seed stays 0 for
    every method)."""
    return parse_config({**task.config, "study": study, "storage": storage,
                         "search": dict(search or {"seed": 0})})


def load_task(task: Task) -> Splits:
    """The task's splits, loaded once and shared by every method and seed."""
    return load_task_splits(task_config(task, task.name))


@dataclass(frozen=True)
class Done:
    """A complete trial: when it finished, its value, and what retraining it needs."""

    time: float
    value: float
    params: dict[str, Any]
    seed: int
    checkpoint: str | None = None


@dataclass
class Run:
    method: str
    seed: int
    done: list[Done]  # complete trials in the order they finished
    started: int
    pruned: int
    elapsed: float  # seconds until the method returned (it may stop before the budget)
    test: float | None = None
    test_accuracy: float | None = None  # classification tasks: the same model's test accuracy
    failed: bool = False  # the run raised (Ray only: its error is logged, the others go on)
    idle_share: float | None = None  # the population executor: share of its member slots left empty


def better(a: float, b: float, direction: str) -> bool:
    return a > b if direction == "maximize" else a < b


def best_within(done: list[Done], budget: float, direction: str) -> Done | None:
    """The best trial that finished within ``budget`` seconds (the earliest among equals)."""
    best: Done | None = None
    for d in done:
        if d.time <= budget and math.isfinite(d.value) and (best is None or better(d.value, best.value, direction)):
            best = d
    return best


def time_to_target(done: list[Done], target: float, budget: float, direction: str) -> float:
    """Seconds until the best-so-far value first reached ``target`` (inf: never, within budget)."""
    for d in sorted(done, key=lambda d: d.time):
        if d.time <= budget and (d.value == target or better(d.value, target, direction)):
            return d.time
    return math.inf


def final_value(result: Any, params: Mapping[str, Any]) -> float:
    """A finished fit's value, as nntune's built-in objective returns it: the best epoch's
    when early stopping restored those weights, else the last epoch's."""
    if result.stopped_early or params.get("early_stopping"):
        return float(result.best_value)
    return float(result.history[-1]["value"])


def test_scores(cfg: Config, splits: Splits, best: Done, epochs: int) -> dict[str, float]:
    """The task metric on the test split for the model whose validation value was reported
    (and, for a classification task scored otherwise, its test accuracy beside it): the
    trial's kept weights where it kept them (PBT, whose weights come from a lineage), else
    the configuration retrained with the trial's seed (the same weights on CPU)."""
    import torch

    params = trial_hyperparameters(cfg, best.params, epochs)
    if best.checkpoint and Path(best.checkpoint).is_file():
        n_out = splits.n_classes if splits.task_type == "classification" else 1
        model = build_model(params, splits.input_shape, n_out)
        model.load_state_dict(torch.load(best.checkpoint, map_location="cpu", weights_only=True)["model"])
    else:
        model = fit(params, splits, metric=cfg.task.metric, report=None, seed=best.seed).model
    x, y = splits.test.open("time_to_target benchmark: the best configuration's test value")
    metrics = (cfg.task.metric, "accuracy") if splits.task_type == "classification" else (cfg.task.metric,)
    scores = evaluate(model, x, y, task_type=splits.task_type, metrics=tuple(dict.fromkeys(metrics)),
                      n_classes=splits.n_classes, target_mean=splits.target_mean, target_std=splits.target_std)
    return {m: float(scores[m]) for m in metrics}


def warm_up(task: Task, splits: Splits, methods: Collection[str] = ()) -> None:
    """Pay one-off costs before any timed run (torch imports its compiler stack lazily when
    some optimizers are first built, scikit-learn its metrics), so no method pays them.
    With a worker method among ``methods``, one short run starts the fork server that
    every later pool of this process starts its workers from (it imports torch and nntune
    once), so that the first seed of a worker method does not pay it alone."""
    cfg = task_config(task, f"{task.name}-warm-up")
    choice = cfg.build_space().params.get("optimizer")
    for optimizer in choice.values if isinstance(choice, Choice) else [None]:
        params = trial_hyperparameters(cfg, {} if optimizer is None else {"optimizer": optimizer}, 1)
        fit(params, splits, metric=cfg.task.metric, seed=0)
    workers = [m for m in methods if NNTUNE.get(m, {}).get("workers", 1) > 1]
    if workers:
        run_nntune(workers[0], task, splits, seed=0, budget=1.0)
    stacked = [m for m in methods if m in POPULATION]
    if stacked:  # the stacked trainer's kernels, built once before any timed run
        run_nntune(stacked[0], task, splits, seed=0, budget=1.0)


def keep_checkpoint(path: str | None, folder: str) -> str | None:
    """A second name for a trial's kept model, so that the file outlives the executor's own
    name for it: the population executor keeps only the best complete member's model and
    deletes the one it held before, but the best trial *within the budget* may be such an
    earlier one (members running at the timeout finish after it). Without its file the test
    would retrain the configuration from scratch, which is not the model a PBT lineage
    trained. A hard link costs no copy; where none can be made, the file is copied."""
    if not path or not Path(path).is_file():
        return path
    kept = Path(folder) / "kept" / Path(path).name
    kept.parent.mkdir(exist_ok=True)
    kept.unlink(missing_ok=True)
    try:
        os.link(path, kept)
    except OSError:
        shutil.copyfile(path, kept)
    return str(kept)


def finish(run: Run, cfg: Config, splits: Splits, epochs: int, budget: float) -> Run:
    best = best_within(run.done, budget, cfg.task.resolved_direction)
    if best is not None:
        scores = test_scores(cfg, splits, best, epochs)
        run.test = scores[cfg.task.metric]
        run.test_accuracy = scores.get("accuracy")
    return run


# ---------------------------------------------------------------- nntune

NNTUNE: dict[str, dict[str, Any]] = {
    "random-asha": {"sampler": "random", "scheduler": "asha"},
    "tpe-asha": {"sampler": "tpe", "scheduler": "asha"},
    "bohb": {"sampler": "random", "scheduler": "bohb"},  # BOHB brings its own sampler
    "hyperband": {"sampler": "random", "scheduler": "hyperband"},
    "tpe-hyperband": {"sampler": "tpe", "scheduler": "hyperband"},  # Optuna's reference, in nntune
    # PBT refills its population, so it trains until the budget ends like every other method
    # (with a fixed population it stops once the founding lineages have finished).
    "pbt": {"sampler": "random", "scheduler": "pbt", "scheduler_options": {"refill": True}},
    # Caviar: two worker processes (one per core here) on one SQLite study; each worker
    # loads the data itself, inside the budget.
    "tpe-asha-2w": {"sampler": "tpe", "scheduler": "asha", "workers": 2},
    "pbt-2w": {"sampler": "random", "scheduler": "pbt", "workers": 2,  # two members train at once
               "scheduler_options": {"refill": True}},
    # Priors at the trainer's defaults (Adam, lr 1e-3, beta2 0.999, 2 x 128 units): trial 0
    # takes them, half of the later trials are drawn near them. The same space; what differs
    # is what the tool knows of neural networks (Optuna's counterpart, the defaults enqueued
    # as its first trial, is "optuna-tpe-hyperband-defaults").
    "prior-asha": {"sampler": "random", "scheduler": "asha", "default_priors": True},
    "prior-tpe-asha-2w": {"sampler": "tpe", "scheduler": "asha", "workers": 2, "default_priors": True},
    "prior-pbt-2w": {"sampler": "random", "scheduler": "pbt", "workers": 2, "default_priors": True,
                     "scheduler_options": {"refill": True}},
    # The population executor: trials trained K at a time as stacks in one process, K what
    # fits (at most 4 on a CPU); a freed slot takes the next trial at once.
    "pop-random-asha": {"sampler": "random", "scheduler": "asha", "executor": "population"},
    "pop-tpe-asha": {"sampler": "tpe", "scheduler": "asha", "executor": "population"},
    # The same with 128 trials a structure, and with 8: under a timeout `auto` gives 8 on a
    # CPU and up to 128 on a GPU, where a stack of 8 costs nearly what one of 128 costs and
    # one structure can fill a stack (on a CPU, K = 4, it only tries fewer structures).
    "pop-tpe-asha-block128": {"sampler": "tpe", "scheduler": "asha", "executor": "population",
                              "structure_block": 128},
    "pop-tpe-asha-block8": {"sampler": "tpe", "scheduler": "asha", "executor": "population",
                            "structure_block": 8},
    "pop-prior-pbt": {"sampler": "random", "scheduler": "pbt", "executor": "population", "default_priors": True,
                      "scheduler_options": {"refill": True}},
    # The same with 32 lineages instead of PBT's default 8: on a GPU a stack of 32 costs
    # about what one of 8 costs, so the other 24 explore for nearly nothing; on a CPU (K = 4)
    # the lineages only take turns.
    "pop-prior-pbt32": {"sampler": "random", "scheduler": "pbt", "executor": "population", "default_priors": True,
                        "scheduler_options": {"refill": True, "population": 32}},
    # PBT's 8 lineages trained 2 at a time (a stack per core) instead of auto's 4 on a CPU:
    # a model whose step already fills a core gains nothing from a larger stack, whose
    # every epoch only takes longer, so its first members finish later.
    "pop-prior-pbt-k2": {"sampler": "random", "scheduler": "pbt", "executor": "population", "default_priors": True,
                         "population": 2, "scheduler_options": {"refill": True}},
    # One population process per core instead of one process on every core, each with its
    # own stacks on one thread: a step then never waits for the other core's thread, as a
    # fit_stack's forked shards do not (an element-wise call on two threads of one process
    # takes as long as on one). It costs each process's set-up and its storage round trips.
    "pop-random-asha-2w": {"sampler": "random", "scheduler": "asha", "executor": "population", "workers": 2},
    "pop-prior-pbt-2w": {"sampler": "random", "scheduler": "pbt", "executor": "population", "default_priors": True,
                         "workers": 2, "scheduler_options": {"refill": True}},
    # For the trials-per-hour comparison: random+ASHA serially and on 2 worker processes.
    "random-asha-2w": {"sampler": "random", "scheduler": "asha", "workers": 2},
}
POPULATION = tuple(m for m, search in NNTUNE.items() if search.get("executor") == "population")


def run_nntune(method: str, task: Task, splits: Splits, seed: int, budget: float) -> Run:
    """``nntune tune``'s own path (runner.run_tune, in-memory storage, or an SQLite file
    that worker processes share) with a timeout, the splits handed in instead of loaded
    again where the search runs in this process."""
    with tempfile.TemporaryDirectory(prefix="ttt-") as folder:
        search: dict[str, Any] = {**NNTUNE[method], "seed": seed, "trials": 1_000_000,
                                  "timeout": budget * WALL_FACTOR,
                                  "checkpoint_dir": folder}
        if NNTUNE[method]["scheduler"] == "pbt":
            search["scheduler_options"] = {"ready_epochs": task.pbt_ready, **search.get("scheduler_options", {})}
        storage = f"sqlite:///{folder}/study.db" if search.get("workers", 1) > 1 else "memory"
        cfg = task_config(task, f"{task.name}-{method}-{seed}", search, storage)
        done: list[Done] = []
        start = CLOCK()

        def on_trial(study: Any, frozen: FrozenTrial) -> None:
            if frozen.state == TrialState.COMPLETE and frozen.value is not None:
                done.append(Done(CLOCK() - start, frozen.value, dict(frozen.params), derive_seed(study.seed, frozen.number),
                                 keep_checkpoint(frozen.system_attrs.get("checkpoint"), folder)))

        scheduler = build_scheduler(cfg)
        prepared = Prepared(cfg, cfg.build_space(), build_sampler(cfg, scheduler), scheduler, splits,
                            budget_epochs(cfg, scheduler))
        summary = run_tune(prepared, on_trial=on_trial, evaluate_test=False)
        elapsed = CLOCK() - start
        counts = summary.counts  # finished trials by state: run_tune finishes every trial it starts
        run = Run(method, seed, done, sum(counts.values()), counts.get("pruned", 0), elapsed)
        stats = summary.storage.load_study(cfg.study).attrs.get("population")
        if isinstance(stats, dict):
            run.idle_share = float(stats["idle_share"])
        return finish(run, cfg, splits, task.epochs, budget)


# ---------------------------------------------------------------- Optuna

# "-2j": two trials at a time in threads (Optuna's n_jobs=2), the counterpart of 2 workers.
# "-defaults": the trainer's defaults enqueued as the first trial (``study.enqueue_trial``),
# what an Optuna user who knows them does; the counterpart of nntune's priors.
OPTUNA = ("optuna-tpe-hyperband", "optuna-tpe", "optuna-random", "optuna-tpe-hyperband-2j",
          "optuna-tpe-hyperband-defaults")


def suggest_optuna(trial: Any, space: Space) -> dict[str, Any]:
    """The same space, define-by-run: the same log scales, a Beta as ``1 - b`` on a log
    scale, a conditional parameter only where its condition holds."""
    out: dict[str, Any] = {}
    for name, dist in space.params.items():
        if not space.is_active(name, out):
            continue
        if isinstance(dist, Choice):
            out[name] = trial.suggest_categorical(name, list(dist.values))
        elif isinstance(dist, Beta):
            out[name] = 1.0 - trial.suggest_float(f"one_minus_{name}", 1 - dist.high, 1 - dist.low, log=True)
        elif isinstance(dist, Int):
            out[name] = trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
        else:
            out[name] = trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    return out


def optuna_params(params: Mapping[str, Any], space: Space) -> dict[str, Any]:
    """``params`` under the names :func:`suggest_optuna` gives them (a Beta as ``one_minus_``)."""
    return {(f"one_minus_{n}" if isinstance(space.params[n], Beta) else n):
            (1.0 - v if isinstance(space.params[n], Beta) else v) for n, v in params.items()}


def run_optuna(method: str, task: Task, splits: Splits, seed: int, budget: float) -> Run:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # no line per diverged trial
    cfg = task_config(task, f"{task.name}-{method}-{seed}")
    space, metric, epochs = cfg.build_space(), cfg.task.metric, task.epochs
    done: list[Done] = []
    chosen: dict[int, tuple[dict[str, Any], int]] = {}
    start = CLOCK()
    base, jobs = method.removesuffix("-2j").removesuffix("-defaults"), 2 if method.endswith("-2j") else 1
    sampler = optuna.samplers.RandomSampler(seed=seed) if base == "optuna-random" \
        else optuna.samplers.TPESampler(seed=seed)
    pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=HALVING) \
        if base == "optuna-tpe-hyperband" else optuna.pruners.NopPruner()
    study = optuna.create_study(direction=cfg.task.resolved_direction, sampler=sampler, pruner=pruner)
    if method.endswith("-defaults"):
        study.enqueue_trial(optuna_params(default_priors(cfg, space), space))

    def objective(trial: Any) -> float:
        params = trial_hyperparameters(cfg, suggest_optuna(trial, space), epochs)
        trial_seed = derive_seed(seed, trial.number)  # nntune's per-trial seed rule
        chosen[trial.number] = (params, trial_seed)

        def report(epoch: int, record: dict[str, Any]) -> bool:
            trial.report(record["value"], epoch)
            return bool(trial.should_prune())

        result = fit(params, splits, metric=metric, report=report, seed=trial_seed)
        if result.stopped_by_report:
            raise optuna.TrialPruned()
        return final_value(result, params)

    def on_trial(_study: Any, frozen: Any) -> None:
        if frozen.state == optuna.trial.TrialState.COMPLETE:
            params, trial_seed = chosen[frozen.number]
            done.append(Done(CLOCK() - start, float(frozen.value), params, trial_seed))

    study.optimize(objective, timeout=budget * WALL_FACTOR, callbacks=[on_trial], catch=(TrialDiverged,), n_jobs=jobs)
    elapsed = CLOCK() - start
    trials = study.get_trials(deepcopy=False)
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in trials)
    return finish(Run(method, seed, done, len(trials), pruned, elapsed), cfg, splits, epochs, budget)


# ---------------------------------------------------------------- Ray Tune

RAY = "ray-asha"  # its runner needs a Ray session: time_to_target_ray.py


RUNNERS: dict[str, Callable[..., Run]] = {**{m: run_nntune for m in NNTUNE}, **{m: run_optuna for m in OPTUNA}}


def main(argv: list[str] | None = None) -> None:
    """Run as a script, lists the methods and nntune's search section of each;
    ``time_to_target.py`` races them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    for method, search in NNTUNE.items():
        print(f"{method:30} nntune {search}")
    for method in OPTUNA:
        print(f"{method:30} Optuna")
    print(f"{RAY:30} Ray Tune")


if __name__ == "__main__":
    main()
