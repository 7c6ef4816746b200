"""Changing a study's trials while they train, the Panda's levers: new hyperparameters from
the next epoch boundary, a stop after the current epoch, a fork from a checkpoint, and the
record of every change. Each writes to storage only (the training process takes the change
at its next epoch boundary), so another process or a dashboard can call them.

:class:`StudyControl` is the part of :class:`~nntune._study.Study` that does this.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

from nntune.exceptions import ConfigError
from nntune.storage import ParamChange, Storage


def _trial_number(number: Any) -> int:
    """A trial named by its number: a whole number (NumPy's too); a string read from a file
    or a command line would otherwise fail deep in storage with a comparison error."""
    if isinstance(number, bool) or not isinstance(number, numbers.Integral):
        raise ConfigError("trial", f"must be a trial number (an integer), got {type(number).__name__} {number!r}")
    return int(number)


class StudyControl:
    """Change hyperparameters of a trial in training, stop it, or fork it."""

    # Set by Study.__init__.
    study_name: str
    storage: Storage
    id: int

    def set_trial_params(self, number: int, params: Mapping[str, Any]) -> list[ParamChange]:
        """Change hyperparameters of a waiting or running trial from its next epoch boundary
        (lr and its schedule, momentum, betas, eps, weight_decay, l1, dropout, grad_clip,
        epochs, early stopping); structural ones and values outside the trial's declared
        range raise ConfigError and write nothing. The trial's params stay those it started
        with; the changes are kept beside them (:meth:`param_changes`)."""
        from nntune.control import set_trial_params

        return set_trial_params(self.storage, self.id, self.study_name, _trial_number(number), params)

    def stop_trial(self, number: int) -> ParamChange:
        """End a running trial after its current epoch, as pruned by the user; a waiting one
        ends now, before its first epoch (the returned stop is then already taken)."""
        from nntune.control import stop_trial

        return stop_trial(self.storage, self.id, self.study_name, _trial_number(number))

    def fork_trial(self, number: int, epoch: int, params: Mapping[str, Any] | None = None) -> int:
        """Queue a new trial that starts from trial ``number``'s checkpoint at ``epoch`` with
        ``params`` changed; returns its number. The built-in objective (``nntune babysit``)
        resumes the checkpoint; a define-by-run objective reads the lineage from the trial's
        system attributes ``parent`` and ``parent_step``. A study of the built-in trainer
        forks only where ``nntune babysit`` kept that epoch's checkpoint: ``nntune tune``
        keeps none, and would train the fork from scratch under its parent's name."""
        from nntune.control import fork_trial, runs_builtin_trainer

        number = _trial_number(number)
        rec = self.storage.load_study(self.study_name)
        if rec is not None and runs_builtin_trainer(rec.attrs):
            from nntune.panda import babysit_config, queue_fork

            return queue_fork(self, babysit_config(rec), number, epoch, params)  # type: ignore[arg-type]
        return fork_trial(self.storage, self.id, self.study_name, number, epoch, params)

    def param_changes(self, number: int | None = None) -> list[ParamChange]:
        """Every change of one trial (or of all), pending and applied, oldest first."""
        return self.storage.get_param_changes(self.id, None if number is None else _trial_number(number))
