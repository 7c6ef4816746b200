"""The built-in objective: a config's task trained by nntune's own trainer, and the one look
at the sealed test split after the search.

The trainer knows nothing about search: it gets a dict of hyperparameters, the splits and a
``report(epoch, record) -> stop?`` callback. This module and :mod:`nntune.builtin_task`
(what the config's task means to the trainer: its splits, a trial's hyperparameters, its
augmentation, its costs) are the only glue between the two.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nntune._files import link_or_copy
from nntune._trial import Trial, derive_seed
from nntune.builtin_priors import default_priors  # noqa: F401 (importable from here)
from nntune.builtin_task import (  # noqa: F401 (importable from here)
    check_losses, constraints_func, evaluation_transform, load_task_splits, measured, meets_constraints,
    objective_values, stored_hyperparameters, trial_costs, trial_hyperparameters, training_augment, warn_direction)
from nntune.changes import NO_DROPOUT, STOP
from nntune.config import Config
from nntune.control import record_inherited, trained_changes
from nntune.ensemble import is_ensemble_look
from nntune.exceptions import ConfigError, TrialPruned
from nntune.kept_model import KeptModel, first_direction, weights_continued_from
from nntune.panda_snapshots import sweep_partial
from nntune.schedulers import PBT, Proposal
from nntune.schedulers._pbt import PARENT
from nntune.space import Space
from nntune.study import Study
from nntune.train import Splits, build_model, evaluate, fit
from nntune.train.basics import (count_outputs, eval_batch_size, model_input_shape, predict, resolve_batch_size,
                                 resolve_params)
from nntune.train.costs import model_costs
from nntune.train.loop import kept_record
from nntune.train.loss_metric import split_loss
from nntune.train.metrics import LOSS, binary_counts, metric_options, predictions_numpy, targets_numpy
from nntune.train.threads import use_threads
from nntune.trial import FrozenTrial, TrialState

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "specificity", "balanced_accuracy")
REGRESSION_METRICS = ("mae", "mse", "rmse", "r2")


def checkpoint_file(folder: Path, number: int, epoch: int | None = None) -> Path:
    """Where trial ``number`` keeps its latest state, or its snapshot at ``epoch``."""
    return folder / (f"trial-{number}.pt" if epoch is None else f"trial-{number}-epoch-{epoch}.pt")


def make_objective(cfg: Config, space: Space, splits: Splits, *, device: str | None = None,
                   epochs: int | None = None, checkpoints: Path | None = None,
                   snapshot_every: int | None = None, proposal: Proposal | None = None,
                   on_epoch: Callable[[Trial, int, dict[str, Any]], None] | None = None,
                   resumed_by: str | None = "pbt", keep: KeptModel | None = None,
                   resume_stopping: bool = False) -> Any:
    """``objective(trial) -> validation metric`` for the built-in trainer.

    With ``checkpoints`` each trial saves its state there after every epoch (and, every
    ``snapshot_every`` epochs, a copy that other trials may start from); with ``proposal``
    the trial starts from the parent's snapshot instead of fresh weights (population-based
    training, forks). At each epoch boundary the trial takes the changes stored for it
    (``nntune trial set`` / ``stop``); ``on_epoch(trial, epoch, record)`` runs after each report.
    A resumed trial records how its parameters differ from its parent's as changes by
    ``resumed_by`` (None: the caller records them). ``search.executions_per_trial`` above 1
    trains that many seeds of each trial as one stack, worth their mean (:mod:`nntune.builtin_repeats`).
    With ``keep``, each complete trial of one objective that met the constraints offers its
    model there, so the test look need not retrain the best (:mod:`nntune.kept_model`).
    ``resume_stopping``: a trial resumed from a proposal continues its parent's early
    stopping (a babysat run continued or forked); by default it starts its own, as a PBT
    child does under every executor (a stack's copied member starts afresh too).
    """
    metric = cfg.task.trained_metric
    executions = cfg.search.executions_per_trial
    if executions > 1 and (checkpoints is not None or proposal is not None):  # babysitting, PBT
        raise ConfigError("search.executions_per_trial", "a trial checkpointed or resumed every epoch is one "
                                                         "model; give 1 execution per trial")

    def objective(trial: Trial) -> float | tuple[float, ...]:
        warn_direction(cfg, trial.study)
        params = trial_hyperparameters(cfg, trial.suggest_space(space), epochs)
        if executions > 1:  # KerasTuner's executions_per_trial, as one stack of seeds
            from nntune.builtin_repeats import train_executions

            return train_executions(cfg, splits, trial, params, executions, device=device)
        augment = training_augment(cfg, splits, params, trial.seed)
        path = resume = None
        if checkpoints is not None:
            checkpoints.mkdir(parents=True, exist_ok=True)
            sweep_partial(checkpoints, trial.study.get_trials(deepcopy=False))  # saves of killed trials
            path = checkpoint_file(checkpoints, trial.number)
            trial.set_system_attr("checkpoint", str(path))
        if proposal is not None and checkpoints is not None:
            resume = checkpoint_file(checkpoints, proposal.parent, proposal.parent_step)
            if resumed_by is not None:
                record_inherited(trial.study.storage, trial.study.id, trial.number, proposal.parent,
                                 proposal.parent_step, params, resumed_by)

        stop: list[int] = []

        def changes(epoch: int, hp: dict[str, Any]) -> dict[str, Any]:
            taken = trial.take_changes(epoch, hp)
            if taken.pop(STOP, False):
                stop.append(epoch)
            return taken

        def report(epoch: int, record: dict[str, Any]) -> bool:
            if path is not None and snapshot_every and epoch % snapshot_every == 0:
                # Before reporting: once the value is stored, another trial may pick this one
                # as its parent and look for the snapshot. A hard link, not a second copy: the
                # next epoch's save replaces the latest state's file, never writes into it.
                link_or_copy(path, checkpoint_file(path.parent, trial.number, epoch))
            trial.report(record["value"], epoch, metrics=record)
            if on_epoch is not None:
                on_epoch(trial, epoch, record)
            if stop:
                trial.set_system_attr("stopped_by", "user")
                return True
            return not trial.study.is_multi_objective and trial._scheduler_stops()

        def built(model: torch.nn.Module) -> None:
            from nntune.train.models import takes_dropout

            if not takes_dropout(model):  # a later `trial set dropout=...` is refused, not taken for nothing
                trial.set_system_attr(NO_DROPOUT, True)

        transform = evaluation_transform(cfg, params)
        threads = use_threads(device=device)
        if threads is not None:
            trial.set_system_attr("threads", threads.to_json())
        result = fit(params, splits, metric=metric, report=report, seed=trial.seed, device=device,
                     augment=augment, eval_transform=transform, checkpoint_path=path, resume_from=resume,
                     changes=changes, resume_stopping=resume_stopping, built=built)
        if result.threads is not None:  # the model's size gave it fewer threads than the machine's rule
            trial.set_system_attr("threads", result.threads.to_json())
        # The returned model is what the value describes: the best epoch's weights when
        # early stopping restored them, else the last epoch's.
        value, chosen = kept_record(result, params)
        trial.set_user_attrs({"epochs": result.epochs, "iterations": result.iterations,
                              "best_epoch": result.best_epoch, "model_summary": result.summary,
                              "val_loss": chosen["val_loss"]})  # breaks ties of equal values
        costs = trial_costs(cfg, result.model, splits, transform)
        if costs:  # kept beside the trial: objectives, constraints, and what show and report list
            trial.set_user_attrs(costs)
        if result.stopped_by_report:
            raise TrialPruned()
        if cfg.task.is_multi_objective:
            return objective_values(cfg, value, costs)
        if keep is not None and meets_constraints(cfg, value, costs):
            previous = keep.number
            if keep.offer(trial.number, value, result.model) and keep.folder is not None:
                keep.write(trial, previous)
        return value

    return objective



def pbt_objective_factory(cfg: Config, space: Space, splits: Splits, checkpoints: Path, pbt: PBT, *,
                          device: str | None = None) -> Callable[[Proposal | None], Any]:
    """For :func:`nntune.schedulers.run_pbt`: a fresh member, or one resuming a parent."""
    def factory(proposal: Proposal | None) -> Any:
        return make_objective(cfg, space, splits, device=device, checkpoints=checkpoints,
                              snapshot_every=pbt.ready_epochs, proposal=proposal)
    return factory


SNAPSHOT = re.compile(r"trial-(\d+)-epoch-(\d+)\.pt")


def pbt_files_keeper(folder: Path, pbt: PBT, *, keep_best: int = 1,
                     exact_retrain: bool = True) -> Callable[[Study, FrozenTrial], None]:
    """The callback that keeps a PBT study's checkpoint folder bounded, run after each
    finished trial (after the one that queues its replacement): see :func:`sweep_pbt_files`."""
    def keep(study: Study, _trial: FrozenTrial) -> None:
        sweep_pbt_files(folder, study, pbt, keep_best=keep_best, exact_retrain=exact_retrain)
    return keep


def sweep_pbt_files(folder: Path, study: Study, pbt: PBT, *, keep_best: int = 1,
                    exact_retrain: bool = True) -> list[Path]:
    """Remove the files of finished PBT members that nothing will read, and return them.

    Kept: every file of a trial that has not finished (it trains, or a kill left it to be
    resumed); the epoch snapshots a replacement may still start from
    (:meth:`~nntune.schedulers.PBT.parents_needed`); the final weights of the ``keep_best``
    best complete trials (the test look, ``export-model`` and ``search.ensemble`` read them).
    Without the rest a long study holds about ``population`` lineages' files, not every
    member's. A member whose final weights go is retrained from its configuration if ever
    asked for; a founder's record is cleared where that retrain gives its model
    (``exact_retrain``, a trial trained alone), a replacement's stays, so the retrain warns
    that it started from its parent's weights."""
    from nntune.samplers import is_feasible
    from nntune.trial import ranked

    if not folder.is_dir():
        return []
    history = study.get_trials(deepcopy=False)
    direction = first_direction(study)
    finished = {t.number: t for t in history if t.state.is_finished()}
    needed = pbt.parents_needed(history, direction)
    best = {t.number for t in ranked([t for t in history if t.state == TrialState.COMPLETE and is_feasible(t)],
                                     direction)[:keep_best]}
    removed = []
    for path in folder.iterdir():
        match = SNAPSHOT.fullmatch(path.name)
        if match is None:
            continue
        number, step = int(match.group(1)), int(match.group(2))
        trial = finished.get(number)
        # Only the epochs the trial reported: another file of its number is a deleted study's of this name.
        if trial is not None and step in trial.intermediate_values and (number, step) not in needed:
            path.unlink(missing_ok=True)
            removed.append(path)
    for trial in finished.values():
        own = trial.system_attrs.get("checkpoint")
        if not own or trial.number in best or not Path(own).is_file():
            continue
        if exact_retrain and PARENT not in trial.user_attrs:
            # Its record first: a record naming a file that is gone reads as weights lost.
            study.storage.set_trial_system_attr(study.id, trial.number, "checkpoint", None)
        Path(own).unlink(missing_ok=True)
        removed.append(Path(own))
    return removed


@dataclass(frozen=True)
class TestResult:
    trial: int
    metrics: dict[str, Any]
    looks: int  # how many times this study's test split has now been evaluated
    recorded: bool = False  # the result of an earlier look, shown again; the split stayed shut


def recorded_look(study: Study, best: FrozenTrial) -> TestResult | None:
    """The last recorded look at the test split when it evaluated ``best`` (the best trial
    has not changed since), else ``None``: then only a new look can tell. An ensemble's
    look is counted, never read as its best member's own."""
    looks = study.storage.get_test_evaluations(study.id)
    own = [look for look in looks if not is_ensemble_look(look)]
    if not own or own[-1]["trial"] != best.number:
        return None
    return TestResult(best.number, dict(own[-1]["metrics"]), len(looks), recorded=True)


def recorded_looks(study: Study, trials: Sequence[FrozenTrial]) -> dict[int, TestResult]:
    """The latest recorded look at each of ``trials`` (several objectives: each trial of the
    Pareto front is looked at once, and a later run shows that look again)."""
    looks = study.storage.get_test_evaluations(study.id)
    wanted = {t.number for t in trials}
    out: dict[int, TestResult] = {}
    for look in looks:
        if look["trial"] in wanted and not is_ensemble_look(look):
            out[look["trial"]] = TestResult(look["trial"], dict(look["metrics"]), len(looks), recorded=True)
    return out


def front_model_file(model_file: str | Path | None, number: int) -> Path | None:
    """Where trial ``number`` of a Pareto front is written beside ``model_file``."""
    if model_file is None:
        return None
    path = Path(model_file)
    return path.with_name(f"{path.stem}-trial{number}{path.suffix}")


def rebuild_model(study: Study, cfg: Config, splits: Splits, trial: FrozenTrial, *, device: str | None = None,
                  epochs: int | None = None, kept: KeptModel | None = None) -> torch.nn.Module:
    """The trained model of ``trial``, without opening the test split: its weights where this
    process kept them (``kept``), or the trial's own final checkpoint where one was kept
    (population-based training, whose weights come from a lineage of trials); otherwise the
    configuration retrained with the trial's seed, taking the changes it took at the same
    epochs (:func:`taken_changes`), which gives the same weights on CPU."""
    params = stored_hyperparameters(cfg, trial, epochs)
    state = kept.state_of(trial.number) if kept is not None else None
    if state is not None:
        return model_with_weights(cfg, splits, params, state)
    checkpoint = trial.system_attrs.get("checkpoint")
    if checkpoint and Path(checkpoint).is_file():
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)["model"]
        return model_with_weights(cfg, splits, params, state)
    from nntune.builtin_repeats import kept_execution

    kept = kept_execution(trial.user_attrs)
    if checkpoint:  # its weights came from its lineage or a stack: a retrain alone may be another model
        why = "it trained in a stack of executions" if kept else "population-based training copied weights into it"
        warnings.warn(f"trial {trial.number}'s checkpoint {checkpoint} is gone; its configuration is retrained "
                      f"from scratch, which may not be the model its value describes ({why})", UserWarning, stacklevel=2)
    seed = int(kept["seed"]) if kept else derive_seed(study.seed, trial.number)  # the execution kept
    use_threads(device=device)
    taken = taken_changes(study, trial.number)
    return fit(params, splits, metric=cfg.task.trained_metric, report=None, seed=seed, device=device,
               augment=training_augment(cfg, splits, params, seed),
               eval_transform=evaluation_transform(cfg, params),
               changes=(lambda epoch, hp: taken.get(epoch, {})) if taken else None).model


