"""Reading a trial's curves: overfitting, underfitting, the learning rate, and gradients.

:func:`diagnose` turns one trial's per-epoch records (or, for a define-by-run objective,
only its intermediate values) into :class:`Finding` s, each with the numbers it rests on
and the advice of the lecture notes:

- overfitting: training error low, validation error much higher (1% vs 10%), or the
  validation loss rising while the training loss falls, unless both errors are high and
  close (then nothing was memorized) -> regularize (L2, dropout, augmentation), a smaller
  network, early stopping, more data;
- underfitting: both errors high and close (14% vs 15%) -> a bigger network, more epochs,
  another architecture, weaker regularization; more data does not help. A hidden layer of
  a third of the output's classes or fewer caps the error however long it trains, so such a
  network is called underfitting even while its loss still falls (not told to raise the rate);
- learning rate: validation loss still falling steadily at the end, at its lowest, with
  no jump on the way (its rate of descent read per unit of the recorded learning rate, so
  a curve a decaying schedule slowed is no converged one) -> too small (then not
  underfitting: it has not converged), by about 1 / (the share of its start it fell by);
  oscillating or swinging up and back down, a training loss that climbs back up after its
  minimum, both losses climbing over the last epochs, a training loss that blew up within
  an epoch, or a first epoch's many times an untrained classifier's (ln C) -> too large
  (then not underfitting, nor overfitting by the validation loss: the steps overshoot; so
  too when the gradient norms exploded after a normal start);
  rising or non-finite -> far too large (diverged);
- gradients and activations: first layers' gradient norms orders of magnitude below or
  above the last layer's; gradient norms orders of magnitude above a healthy network's,
  from the first probe (the initialization or the inputs) or later (the learning rate,
  named in its own finding when the curves already blame it), clipped or not; bounded
  activations (sigmoid, tanh) pinned at their bounds from the first epoch on (weights
  initialized with std 1); activations collapsed towards zero (std 0.01); ReLU outputs
  that are almost all zero (which, with both errors high, is named instead of
  underfitting: dead units, not the network's size, hold it back; vanishing gradients
  likewise, which more layers would only deepen);
- initialization: weights that all start at zero (the notes' failed initialization) keep
  the units of a layer identical -> ``symmetric_weights``, named in place of the
  underfitting, dead units or slow rate it causes.

A trial still running, or pruned, is not yet at its end: it is not called underfitting
or too slow. Underfitting also needs a few epochs of errors.

Every rule is a pure function of plain numbers in :mod:`nntune.diagnose_rules` (the
curves) or :mod:`nntune.diagnose_layers` (the layers' statistics), where each
threshold is a named constant with the reason for its value. A healthy trial yields no
finding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from nntune._diagnose_narrow import bottleneck, narrow_words, too_narrow
from nntune._diagnose_start import start_blowup, untrained_loss
from nntune.diagnose_causes import (cause_over_underfitting, dead_over_slow_rate, dead_over_vanishing,
                                     symmetric_over_consequences)
from nntune.diagnose_findings import ADVICE, KINDS, SEVERITY, Finding, Severity
from nntune.diagnose_stall import stalled_finding
from nntune.diagnose_layers import (
    ACTIVATION_NAMES,
    GRAD_NORM_EXPLODED,
    LAYER_EPOCHS,
    LAYER_TYPES,
    activation_findings,
    exploding_finding,
    gradient_findings,
    gradient_peak,
    largest_grad_norm,
    last_finite_layers,
    peak_evidence,
    peak_words,
)
from nntune.diagnose_descent import still_converging
from nntune.diagnose_rules import divergence_finding, fit_findings, learning_rate_findings
from nntune.trial import FrozenTrial, TrialState

ScoreT = TypeVar("ScoreT", float, np.ndarray)
LOSS = "loss"  # the metric that is the validation loss (nntune.train.metrics.LOSS, without importing torch)


@dataclass
class Curves:
    """The series a trial's rules read, epoch by epoch (NaN where an epoch lacks a value)."""

    train_loss: np.ndarray = field(default_factory=lambda: np.empty(0))
    val_loss: np.ndarray = field(default_factory=lambda: np.empty(0))
    train_error: np.ndarray = field(default_factory=lambda: np.empty(0))
    val_error: np.ndarray = field(default_factory=lambda: np.empty(0))
    # Each epoch's learning rate (``lr`` of the records): a schedule's decay slows the curve.
    lr: np.ndarray = field(default_factory=lambda: np.empty(0))
    layers: list[list[dict[str, Any]]] = field(default_factory=list)  # the last LAYER_EPOCHS epochs
    first_layers: list[dict[str, Any]] = field(default_factory=list)  # the first epoch with layer records
    # (epoch, layer, norm) of the largest gradient norm of every epoch with layer records.
    grad_peaks: list[tuple[int, str, float]] = field(default_factory=list)
    nonfinite: bool = False  # a loss or value reported as NaN or infinite
    # What val_loss holds, in the words a finding uses: the trial's reported values, read as
    # a loss, when it reported no records (``better``: the way those values improve).
    val_name: str = "validation loss"
    better: str = "falling"
    # The errors are the losses themselves (``task.metric: loss``): findings call them so.
    errors_are_losses: bool = False


