"""``search.executions_per_trial``: KerasTuner's executions, for the built-in trainer.

A trial of N executions trains N models of the same hyperparameters, seeded apart, as one
:class:`~nntune.train.stack.Stack` (one fused model of N members on the device, so N
executions cost far less than N trainings), and is worth the mean of their values. The
study sees one trial: one record per epoch, one value.

What each part means:

* An execution's value is what one trial of its own would be worth (:func:`kept_record`):
  the best epoch's value where early stopping restored the best epoch's weights, else the
  last epoch's. It describes the model the execution ends with; with ``early_stopping:
  true`` (a ``patience`` of the whole budget stops nothing) it is KerasTuner's rule, each
  execution's best epoch. The trial's value is the mean of these values, so one execution
  gives exactly a single trial's value.
* An epoch's record is the mean of the executions' records at that epoch (:func:`mean_record`),
  not of their best values so far: a single trial reports its epoch's own value, so
  schedulers (ASHA, Hyperband, median) compare trials of N executions by the same kind of
  number, and diagnosis still sees a curve that falls back when the models overfit. An
  execution that ended earlier (early stopping) counts with the record of the weights it
  kept until the last one ends: the mean is always over all N models.
* Pruning and ``nntune trial stop`` end every execution at once; ``nntune trial set``
  changes every execution alike.
* The model kept for the trial (the test look, ``export-model``, the model file) is the
  execution whose value is closest to the mean (:func:`representative`): the test look then
  measures a model like the one the value averages over, not the luckiest seed, whose lead
  on the validation split is partly the noise the executions are there to average away.
  It is saved where :func:`~nntune.builtin.rebuild_model` loads it, in a file named with a
  key of the study's own, since studies of one name in other storages share the folder.

A define-by-run objective (``study.optimize``) is the user's own code: it loops over seeds
itself and returns the mean.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nntune._files import folder_name
from nntune._trial import Trial, derive_seed
from nntune.builtin import evaluation_transform, objective_values, trial_costs, training_augment
from nntune.changes import STOP
from nntune.config import Config
from nntune.exceptions import ConfigError, TrialDiverged, TrialPruned
from nntune.kept_model import kept_file
from nntune.train import Splits
from nntune.train.basics import pick_device
from nntune.train.epochs import save_checkpoint
from nntune.train.loop import kept_record  # an execution is worth what a trial alone would be
from nntune.train.stack import Stack, StackResult
from nntune.train.threads import use_threads

FIELD = "search.executions_per_trial"


def execution_seeds(seed: int, n: int) -> list[int]:
    """The seeds of a trial's ``n`` executions: the trial's own first (what it trains with
    alone), then seeds derived from it, so a rerun of the trial trains the same ones."""
    return [int(seed)] + [derive_seed(seed, i) for i in range(1, n)]


def _mean(values: Sequence[Any]) -> Any:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return statistics.fmean(numbers) if len(numbers) == len(values) else values[0]


def mean_record(records: Sequence[Mapping[str, Any]], epoch: int, epoch_time: float | None = None) -> dict[str, Any]:
    """One record of ``epoch`` for the trial: each number the mean over ``records`` (one per
    execution), the per-layer statistics averaged layer by layer, ``epoch_time`` the time
    the executions trained this epoch together (None: the mean)."""
    out: dict[str, Any] = {}
    for key in records[0]:
        if key == "layers":
            layers = [r.get("layers") or [] for r in records]
            if all(len(ls) == len(layers[0]) for ls in layers):
                out[key] = [{k: _mean([ls[i].get(k) for ls in layers]) for k in layers[0][i]}
                            for i in range(len(layers[0]))]
            continue
        out[key] = _mean([r.get(key) for r in records])
    out["epoch"] = epoch
    if epoch_time is not None:
        out["epoch_time"] = epoch_time
    return out


def representative(values: Sequence[float]) -> int:
    """The index of the value closest to the values' mean (the first of equally close ones)."""
    mean = statistics.fmean(values)
    return min(range(len(values)), key=lambda i: abs(values[i] - mean))


