"""An ensemble of a stored study's best trials, scored once on the sealed test split.

The top K complete trials (by validation value) are rebuilt as ``nntune export-model``
rebuilds one: from their checkpoint when they kept one, else retrained with their own seed,
for the epochs they trained (a multi-fidelity scheduler's largest budget) and with the
changes they took while training, which gives the same weights on CPU.
``average`` averages their predicted probabilities (outputs for regression); ``greedy``
picks members with replacement on the validation split (Caruana et al., 2004). Every
choice is made on validation data; then the test split is opened once, the look recorded
like the single best's, and the ensemble is scored beside the single best.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from nntune.builtin import CLASSIFICATION_METRICS, REGRESSION_METRICS, evaluation_transform, model_loss, \
    rebuild_model, stored_hyperparameters, trial_hyperparameters
from nntune.config import Config
from nntune.ensemble import ENSEMBLE_OF, average, greedy_selection, member_weights
from nntune.exceptions import ConfigError
from nntune.study import Study
from nntune.train import Splits
from nntune.train.basics import predict
from nntune.train.metrics import LOSS, metric_direction, metric_options, scores
from nntune.trial import FrozenTrial, TrialState, ranked

METHODS = ("average", "greedy")


@dataclass
class EnsembleResult:
    """The ensemble beside the single best, on validation and on test."""

    method: str
    members: list[int]  # trial numbers, best validation value first
    weights: list[float]
    metric: str
    val: float
    single_val: float
    test: dict[str, float] = field(default_factory=dict)
    single_test: dict[str, float] = field(default_factory=dict)
    looks: int = 0
    top: int = 0  # the members asked for; more than ``members`` when the study had fewer to give

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "members": self.members, "weights": self.weights, "metric": self.metric,
                "val": self.val, "single_best_val": self.single_val, "test": self.test,
                "single_best_test": self.single_test, "test_evaluations": self.looks,
                "top": self.top or len(self.members)}


def top_trials(study: Study, k: int) -> list[FrozenTrial]:
    """The ``k`` best complete trials that meet the study's constraints (task.constraints),
    as its best trial and ``nntune export-model`` choose them."""
    from nntune.samplers import is_feasible

    if k < 1:
        raise ConfigError("top", f"must be at least 1, got {k}")
    if study.is_multi_objective:
        raise ConfigError("study", f"{study.study_name} has {len(study.directions)} objectives; an ensemble of "
                                   "the best trials needs one best value")
    complete = [t for t in ranked(study.get_trials(deepcopy=False), study.directions[0]) if t.state == TrialState.COMPLETE]
    done = [t for t in complete if is_feasible(t)]
    if not done:
        which = "that meets its constraints " if complete else ""
        raise ConfigError("study", f"{study.study_name} has no complete trial {which}to build an ensemble from")
    return done[:k]


def budget(cfg: Config) -> int | None:
    """The epochs every trial trained under a multi-fidelity scheduler (its largest budget,
    which ``scheduler_options.max_resource`` may set apart from ``fixed.epochs``), else None."""
    from nntune.runner_build import MULTI_FIDELITY, budget_epochs, build_scheduler

    return budget_epochs(cfg, build_scheduler(cfg)) if cfg.search.scheduler in MULTI_FIDELITY else None


def member_model(cfg: Config, splits: Splits, study: Study, trial: FrozenTrial, device: str | None,
                 epochs: int | None = None) -> Any:
    """The trial's model, the one its value describes (the model ``nntune export-model``
    writes): its checkpoint when it kept one, else retrained with its seed for ``epochs``
    and with the changes it took while training."""
    return rebuild_model(study, cfg, splits, trial, device=device, epochs=epochs)


def outputs(model: Any, x: torch.Tensor, splits: Splits, transform: Any) -> np.ndarray:
    """Class probabilities, or regression outputs in the target's own units."""
    out = predict(model, x, transform=transform).float()
    if splits.task_type == "classification":
        return torch.softmax(out, dim=-1).numpy().astype(np.float64)
    return (out.view(len(x), -1).squeeze(-1) * splits.target_std + splits.target_mean).numpy().astype(np.float64)