def model_with_weights(cfg: Config, splits: Splits, params: Mapping[str, Any],
                       state: Mapping[str, torch.Tensor]) -> torch.nn.Module:
    """The model of ``params`` holding ``state``, every weight of it: the pretrained file
    (perhaps moved since) is not read. It is built for its inputs after the evaluation
    resize (224x224), not the data's, as the trial built it."""
    shape = model_input_shape(splits, evaluation_transform(cfg, params))
    model = build_model(dict(params), shape, count_outputs(splits), pretrained=False)
    model.load_state_dict(state)
    return model


def taken_changes(study: Study, number: int) -> dict[int, dict[str, Any]]:
    """The hyperparameter changes a trial took while it trained (``nntune trial set``), by
    the epoch after which each applied: a retrain takes them at the same boundaries, so it
    rebuilds the model the trial's value describes, not the one it started as."""
    out: dict[int, dict[str, Any]] = {}
    for change in study.storage.get_param_changes(study.id, number):
        if change.epoch is not None and change.param != STOP:
            out.setdefault(int(change.epoch), {})[change.param] = change.new
    return out


def save_trial_model(path: str | Path, model: torch.nn.Module, study: Study, cfg: Config, splits: Splits,
                     trial: FrozenTrial, *, epochs: int | None = None, test: Mapping[str, Any] | None = None,
                     field: str | None = None, kept: KeptModel | None = None) -> Path:
    """``trial``'s model as a model file (:mod:`nntune.model_file`), with that model's validation value (a trial
    of several executions is worth their mean, its file one of them) and the changes it trained with."""
    from nntune.builtin_repeats import kept_value
    from nntune.model_file import save_model_file
    from nntune.train.augment import eval_size

    params = stored_hyperparameters(cfg, trial, epochs)
    own = kept_value(trial.user_attrs)
    return save_model_file(path, model, params, splits, study=study.study_name, trial=trial.number,
                           validation=trial.value if own is None else own, metric=cfg.task.trained_metric,
                           test=test, field=field, continued_from=weights_continued_from(trial, kept),
                           changes=trained_changes(trial, study.storage.get_param_changes(study.id, trial.number)),
                           resize=eval_size(cfg.task.augment, params) if cfg.task.augment else None,
                           data=cfg.task.data)