# ---------------------------------------------------------------- reading a trial


def error_of(score: ScoreT, direction: str) -> ScoreT:
    """A score as an error: 1 - score for maximized scores (accuracy, f1, r2), else itself."""
    return 1.0 - score if direction == "maximize" else score


def infer_metric(records: Sequence[Mapping[str, Any]]) -> str | None:
    """The metric ``m`` of records holding ``train_m`` and ``val_m`` (besides the loss)."""
    for rec in records:
        for key in rec:
            if key.startswith("val_") and key != "val_loss" and f"train_{key[4:]}" in rec:
                return key[4:]
    return None


def values_are_losses(records: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the records' values are their validation losses (``task.metric: loss``): then
    the loss is the metric too, and its pair (train_loss, val_loss) is the one to read."""
    pairs = [(r.get("value"), r.get("val_loss")) for r in records if "value" in r]
    return bool(pairs) and all(type(v) is float and v == loss for v, loss in pairs)


def _number(v: Any) -> float:
    """A reported number as a float; NaN for anything else (missing, None, text)."""
    return float(v) if type(v) is float or type(v) is int else math.nan


def curves_of(trial: FrozenTrial, direction: str, metric: str) -> Curves:
    """The trial's curves from its records; from its intermediate values when it has none
    (then only ``val_loss`` is filled: the value, sign-flipped when maximized)."""
    records = [r for r in trial.metrics if isinstance(r, Mapping)]
    if any(r.get("step", 0) > s.get("step", 0) for r, s in zip(records, records[1:])):
        records.sort(key=lambda r: r.get("step", r.get("epoch", 0)))
    if records and any("val_loss" in r for r in records):
        if f"val_{metric}" not in records[0]:
            metric = infer_metric(records) or (LOSS if values_are_losses(records) else metric)
        keys = ("train_loss", "val_loss", f"train_{metric}", f"val_{metric}", "value", "lr")
        table = np.array([[_number(r.get(k)) for k in keys] for r in records], dtype=float)
        # A loss or value reported as NaN/inf (a missing one reads as NaN too, so look at the raw values).
        nonfinite = bool(np.isinf(table).any()) or bool(np.isnan(table[:, [0, 1, 4]]).any()) and any(
            type(r.get(k)) is float and math.isnan(r[k]) for r in records for k in ("train_loss", "val_loss", "value"))
        return Curves(train_loss=table[:, 0], val_loss=table[:, 1], train_error=error_of(table[:, 2], direction),
                      val_error=error_of(table[:, 3], direction), lr=table[:, 5], errors_are_losses=metric == LOSS,
                      layers=[r.get("layers") or [] for r in records[-LAYER_EPOCHS:]],
                      first_layers=next((list(r["layers"]) for r in records if r.get("layers")), []),
                      grad_peaks=_grad_peaks(records), nonfinite=nonfinite)
    steps = sorted(trial.intermediate_values)
    values = np.array([trial.intermediate_values[s] for s in steps], dtype=float)
    return Curves(val_loss=-values if direction == "maximize" else values,
                  nonfinite=not bool(np.isfinite(values).all()), val_name="reported value",
                  better="rising" if direction == "maximize" else "falling")


def _grad_peaks(records: Sequence[Mapping[str, Any]]) -> list[tuple[int, str, float]]:
    peaks = []
    for i, rec in enumerate(records, start=1):
        layers = rec.get("layers")
        top = largest_grad_norm(layers) if isinstance(layers, list) else None
        if top is not None:
            epoch = rec.get("epoch")
            peaks.append((epoch if type(epoch) is int else i, *top))
    return peaks


def activation_kinds(trial: FrozenTrial, layer_names: Sequence[str]) -> dict[str, str | None]:
    """The activation after each layer, lower-case (``"tanh"``), ``None`` for an output layer.

    Read from the layer records' ``activation`` key when present, else from the model
    summary the built-in trainer stores (the activation module that follows each Linear/
    Conv module), else from the ``activation`` parameter for every layer but the last.
    Layers with no known activation are left out.
    """
    kinds: dict[str, str | None] = {}
    summary = trial.user_attrs.get("model_summary")
    if isinstance(summary, list):
        current: str | None = None
        for row in summary:
            if not isinstance(row, Mapping):
                continue
            rtype, name = str(row.get("type", "")), str(row.get("name", ""))
            if rtype in LAYER_TYPES:
                current = name
                kinds[name] = None
            elif rtype.lower() in ACTIVATION_NAMES and current is not None and kinds[current] is None:
                kinds[current] = rtype.lower()
    if not kinds and isinstance(trial.params.get("activation"), str) and layer_names:
        kinds = {name: str(trial.params["activation"]).lower() for name in layer_names[:-1]}
        kinds[layer_names[-1]] = None
    return {name: kinds[name] for name in layer_names if name in kinds}


# ---------------------------------------------------------------- one trial, a study


def diagnose(trial: FrozenTrial, *, study_best: float | None = None, direction: str = "maximize",
             metric: str = "accuracy") -> list[Finding]:
    """The findings for ``trial``; an empty list for a healthy one.

    ``study_best`` is the best value of the study in the units of ``metric`` (used to call
    errors "high"); ``direction`` is the metric's. Records (``trial.metrics``) give every
    rule its data; a trial with only intermediate values gets the learning-rate and
    divergence rules, on its values.
    """
    curves = curves_of(trial, direction, metric)
    bounded = direction == "maximize"
    # A trial still running (a babysat one, the dashboard's followed one) has not reached its
    # end: its loss is expected to fall still, and its errors to be high early on.
    complete = trial.state.is_finished() and trial.state != TrialState.PRUNED
    out: list[Finding] = []
    epoch = trial.system_attrs.get("diverged_epoch")
    div = divergence_finding(curves.train_loss, diverged=trial.state == TrialState.DIVERGED or curves.nonfinite,
                             diverged_epoch=int(epoch) if isinstance(epoch, (int, float)) else None,
                             error=trial.error)
    if div is not None:
        out.append(div)
    best_error = None if study_best is None or not math.isfinite(study_best) else error_of(study_best, direction)
    neck = bottleneck(trial.user_attrs.get("model_summary"))
    if div is None:
        lr = curves.lr if curves.lr.size else None
        rate = learning_rate_findings(curves.val_loss, complete=complete, name=curves.val_name, better=curves.better,
                                      train_loss=curves.train_loss if curves.train_loss.size else None, lr=lr)
        if not any(f.kind == "lr_too_large" for f in rate):  # calm later epochs hide a first one blown up
            start = untrained_loss(trial.user_attrs.get("model_summary"), trial.metrics, trial.params)
            rate += [f for f in [start_blowup(curves.train_loss, start, curves.grad_peaks)] if f is not None]
        # Gradients that exploded after a normal start were made by the steps: the rate is
        # too large even where the loss curves alone do not show it, so a validation loss
        # swinging up is the overshoot, not overfitting, and high errors are no underfitting.
        peak = gradient_peak(curves.grad_peaks)
        stepped_up = peak is not None and not peak.at_start and peak.start < GRAD_NORM_EXPLODED
        unstable = stepped_up or any(f.kind == "lr_too_large" for f in rate)
        narrow = neck is not None
        fit = fit_findings(curves.train_error, curves.val_error, curves.train_loss, curves.val_loss,
                           bounded=bounded, best_error=best_error, complete=complete, unstable=unstable,
                           still_falling=still_converging(curves.val_loss, complete=complete, lr=lr),
                           capped=bool(_regularizers(trial.params)), narrow=narrow,
                           too_narrow=too_narrow(neck, curves.val_loss),
                           term="loss" if curves.errors_are_losses else "error")
        out += [_with_early_stopping(_with_regularization(f, trial.params), trial.params) for f in fit]
        # A narrow layer caps the error: its slow descent is no sign that a larger rate would
        # get much further (a 2-unit digits MLP ends near 70% error at any rate).
        if narrow and any(f.kind == "underfitting" for f in fit):
            rate = [f for f in rate if f.kind != "lr_too_small"]
        out += rate
        if not curves.train_loss.size and not curves.val_error.size and trial.state.is_finished() \
                and study_best is not None and not any(f.kind.startswith("lr_") for f in out):
            # The value alone: a curve that froze far short of the study's best says so.
            stall = stalled_finding(curves.val_loss, -study_best if bounded else study_best,
                                    name=curves.val_name, maximize=bounded)
            out += [stall] if stall is not None else []
    out = _with_gradient_peak(out + gradient_findings(curves.layers), curves.grad_peaks, trial.params)
    last = last_finite_layers(curves.layers)
    if last:
        names = [str(l.get("name", "")) for l in last]
        kinds = {str(l["name"]): _kind(l.get("activation")) for l in last if "activation" in l}
        out += activation_findings(last, kinds or activation_kinds(trial, names),
                                   first=curves.first_layers or None)
    out = symmetric_over_consequences(out, trial.params, trial.user_attrs)
    out = cause_over_underfitting(dead_over_vanishing(dead_over_slow_rate(out)))
    return narrow_words(out, neck)


BLAMES_THE_RATE = ("lr_too_large", "diverged")


def _with_gradient_peak(found: list[Finding], peaks: Sequence[tuple[int, str, float]],
                        params: Mapping[str, Any]) -> list[Finding]:
    """The findings with exploding gradients (see GRAD_NORM_EXPLODED) named, and its cause.

    Gradients already exploded before any update (the first probe) are the initialization's
    or the inputs': ``exploding_gradients`` says so and replaces the ratio rule's. Gradients
    that exploded after a normal start were made by the steps: where the learning rate is
    already blamed (``lr_too_large``, ``diverged``), that finding wins and names the spike,
    as the notes explain it (a large rate makes the weights, then the gradients, large);
    otherwise, as when clipping keeps the loss calm, ``exploding_gradients`` names it. Either
    way ``lr_too_small`` goes: a loss crawling under exploded (or clipped) gradients is no
    sign that a larger rate would help."""
    peak = gradient_peak(peaks)
    if peak is None:
        return found
    if not peak.at_start:
        for i, f in enumerate(found):
            if f.kind in BLAMES_THE_RATE:
                evidence = {**f.evidence, **peak_evidence(peak)}
                found[i] = replace(f, summary=f.summary + peak_words(peak), evidence=evidence)
                return found
    clip = params.get("grad_clip")
    clip = float(clip) if isinstance(clip, (int, float)) and not isinstance(clip, bool) else 0.0
    kept = [f for f in found if f.kind not in ("exploding_gradients", "lr_too_small")]
    return kept + [exploding_finding(peak, grad_clip=clip)]


REGULARIZERS = ("weight_decay", "l1", "dropout")


def _regularizers(params: Mapping[str, Any]) -> dict[str, float]:
    return {k: params[k] for k in REGULARIZERS
            if isinstance(params.get(k), (int, float)) and not isinstance(params[k], bool) and params[k] > 0}


def has_bottleneck(trial: FrozenTrial) -> bool:
    """A hidden Linear layer of the model summary has a third as many units as the output
    has classes or fewer (2 units for digits' 10), too few to carry what the output needs."""
    return bottleneck(trial.user_attrs.get("model_summary")) is not None


# The notes' range for the dropout rate (004): start at 0.3, raise it towards 0.5 while
# the model overfits.
DROPOUT_CEILING = 0.5


def _with_regularization(found: Finding, params: Mapping[str, Any]) -> Finding:
    """A fit finding that also names the trial's regularization, if any. Underfitting: too
    strong a penalty (or dropout) shrinks what the network can fit, and weakening it is the
    cure. Overfitting: the regularization in place is too weak (the notes: raise lambda while
    the gap persists; dropout from 0.3 towards 0.5), so the finding says which to raise."""
    used = _regularizers(params)
    if found.kind not in ("underfitting", "overfitting") or not used:
        return found
    named = ", ".join(f"{k} {v:g}" for k, v in used.items())
    if found.kind == "underfitting":
        return replace(found, summary=f"{found.summary}, with regularization ({named})")
    raise_ = [k if k != "dropout" else f"dropout towards {DROPOUT_CEILING:g}" for k in used
              if k != "dropout" or used[k] < DROPOUT_CEILING]
    what = f": raise {' and '.join(raise_)}" if raise_ else ""
    return replace(found, summary=f"{found.summary}, despite regularization ({named}){what}")


# The overfitting advice's early stopping, left out where the trial stopped early already.
EARLY_STOPPING_ADVICE = " stop earlier (early stopping),"


def _with_early_stopping(found: Finding, params: Mapping[str, Any]) -> Finding:
    """An overfitting finding of a trial that trained with ``early_stopping``: stopping at
    the best epoch did not close the gap (300 digits, 3 x 1024 units: 0.3% vs 10.1% error
    at epoch 7 of 100), so the advice to stop earlier is dropped and the summary says so."""
    if found.kind != "overfitting" or params.get("early_stopping") is not True:
        return found
    return replace(found, summary=f"{found.summary} (with early stopping on)",
                   advice=found.advice.replace(EARLY_STOPPING_ADVICE, ""))


def _kind(value: Any) -> str | None:
    return None if value is None else str(value).lower()


def metric_objective(attrs: Mapping[str, Any], direction: str, metric: str | None) -> tuple[str, int]:
    """The direction ``metric`` is optimized in and its place among the study's objectives.

    A study of several objectives names them (``metric_names``) beside their ``directions``;
    the trained metric need not be the first (``metric: [params, accuracy]``), and read in
    the first one's direction an accuracy would be taken for an error, against a best
    counted in parameters. Elsewhere: ``direction`` and the first (only) objective."""
    names, directions = attrs.get("metric_names"), attrs.get("directions")
    if (metric is not None and isinstance(names, list) and isinstance(directions, list)
            and len(names) == len(directions) and metric in names):
        i = names.index(metric)
        return str(directions[i]), i
    return direction, 0


def study_best(trials: Sequence[FrozenTrial], direction: str, objective: int = 0) -> float | None:
    """The best finite value of objective ``objective`` among the complete trials; None without one."""
    values = [float(v[objective]) for t in trials if t.state == TrialState.COMPLETE
              and (v := t.values) is not None and len(v) > objective and math.isfinite(v[objective])]
    return (max(values) if direction == "maximize" else min(values)) if values else None


def metric_best(attrs: Mapping[str, Any], direction: str, metric: str, trials: Sequence[FrozenTrial],
                best: float | None) -> tuple[str, float | None]:
    """The direction and best value the diagnosis reads ``metric`` against: the study's
    ``direction`` and ``best`` (its first objective's) where the metric is that objective,
    else the metric's own, its best among ``trials`` (the feasible ones)."""
    direction, objective = metric_objective(attrs, direction, metric)
    return direction, best if objective == 0 else study_best(trials, direction, objective)


def diagnose_trials(trials: Sequence[FrozenTrial], direction: str,
                    metric: str | None = None, *, objective: int = 0) -> dict[int, list[Finding]]:
    """:func:`diagnose` for every finished trial, against the study's best value
    (``direction`` and ``objective``: the metric's, see :func:`metric_objective`)."""
    if metric is None:
        metric = next((m for t in trials if t.metrics and (m := infer_metric(t.metrics) or
                                                             (LOSS if values_are_losses(t.metrics) else None))),
                      "accuracy")
    best = study_best(trials, direction, objective)
    return {t.number: diagnose(t, study_best=best, direction=direction, metric=metric)
            for t in trials if t.state.is_finished()}


__all__ = ["ADVICE", "KINDS", "SEVERITY", "Curves", "Finding", "Severity", "activation_kinds", "curves_of",
           "diagnose", "diagnose_trials", "error_of", "has_bottleneck", "infer_metric", "metric_best",
           "metric_objective", "study_best"]
