"""The callbacks ``nntune tune`` hands every executor, called as each trial ends: the
caller's ``on_trial``, ``search.patience``, the terminator and, under population-based
training, the replacer and the checkpoint sweeper. Apart so runner.py stays readable;
:mod:`nntune.runner` builds them with :func:`tune_callbacks`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nntune._words import counted
from nntune.builtin import pbt_files_keeper
from nntune.runner_build import build_terminator
from nntune.schedulers import PBT, pbt_replacer
from nntune.study import Study
from nntune.trial import FrozenTrial, best_trial

if TYPE_CHECKING:
    from nntune.runner import Prepared

Callback = Callable[[Study, FrozenTrial], None]


def tune_callbacks(p: Prepared, on_trial: Callback | None) -> list[Callback]:
    """The study callbacks of a run, in the order they are called."""
    cfg = p.cfg
    callbacks: list[Callback] = []
    if on_trial is not None:
        callbacks.append(on_trial)
    if cfg.search.patience is not None:
        callbacks.append(_patience_callback(cfg.search.patience))
    terminator = build_terminator(cfg, len(p.splits.y_val))
    if terminator is not None:
        callbacks.append(terminator)
    if isinstance(p.scheduler, PBT):
        # A member PBT stops is replaced by a perturbed copy of a better one, enqueued here
        # (in the process that watches the workers) for any worker to claim.
        callbacks.insert(0, pbt_replacer(p.scheduler, cfg.search.trials))
        # Last, the files nothing will read go: the folder holds about a population's worth.
        callbacks.append(pbt_files_keeper(p.checkpoints, p.scheduler, keep_best=cfg.search.ensemble or 1,
                                          exact_retrain=cfg.search.executor != "population"))
    return callbacks


def _patience_callback(patience: int) -> Callable[[Study, FrozenTrial], None]:
    """Stop the study after ``patience`` finished trials without a better best value."""
    def callback(study: Study, _trial: FrozenTrial) -> None:
        history = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
        best = best_trial(history, study.directions[0])
        if best is None:
            since = len(history)
        else:
            since = sum(1 for t in history if t.number > best.number)
        if since >= patience:
            study.stop(f"no improvement in the last {counted(patience, 'finished trial')} (search.patience)")
    return callback