def evaluate_on_test(study: Study, cfg: Config, splits: Splits, best: FrozenTrial, *,
                     device: str | None = None, epochs: int | None = None,
                     model_file: str | Path | None = None, kept: KeptModel | None = None) -> TestResult:
    """Open the sealed test split once for the best trial's model (:func:`rebuild_model`)
    and record that look; with ``model_file``, write that model there too."""
    params = stored_hyperparameters(cfg, best, epochs)
    transform = evaluation_transform(cfg, params)
    model = rebuild_model(study, cfg, splits, best, device=device, epochs=epochs, kept=kept)
    train_batch = resolve_batch_size(resolve_params(params, splits.task_type)["batch_size"], len(splits.y_train))
    x_test, y_test = splits.test.open(f"final evaluation of trial {best.number} of study {study.study_name}")
    base = CLASSIFICATION_METRICS if splits.task_type == "classification" else REGRESSION_METRICS
    names = tuple(m for m in dict.fromkeys((*base, cfg.task.trained_metric)) if m != LOSS)
    batch = eval_batch_size(train_batch, transform is not None)
    metrics = evaluate(model, x_test, y_test, task_type=splits.task_type, metrics=names,
                       n_classes=splits.n_classes, target_mean=splits.target_mean,
                       target_std=splits.target_std, device=device, transform=transform,
                       batch=batch, options=metric_options(splits.info))
    if cfg.task.trained_metric == LOSS:  # the objective, measured on the test split as val_loss is
        metrics[LOSS] = model_loss(cfg, splits, model, params, x_test, y_test, batch=batch)
    metrics.update(model_costs(model, x_test[:1], cfg.task.costs, transform=transform))
    positive = metric_options(splits.info)["positive"]
    if splits.task_type == "classification" and (splits.n_classes == 2 or positive is not None):
        # The notes' TP/FP/FN/TN (FP: Type I errors, FN: Type II) for the class the binary metrics are of.
        metrics.update(binary_counts(metrics["confusion_matrix"], positive))
    if splits.task_type == "regression":
        metrics["residuals"] = residual_sample(model, x_test, y_test, splits)
    elif splits.info.get("classes"):  # the confusion matrix's rows by name: breast_cancer's 0 is not scikit-learn's
        metrics["classes"] = [str(c) for c in splits.info["classes"]]
    looks = study.storage.record_test_evaluation(study.id, best.number, metrics)
    if model_file is not None:
        save_trial_model(model_file, model, study, cfg, splits, best, epochs=epochs, test=metrics,
                         field="--model-file", kept=kept)
    return TestResult(best.number, metrics, looks)


