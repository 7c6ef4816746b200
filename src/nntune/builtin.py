"""The built-in objective: a config's task trained by nntune's own trainer, and the one look
at the sealed test split after the search.

The trainer knows nothing about search: it gets a dict of hyperparameters, the splits and a
``report(epoch, record) -> stop?`` callback. This module is the only glue between the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nntune._trial import Trial, derive_seed
from nntune.config import Config
from nntune.exceptions import ConfigError, TrialPruned
from nntune.space import Space
from nntune.study import Study
from nntune.train import Splits, evaluate, fit, load_splits
from nntune.train.augment import augment_for
from nntune.train.metrics import check_metric
from nntune.trial import FrozenTrial

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1")
REGRESSION_METRICS = ("mae", "mse", "rmse", "r2")


def load_task_splits(cfg: Config) -> Splits:
    """The config's data, split and normalized with statistics of the training split only."""
    task = cfg.task
    splits = load_splits(task.data, split=task.split, seed=cfg.search.seed, normalize=task.normalize,
                         train_size=task.train_size, **task.options)
    try:
        check_metric(task.metric, splits.task_type)
    except ConfigError as err:
        raise ConfigError("task.metric", err.problem) from None
    return splits


def trial_hyperparameters(cfg: Config, params: Mapping[str, Any]) -> dict[str, Any]:
    """What the trainer gets: the fixed values, overridden by the trial's sampled ones."""
    return {**cfg.hyperparameters(), **params}


def training_augment(cfg: Config, splits: Splits, params: Mapping[str, Any], seed: int) -> Any:
    """The task's augmentation of training batches (None without one). Parameters such as
    ``rotation.degrees`` may be searched like any hyperparameter."""
    if not cfg.task.augment:
        return None
    try:
        return augment_for(splits, cfg.task.augment, params, seed=seed)
    except ConfigError as err:
        raise ConfigError(f"task.{err.field}", err.problem) from None


def make_objective(cfg: Config, space: Space, splits: Splits, *, device: str | None = None) -> Any:
    """``objective(trial) -> validation metric`` for the built-in trainer."""
    metric = cfg.task.metric

    def objective(trial: Trial) -> float:
        params = trial_hyperparameters(cfg, trial.suggest_space(space))
        augment = training_augment(cfg, splits, params, trial.seed)

        def report(epoch: int, record: dict[str, Any]) -> bool:
            trial.report(record["value"], epoch, metrics=record)
            return trial.should_prune()

        result = fit(params, splits, metric=metric, report=report, seed=trial.seed,
                     device=device, augment=augment)
        trial.set_user_attr("epochs", result.epochs)
        trial.set_user_attr("iterations", result.iterations)
        trial.set_user_attr("best_epoch", result.best_epoch)
        trial.set_user_attr("model_summary", result.summary)
        if result.stopped_by_report:
            raise TrialPruned()
        # The returned model is what the value describes: the best epoch's weights when
        # early stopping restored them, else the last epoch's.
        return float(result.best_value if result.stopped_early or params.get("early_stopping")
                     else result.history[-1]["value"])

    return objective


@dataclass(frozen=True)
class TestResult:
    trial: int
    metrics: dict[str, Any]
    looks: int  # how many times this study's test split has now been evaluated


def evaluate_on_test(study: Study, cfg: Config, splits: Splits, best: FrozenTrial, *,
                     device: str | None = None) -> TestResult:
    """Retrain the best configuration with its own seed (the same weights on CPU) on the
    training split, open the sealed test split once, and record that look in storage."""
    params = trial_hyperparameters(cfg, best.params)
    seed = derive_seed(study.seed, best.number)
    result = fit(params, splits, metric=cfg.task.metric, report=None, seed=seed, device=device,
                 augment=training_augment(cfg, splits, params, seed))
    x_test, y_test = splits.test.open(f"final evaluation of trial {best.number} of study {study.study_name}")
    base = CLASSIFICATION_METRICS if splits.task_type == "classification" else REGRESSION_METRICS
    names = tuple(dict.fromkeys((*base, cfg.task.metric)))
    metrics = evaluate(result.model, x_test, y_test, task_type=splits.task_type, metrics=names,
                       n_classes=splits.n_classes, target_mean=splits.target_mean,
                       target_std=splits.target_std, device=device)
    looks = study.storage.record_test_evaluation(study.id, best.number, metrics)
    return TestResult(best.number, metrics, looks)