def kept_execution(user_attrs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The stored entry (seed, value, epochs, best epoch) of the execution a trial's model is
    (its user attributes ``executions`` and ``execution_kept``); None for a trial of one
    execution, or attributes not of that shape."""
    executions = user_attrs.get("executions")
    kept = user_attrs.get("execution_kept", 0)
    if not isinstance(executions, list) or not isinstance(kept, int) or not 0 <= kept < len(executions):
        return None
    return executions[kept] if isinstance(executions[kept], Mapping) else None


def kept_value(user_attrs: Mapping[str, Any]) -> float | None:
    """The value of the execution a trial's model is (:func:`kept_execution`): what that
    model scores on the validation split, where the trial's value is the mean over every
    execution. None for a trial of one execution."""
    value = (kept_execution(user_attrs) or {}).get("value")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def value_words(user_attrs: Mapping[str, Any], metric: str, value: float) -> str:
    """``validation METRIC VALUE`` of a trial, and for a trial of several executions what its
    model scores (:func:`kept_value`): the trial is worth their mean, its model one of them."""
    words = f"validation {metric} {value:.4g}"
    own = kept_value(user_attrs)
    if own is None:
        return words
    return f"{words}, the mean of {len(user_attrs['executions'])} executions; this model's {own:.4g}"


def epoch_rows(n: int, fresh: Mapping[int, dict[str, Any]], ended: Mapping[int, StackResult],
               params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each execution's record of an epoch: its own where it trained the epoch, else (it
    ended earlier) the record of the weights it kept."""
    return [fresh[i] if i in fresh else kept_record(ended[i], params)[1] for i in range(n)]


def train_executions(cfg: Config, splits: Splits, trial: Trial, params: Mapping[str, Any], n: int, *,
                     device: str | None = None) -> float | tuple[float, ...]:
    """Train ``n`` executions of ``params`` for ``trial`` as one stack; report the mean
    record each epoch; store each execution's seed and value; return the mean value."""
    seeds = execution_seeds(trial.seed, n)
    augment = training_augment(cfg, splits, params, trial.seed)
    transform = evaluation_transform(cfg, params)
    threads = use_threads(device=device)
    if threads is not None:
        trial.set_system_attr("threads", threads.to_json())
    # One augmentation draws every execution's batches, as in any stack; auto_compact off:
    # slots of ended executions are cleared and cost their share of the fused step, no more.
    stack = Stack(params, splits, metric=cfg.task.trained_metric, capacity=n, device=pick_device(device),
                  seed=seeds[0], augment=augment, eval_transform=transform, auto_compact=False)
    for i, seed in enumerate(seeds):
        stack.add(params, seed=seed, key=i)
    ended, pruned = run_stack(stack, trial, params, n, seeds)
    results = [ended[i] for i in range(n)]
    kept = [kept_record(r, params) for r in results]
    values = [v for v, _ in kept]
    pick = representative(values)
    model = results[pick].model
    trial.set_user_attrs({
        "epochs": max(r.epochs for r in results), "iterations": results[pick].iterations,
        "best_epoch": results[pick].best_epoch, "model_summary": results[pick].summary,
        "val_loss": statistics.fmean(float(rec["val_loss"]) for _, rec in kept),  # breaks ties of equal means
        "executions": [{"seed": s, "value": v, "epochs": r.epochs, "best_epoch": r.best_epoch}
                       for s, v, r in zip(seeds, values, results)],
        "execution_kept": pick})
    costs = trial_costs(cfg, model, splits, transform)
    if costs:
        trial.set_user_attrs(costs)
    if pruned:
        raise TrialPruned()
    keep_model(cfg, trial, model)
    value = statistics.fmean(values)
    return objective_values(cfg, value, costs) if cfg.task.is_multi_objective else value


def run_stack(stack: Stack, trial: Trial, params: Mapping[str, Any], n: int,
              seeds: Sequence[int]) -> tuple[dict[int, StackResult], bool]:
    """Epochs of ``stack`` until every execution ended, one mean record reported a epoch;
    returns the executions' results by index and whether the trial was stopped (pruned,
    or ``nntune trial stop``). A diverged execution ends the trial as diverged."""
    ended: dict[int, StackResult] = {}
    while stack.members:
        fresh: dict[int, dict[str, Any]] = {}

        def collect(key: Any, _epoch: int, record: dict[str, Any]) -> bool:
            fresh[int(key)] = record
            return False  # the trial decides once every execution's epoch is in

        for result in stack.run_epoch(collect):
            ended[int(result.key)] = result
            if result.diverged is not None:
                raise TrialDiverged(result.epochs, f"execution {int(result.key)} (seed {seeds[int(result.key)]}): "
                                                   f"{result.diverged}")
        if not fresh:  # executions a change ended untrained: no epoch to report
            continue
        epoch = max(int(r["epoch"]) for r in fresh.values())
        record = mean_record(epoch_rows(n, fresh, ended, params), epoch,
                             sum(float(r.get("epoch_time", 0.0)) for r in fresh.values()))
        stop = take_changes(stack, trial, epoch, params)
        trial.report(record["value"], epoch, metrics=record)
        if stop:
            trial.set_system_attr("stopped_by", "user")
        if stop or (not trial.study.is_multi_objective and trial._scheduler_stops()):
            for slot in sorted(stack.members):  # every execution ends with the trial
                result = stack.remove(slot)
                ended[int(result.key)] = result
            return ended, True
    return ended, False


def take_changes(stack: Stack, trial: Trial, epoch: int, params: Mapping[str, Any]) -> bool:
    """The changes stored for the trial (``nntune trial set``), taken after ``epoch`` by
    every execution still training; returns whether ``nntune trial stop`` asked it to stop."""
    live = sorted(stack.members)
    current = stack.members[live[0]].hp if live else dict(params)
    taken = trial.take_changes(epoch, current)
    stop = bool(taken.pop(STOP, False))
    if taken:
        for slot in live:
            stack.change_params(slot, taken)
    return stop


def model_folder(cfg: Config) -> Path:
    """Where the kept executions' models are saved: the study's folder of checkpoints."""
    return Path(cfg.search.checkpoint_dir).expanduser() / folder_name(cfg.study)


def keep_model(cfg: Config, trial: Trial, model: Any) -> Path:
    """Save the kept execution's weights where :func:`~nntune.builtin.rebuild_model` loads
    them (the trial's ``checkpoint``): retraining alone would not give the stack's model
    where dropout masks or augmented batches were drawn for the whole stack."""
    folder = model_folder(cfg)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError("search.checkpoint_dir", f"cannot create {folder}: {err.strerror or err}") from None
    # Absolute: export-model may run elsewhere. Keyed: other studies of this name share the folder.
    path = kept_file(folder, trial)
    # Whole or not at all: a kill while writing must not leave half a model for the test look.
    save_checkpoint(path, {"model": {k: v.detach().cpu() for k, v in model.state_dict().items()}})
    trial.set_system_attr("checkpoint", str(path))
    return path