def model_loss(cfg: Config, splits: Splits, model: torch.nn.Module, params: Mapping[str, Any], x: torch.Tensor,
               y: torch.Tensor, *, batch: int | None = None) -> float:
    """``model``'s loss on (``x``, ``y``) as the trainer measures ``val_loss`` (``task.metric:
    loss``): the loss function of ``params`` (a trial's hyperparameters, the fixed ones
    included), on outputs evaluated as its validation batches were."""
    transform = evaluation_transform(cfg, params)
    hp = resolve_params(params, splits.task_type)
    if batch is None:
        batch = eval_batch_size(resolve_batch_size(hp["batch_size"], len(splits.y_train)), transform is not None)
    return split_loss(model, x, y, hp, splits.task_type, count_outputs(splits), transform=transform, batch=batch)


def residual_sample(model: Any, x: torch.Tensor, y: torch.Tensor, splits: Splits,
                    limit: int = 2000) -> dict[str, list[float]]:
    """Predicted and actual test targets in the target's units, at most ``limit`` evenly
    spaced points, for the report's residual plot."""
    device = next(model.parameters()).device
    predicted = predictions_numpy(predict(model, x.to(device)), "regression", splits.target_mean, splits.target_std)
    actual = targets_numpy(y, "regression", splits.target_mean, splits.target_std)
    keep = np.linspace(0, len(actual) - 1, num=min(limit, len(actual))).astype(int)
    return {"predicted": predicted.reshape(len(actual), -1)[keep, 0].tolist(),
            "actual": actual.reshape(len(actual), -1)[keep, 0].tolist()}