def score_of(metric: str, splits: Splits, pred: np.ndarray, y: torch.Tensor, names: tuple[str, ...]) -> dict[str, float]:
    if splits.task_type == "classification":
        labels = np.argmax(pred, axis=-1)
        return scores(names, "classification", y.numpy(), labels, splits.n_classes, **metric_options(splits.info))
    truth = (y.float().view(len(y), -1).squeeze(-1) * splits.target_std + splits.target_mean).numpy()
    return scores(names, "regression", truth, pred)


def validation_score(cfg: Config, splits: Splits, model: Any, params: dict[str, Any],
                     epochs: int | None = None) -> float:
    """The trained metric of ``model`` (a trial's, of ``params``) on the validation split,
    as the trial measured it."""
    metric = cfg.task.trained_metric
    if metric == LOSS:  # the validation loss, measured on the outputs as the trainer measured it
        return model_loss(cfg, splits, model, trial_hyperparameters(cfg, params, epochs), splits.x_val, splits.y_val)
    transform = evaluation_transform(cfg, trial_hyperparameters(cfg, params, epochs))
    return score_of(metric, splits, outputs(model, splits.x_val, splits, transform), splits.y_val, (metric,))[metric]


def warn_if_other_models(trials: list[FrozenTrial], measured: list[float], metric: str) -> None:
    """Say so, before the test split is opened, when rebuilt members do not score the
    validation values their trials recorded (as ``nntune export-model`` says it of one): the
    config, the data or the training differ from the study's, so the ensemble would combine
    other models than the ones its members were ranked by. A retrain on CPU matches to
    rounding; a GPU's nondeterminism stays well inside the 1% allowed."""
    off = [(t, m) for t, m in zip(trials, measured) if t.value is not None and math.isfinite(t.value)
           and not math.isclose(m, t.value, rel_tol=1e-2, abs_tol=1e-6)]
    if off:
        shown = ", ".join(f"trial {t.number} scores {m:.4g}, recorded {t.value:.4g}" for t, m in off)
        warnings.warn(f"the rebuilt members do not score the validation {metric} their trials recorded ({shown}): "
                      "the config, the data or the training differ from the study's", UserWarning, stacklevel=3)


def build_ensemble(cfg: Config, splits: Splits, study: Study, *, top: int, method: str = "average",
                   device: str | None = None) -> EnsembleResult:
    """Rebuild the top ``top`` trials, choose the members on validation, then open the
    test split once and record that look."""
    if method not in METHODS:
        raise ConfigError("method", f"unknown {method!r}; choose from {', '.join(METHODS)}")
    metric = cfg.task.trained_metric
    if metric == LOSS:  # as search.ensemble is refused with it
        raise ConfigError("task.metric", "an ensemble is scored from its members' averaged predictions, and loss "
                                         "is the trainer's loss of one model; ensembles take the other metrics")
    trials = top_trials(study, top)
    epochs = budget(cfg)
    models = [member_model(cfg, splits, study, t, device, epochs) for t in trials]
    transforms = [evaluation_transform(cfg, stored_hyperparameters(cfg, t, epochs)) for t in trials]
    val = [outputs(m, splits.x_val, splits, tf) for m, tf in zip(models, transforms)]
    warn_if_other_models(trials, [score_of(metric, splits, v, splits.y_val, (metric,))[metric] for v in val], metric)
    sign = 1.0 if metric_direction(metric) == "maximize" else -1.0
    if method == "greedy":
        picked = greedy_selection(val, splits.y_val,
                                  lambda p, y: sign * score_of(metric, splits, p, y, (metric,))[metric],
                                  rounds=2 * len(trials))
        weights = member_weights(picked, len(trials))
    else:
        weights = [1.0] * len(trials)
    val_score = score_of(metric, splits, average(val, weights), splits.y_val, (metric,))[metric]
    single_val = score_of(metric, splits, val[0], splits.y_val, (metric,))[metric]
    numbers = [t.number for t in trials]
    x_test, y_test = splits.test.open(f"{method} ensemble of trials {numbers} of study {study.study_name}")
    test = [outputs(m, x_test, splits, tf) for m, tf in zip(models, transforms)]
    base = CLASSIFICATION_METRICS if splits.task_type == "classification" else REGRESSION_METRICS
    names = tuple(dict.fromkeys((*base, metric)))
    ensemble_test = score_of(metric, splits, average(test, weights), y_test, names)
    single_test = score_of(metric, splits, test[0], y_test, names)
    record = {**{f"ensemble_{k}": v for k, v in ensemble_test.items()}, ENSEMBLE_OF: numbers,
              "ensemble_method": method, "ensemble_weights": weights}
    looks = study.storage.record_test_evaluation(study.id, trials[0].number, record)
    return EnsembleResult(method, numbers, weights, metric, val_score, single_val, ensemble_test, single_test, looks,
                          top)


