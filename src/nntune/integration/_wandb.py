"""The Weights & Biases callback: the study's trials logged to W&B, as one run for the whole
study or as one run per trial, so W&B's charts and sweep-like panels show the search.

As Optuna's ``WeightsAndBiasesCallback`` does:

- by default the study is one run, made when the callback is: each finished trial adds a
  history row at step N (its number) with its parameters and its value(s) as
  ``metric_name`` (one name per objective, or ``"<metric_name>_<i>"`` when one name is
  broadcast over several), and the run's config records the study's direction(s);
- with ``as_multirun=True`` each trial is a run of its own, named ``trial/N/...``, tagged
  with the study's name, holding the same row plus ``trial_number`` and, in its config, the
  parameters and direction(s), which W&B's parameter-importance and parallel-coordinates
  panels read. ``track_in_wandb()`` opens the trial's run around the objective, so that
  what the objective logs (``wandb.log``) lands in it.

What this one adds:

- with ``as_multirun=True``, a trial that reported intermediate values gets them in its run
  as ``"<metric_name>/intermediate"`` over the reported step,
  ``"<metric_name>/intermediate_step"``, declared as that metric's x-axis, so W&B overlays
  the trials' learning curves in one chart. The study's single run cannot hold them: its
  history is stepped by trial number, and W&B drops the rows of a step that goes back;
- the trial's row is never dropped so: when the objective logged rows of its own into the
  current run (``track_in_wandb``) past the trial's number, the row goes after them, where
  Optuna's is lost and the run lacks the trial's value;
- ``wandb_kwargs``: ``tags=None`` is no tags and a string one tag; a trial's parameter
  replaces the default the ``config`` kwarg gave it in the trial's run (where Optuna's
  stops on W&B's refusal to change a config value), and the trial's run keeps the tags
  ``wandb.init`` gave it (``WANDB_TAGS`` too) beside the study's name.

The ``wandb`` package is imported when the callback is made, so the name can be imported
without it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from nntune.integration._mlflow import check_metric_name, curve_key, learning_curve, metric_names
from nntune.integration._optional import optional_module
from nntune.trial import FrozenTrial

_INSTALL = "WeightsAndBiasesCallback needs the wandb package: pip install wandb"


def init_kwargs(wandb_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """``wandb_kwargs`` as ``wandb.init`` takes them: ``tags=None`` is no tags (as
    ``wandb.init`` reads it) and one string is one tag (``wandb.init`` would split it
    into its characters)."""
    kwargs = dict(wandb_kwargs or {})
    tags = kwargs.pop("tags", None)
    if tags is not None:
        kwargs["tags"] = [tags] if isinstance(tags, str) else list(tags)
    return kwargs


class WeightsAndBiasesCallback:
    """``study.optimize(objective, callbacks=[WeightsAndBiasesCallback("accuracy",
    {"project": "my-project"})])``: log each finished trial to W&B.

    ``metric_name`` names the objective's value, or each value of a study of several
    objectives. ``wandb_kwargs`` go to ``wandb.init`` (``project``, ``entity``, ``mode``,
    ``tags``, ...). ``as_multirun=True`` makes one run per trial, with the trial's learning
    curve when it reported intermediate values; otherwise one run, started here, holds the
    study (call ``wandb.finish()`` before the next study of the same process). Use
    ``n_jobs=1``, as with Optuna's: W&B keeps one current run per process.
    """

    def __init__(self, metric_name: str | Sequence[str] = "value", wandb_kwargs: dict[str, Any] | None = None,
                 as_multirun: bool = False) -> None:
        self._wandb = optional_module("wandb", _INSTALL)
        self._metric_name = check_metric_name(metric_name)
        self._wandb_kwargs = init_kwargs(wandb_kwargs)
        self._as_multirun = as_multirun
        if not self._as_multirun:
            self._initialize_run()

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        values = trial.values
        metrics: dict[str, Any] = {}
        if values is not None:
            metrics = dict(zip(metric_names(self._metric_name, len(values)), values))
        if self._as_multirun:
            metrics["trial_number"] = trial.number
        attributes = {"direction": [d.name for d in study.directions]}

        # A current run is the study's, or the trial's own opened by track_in_wandb: the row
        # goes at the trial's number (Optuna's step), or after the rows the objective logged
        # there, which W&B would drop the row behind. A run made here starts its history at 0.
        run = self._wandb.run
        step = max(trial.number, run.step) if run else None
        if not run:
            run = self._trial_run(trial.number)
        run.log({**trial.params, **metrics}, step=step)

        if self._as_multirun:
            # The trial's parameters are what its run used: they replace a default the
            # kwargs' config gave (W&B refuses a changed value unless told).
            run.config.update({**attributes, **trial.params}, allow_val_change=True)
            # The run's own tags (the kwargs' and WANDB_TAGS, as wandb.init read them) plus the study's.
            run.tags = tuple(dict.fromkeys((*(run.tags or ()), study.study_name)))
            self._log_curve(run, trial)
            run.finish()
        else:
            run.config.update(attributes, allow_val_change=True)

    def track_in_wandb(self) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        """A decorator for the objective: with ``as_multirun=True`` the trial's run is started
        before the objective runs, with the callback's ``wandb_kwargs``, so what it logs
        (``wandb.log``) lands in the run the callback completes after the trial. Otherwise
        the study's run is already current and takes the objective's logs."""

        def decorator(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
            @functools.wraps(func)
            def wrapper(trial: Any) -> Any:
                if not self._wandb.run:
                    self._trial_run(trial.number)
                return func(trial)

            return wrapper

        return decorator

    def _initialize_run(self) -> Any:
        """``wandb.init`` with the callback's kwargs, refused as Optuna's is when it returns
        no real run (W&B's stand-ins would take the logs silently)."""
        run = self._wandb.init(**self._wandb_kwargs)
        if not isinstance(run, self._wandb.sdk.wandb_run.Run):
            raise RuntimeError(f"Cannot create a Run. Expected wandb.sdk.wandb_run.Run as a return. Got: {type(run)}.")
        return run

    def _trial_run(self, number: int) -> Any:
        """A new run for trial ``number``, named ``trial/N/<W&B's name>`` as Optuna names it
        (``trial/N`` offline, where W&B gives no name)."""
        run = self._initialize_run()
        run.name = f"trial/{number}/{run.name}" if run.name else f"trial/{number}"
        return run

    def _log_curve(self, run: Any, trial: FrozenTrial) -> None:
        """The intermediate values as rows after the trial's row, each with its reported
        step as the x-axis W&B charts the curve over. Rows are given explicit steps past the
        run's current one, so the first does not merge into the trial's (still open) row."""
        curve = learning_curve(trial)
        if not curve:
            return
        key = curve_key(self._metric_name)
        x_axis = f"{key}_step"
        run.define_metric(x_axis)
        run.define_metric(key, step_metric=x_axis)
        first = run.step + 1
        for i, (step, value) in enumerate(curve):
            run.log({x_axis: step, key: value}, step=first + i)
