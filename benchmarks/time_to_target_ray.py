"""Ray Tune's method of ``benchmarks/time_to_target.py``: its random search with its ASHA
scheduler on the same trainer, splits and space, in a Ray session started once for the
whole race (its start-up time added to every run)."""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from time_to_target_methods import HALVING, RAY, Done, Run, Task, better, final_value, finish, task_config

from nntune.builtin import trial_hyperparameters
from nntune.config import parse_config
from nntune.exceptions import TrialDiverged
from nntune.space import Beta, Choice, Distribution, Int, Space
from nntune.train import Splits, fit

def ray_space(space: Space) -> dict[str, Any]:
    """The same space for Ray's random search (conditional parameters are always drawn and
    dropped where their condition fails), plus a seed per trial."""
    from ray import tune

    def one(dist: Distribution) -> Any:
        if isinstance(dist, Choice):
            return tune.choice(list(dist.values))
        if isinstance(dist, Int):
            if dist.step != 1:
                return tune.qrandint(dist.low, dist.high, dist.step)
            return tune.lograndint(dist.low, dist.high + 1) if dist.log else tune.randint(dist.low, dist.high + 1)
        if dist.step is not None:
            return tune.quniform(dist.low, dist.high, dist.step)
        return tune.loguniform(dist.low, dist.high) if dist.log else tune.uniform(dist.low, dist.high)

    out = {(f"one_minus_{n}" if isinstance(d, Beta) else n):
           (tune.loguniform(1 - d.high, 1 - d.low) if isinstance(d, Beta) else one(d))
           for n, d in space.params.items()}
    out["trial_seed"] = tune.randint(0, 2**31 - 1)
    return out


def from_ray(config: Mapping[str, Any], space: Space) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, dist in space.params.items():
        if space.is_active(name, out):
            out[name] = 1.0 - config[f"one_minus_{name}"] if isinstance(dist, Beta) else config[name]
    return out


def ray_trainable(config: dict[str, Any], *, cfg_data: dict[str, Any], splits: Splits, epochs: int) -> None:
    """One Ray trial: the same fit, a ``tune.report`` per epoch; the report of the last epoch
    (or a repeat of it after early stopping) carries the trial's final value."""
    import torch
    from ray import tune

    torch.set_num_threads(1)
    cfg = parse_config(cfg_data)
    params = trial_hyperparameters(cfg, from_ray(config, cfg.build_space()), epochs)
    direction = cfg.task.resolved_direction
    best = [math.nan]

    def report(epoch: int, record: dict[str, Any]) -> bool:
        value = float(record["value"])
        if math.isnan(best[0]) or better(value, best[0], direction):
            best[0] = value
        final = best[0] if params.get("early_stopping") else value
        tune.report({"value": value, "epoch": epoch, "wall": time.time(), "final": epoch == epochs,
                     "objective": final})
        return False

    try:
        result = fit(params, splits, metric=cfg.task.metric, report=report, seed=int(config["trial_seed"]))
    except TrialDiverged:
        return
    if result.epochs < epochs:  # early stopping ended it: the same epoch again, now final
        tune.report({"value": float(result.history[-1]["value"]), "epoch": result.epochs, "wall": time.time(),
                     "final": True, "objective": final_value(result, params)})


class RaySession:
    """``ray.init`` once for the whole benchmark; its start-up time is added to every run."""

    def __init__(self) -> None:
        import ray

        start = time.perf_counter()
        # Ray's workers import this module and the trainer: they inherit this path.
        here = str(Path(__file__).resolve().parent)
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
        # A trial that diverges in its first epoch ends without a report (nntune marks it
        # diverged, Optuna failed); by default Ray Tune would end the whole run over it.
        os.environ["TUNE_DISABLE_STRICT_METRIC_CHECKING"] = "1"
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        self.startup = time.perf_counter() - start

    def close(self) -> None:
        import ray

        ray.shutdown()