def ensemble_for_study(storage: str, study_name: str, *, top: int, method: str = "average",
                       config: dict[str, Any] | None = None, device: str | None = None) -> EnsembleResult:
    """:func:`build_ensemble` for a stored study, with the config it was tuned with (stored
    with the study by ``nntune tune``) unless ``config`` is given, which must then describe
    the same model and data (as ``nntune export-model`` checks): another one would retrain
    other models and record their test look with this study."""
    from nntune.builtin import load_task_splits
    from nntune.cli_model import stored_config
    from nntune.config import parse_config
    from nntune.config_compare import check_same_model
    from nntune.storage import StudyNotFoundError, existing_storage, redact_url
    from nntune.study import load_study

    # the command's own flags, refused before the storage is opened or the data loaded
    if top < 1:
        raise ConfigError("--top", f"must be at least 1, got {top}")
    if method not in METHODS:
        raise ConfigError("--method", f"unknown {method!r}; choose from {', '.join(METHODS)}")
    store = existing_storage(storage)  # it only reads the study: a mistyped path is not a new database
    rec = store.load_study(study_name)
    if rec is None:
        raise StudyNotFoundError(f"no study named {study_name!r} in {redact_url(store.url)}")
    stored = stored_config(rec.attrs)
    raw = config if config is not None else stored
    if not isinstance(raw, dict):
        raise ConfigError("config", f"study {study_name} stores no config; pass the config file it was tuned with")
    cfg = parse_config({**raw, "storage": storage, "study": study_name}, "ensemble")
    if config is not None and stored is not None:
        check_same_model(cfg, stored)
    return build_ensemble(cfg, load_task_splits(cfg), load_study(study_name, store), top=top, method=method,
                          device=device)


def ensemble_lines(result: EnsembleResult) -> list[str]:
    """The ensemble beside the single best, for the terminal."""
    shown = [k for k in result.test if k != "confusion_matrix"]
    single = ", ".join(f"{k} {result.single_test[k]:.4g}" for k in shown)
    ens = ", ".join(f"{k} {result.test[k]:.4g}" for k in shown)
    members = ", ".join(f"{n}" + (f" x{w:g}" if w != 1 else "") for n, w in zip(result.members, result.weights) if w)
    # fewer members than --top asked: the study had no more complete, feasible trials to give
    short = f" (only {len(result.members)} of the {result.top} asked: the study has no more complete trials)" \
        if result.top > len(result.members) else ""
    kind = "trial" if sum(1 for w in result.weights if w) == 1 else "trials"  # one member: "of trial 0"
    times = "once" if result.looks == 1 else f"{result.looks} times"
    return [f"single best (trial {result.members[0]}): validation {result.metric} {result.single_val:.4g}; test {single}",
            f"{result.method} ensemble of {kind} {members}{short}: validation {result.metric} {result.val:.4g}; test {ens}",
            f"the test split has now been evaluated {times}"]