def _ray_classes() -> tuple[type, type, type]:
    """A result collector, an ASHA that counts the trials it stops (driver side), and a
    progress printer that prints nothing (Ray's own would write between the tables)."""
    from ray import tune
    from ray.tune.progress_reporter import TrialProgressCallback
    from ray.tune.schedulers import ASHAScheduler, TrialScheduler

    class Silent(TrialProgressCallback):
        def _print(self, msg: str) -> None:
            pass

    class Collector(tune.Callback):
        def __init__(self) -> None:
            self.results: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
            self.started: set[str] = set()  # trials Ray started, reported or not

        def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            self.started.add(trial.trial_id)

        def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
            self.results.append((trial.trial_id, dict(trial.config), dict(result)))

    class CountingASHA(ASHAScheduler):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.stopped: set[str] = set()

        def on_trial_result(self, tune_controller: Any, trial: Any, result: dict) -> str:
            decision = super().on_trial_result(tune_controller, trial, result)
            if decision == TrialScheduler.STOP and not result.get("final"):
                self.stopped.add(trial.trial_id)
            return str(decision)

    return Collector, CountingASHA, Silent


def run_ray(session: RaySession, task: Task, splits: Splits, seed: int, budget: float) -> Run:
    """Ray Tune's random search with its ASHA scheduler, two trials at a time (one per core)."""
    from ray import tune
    from ray.tune.search.basic_variant import BasicVariantGenerator

    cfg = task_config(task, f"{task.name}-ray-{seed}")
    epochs, direction = task.epochs, cfg.task.resolved_direction
    collector_cls, asha_cls, silent_cls = _ray_classes()
    collector = collector_cls()
    start = time.perf_counter()
    wall0 = time.time() - session.startup  # its times count from before ray.init
    asha = asha_cls(time_attr="epoch", max_t=epochs, grace_period=1, reduction_factor=HALVING)
    trainable = tune.with_parameters(ray_trainable, cfg_data=cfg.model_dump(mode="json"), splits=splits,
                                     epochs=epochs)
    with tempfile.TemporaryDirectory(prefix="ttt-ray-") as results_dir:
        tuner = tune.Tuner(
            tune.with_resources(trainable, {"cpu": 1}), param_space=ray_space(cfg.build_space()),
            tune_config=tune.TuneConfig(metric="value", mode="max" if direction == "maximize" else "min",
                                        scheduler=asha, search_alg=BasicVariantGenerator(random_state=seed),
                                        num_samples=-1, reuse_actors=True,  # no new process per trial
                                        time_budget_s=max(1.0, budget - session.startup
                                                          - (time.perf_counter() - start))),
            run_config=tune.RunConfig(storage_path=results_dir, verbose=0, callbacks=[collector, silent_cls()]))
        tuner.fit()
    elapsed = session.startup + time.perf_counter() - start
    done, reported = ray_done(collector.results, cfg.build_space(), wall0)
    # A reused actor's next trial may start without an on_trial_start: a report counts too.
    started = len(set(collector.started) | set(reported))
    run = Run(RAY, seed, done, started, len(asha.stopped - {d for d in reported if reported[d]}), elapsed)
    return finish(run, cfg, splits, epochs, budget)


def ray_done(results: list[tuple[str, dict[str, Any], dict[str, Any]]], space: Space,
             wall0: float) -> tuple[list[Done], dict[str, bool]]:
    """Complete trials from the collected reports, and for every trial that reported
    whether it completed."""
    done: list[Done] = []
    reported: dict[str, bool] = {}
    for trial_id, config, result in results:
        reported.setdefault(trial_id, False)
        if result.get("final") and not reported[trial_id]:
            reported[trial_id] = True
            done.append(Done(result["wall"] - wall0, float(result["objective"]), from_ray(config, space),
                             int(config["trial_seed"])))
    done.sort(key=lambda d: d.time)
    return done, reported


def main(argv: list[str] | None = None) -> None:
    """Run as a script, says whether Ray Tune imports here (``time_to_target.py`` skips its
    method otherwise) and the search it runs."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    try:
        import ray
        import ray.tune  # noqa: F401
    except Exception as err:  # noqa: BLE001 - ray or ray[tune]'s dependencies missing
        print(f"{RAY}: Ray Tune does not import here ({type(err).__name__}); the race skips it")
        return
    print(f"{RAY}: Ray Tune {ray.__version__}, random search with ASHA (grace 1, reduction factor "
          f"{HALVING}), 2 trials at a time")


if __name__ == "__main__":
    main()
