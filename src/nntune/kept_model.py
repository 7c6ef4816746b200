"""The weights of the best trial this process trained, kept in memory for the test look.

The look at the sealed test split needs the best trial's trained model. Trials write no
weights to disk (a study of many trials would fill it), so the look retrains the best
configuration with the trial's seed, which on a CPU gives the same weights: a whole
trial's training again. When the best trial trained in this process (``nntune tune``
without workers), its model was at hand: the objective offers each finished trial's model
here, one is kept (the best so far), and the look takes it instead of retraining. On a GPU,
whose kernels are not all deterministic, it is also exactly the model the value describes.

A worker process (``--workers N``) keeps its best trial's weights in a file instead
(``folder``: the study's checkpoint folder), named in that trial's ``checkpoint`` record
as the population executor's best member is: the study's best trial is one worker's best,
so its look reads that file. Each worker holds one file at a time; the trial whose file
it replaces is retrained exactly if ever asked for (``export-model``).

A trial that is not the one kept (trained by another process, or tied with the kept one
and preferred by the study's tie rule) is retrained as before.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from nntune._files import MODEL_FILES_KEY as KEY_ATTR  # the study's attribute: the key in its files' names
from nntune._lineage import continued_from


def study_key(study: Any) -> str:
    """The random key in the names of ``study``'s kept model files, kept with the study (as
    babysit's folder key), so that a study of the same name in another storage, or one
    deleted and made again, never overwrites them in the folder they share."""
    return str(study.storage.merge_study_attr(study.id, KEY_ATTR, lambda old: old if _is_key(old) else
                                              uuid.uuid4().hex[:12]))


def kept_file(folder: Path, trial: Any, number: int | None = None) -> Path:
    """Where a kept model of trial ``number`` (``trial``'s own by default) of ``trial``'s
    study lies in ``folder``, absolute (the test look and ``export-model`` may run
    elsewhere), named with the study's key (:func:`study_key`)."""
    number = trial.number if number is None else number
    return (folder / f"trial-{number}-{study_key(trial.study)}.pt").resolve()


def _is_key(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{12}", value) is not None


def first_direction(study: Any) -> str:
    """``"maximize"`` or ``"minimize"``: the direction of ``study``'s (first) objective."""
    direction = study.directions[0]
    return str(getattr(direction, "value", direction))


def improves(value: float, kept: float | None, direction: str) -> bool:
    """Whether a model worth ``value`` replaces the one kept at ``kept`` (None: none kept),
    the one rule of every executor: a finite value better in ``direction``. A tie keeps the
    earlier trial, as the study's best trial is the first of equal values."""
    if not math.isfinite(value):
        return False
    if kept is None:
        return True
    return value > kept if direction == "maximize" else value < kept


@dataclass
class KeptModel:
    """One trial's weights on the host: the best finite value offered in ``direction``."""

    direction: str = "maximize"
    folder: Path | None = None  # where a worker writes its best trial's weights
    number: int | None = None
    value: float = math.nan
    state: dict[str, torch.Tensor] | None = None

    @classmethod
    def for_study(cls, study: Any, folder: Path | None = None) -> KeptModel:
        """Nothing kept yet, in the direction of ``study``'s (first) objective."""
        return cls(direction=first_direction(study), folder=folder)

    def offer(self, number: int, value: float, model: torch.nn.Module) -> bool:
        """Keep ``model``'s weights when ``value`` beats the kept one (a tie keeps the earlier
        trial). Returns whether they were kept."""
        if not self.beats(value):
            return False
        # Copies on the host: the trainer goes on with the device's memory, and the model
        # object itself may be reused or freed by the next trial.
        self.state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        self.number, self.value = number, float(value)
        return True

    def beats(self, value: float) -> bool:
        """Whether ``value`` would replace the kept model (:func:`improves`)."""
        return improves(value, None if self.number is None else self.value, self.direction)

    def state_of(self, number: int) -> Mapping[str, torch.Tensor] | None:
        """Trial ``number``'s weights, or None when another trial's (or none) are kept."""
        return self.state if number == self.number else None

    def write(self, trial: Any, previous: int | None) -> Path:
        """Write the kept weights (trial ``trial``'s) into :attr:`folder` and name the file in
        the trial's ``checkpoint`` record; the file of ``previous`` (the trial kept before)
        goes, its record cleared first, since a record naming a file that is gone reads as
        weights lost (a warning), where no record means an exact retrain."""
        from nntune.train.epochs import save_checkpoint

        assert self.folder is not None and self.state is not None and trial.number == self.number
        self.folder.mkdir(parents=True, exist_ok=True)
        # Keyed by the study: a study of the same name in another storage shares the folder.
        path = kept_file(self.folder, trial)
        save_checkpoint(path, {"model": self.state})  # whole or not at all, should the worker be killed
        trial.set_system_attr("checkpoint", str(path))
        if previous is not None and previous != trial.number:
            trial.study.storage.set_trial_system_attr(trial.study.id, previous, "checkpoint", None)
            kept_file(self.folder, trial, previous).unlink(missing_ok=True)
        return path


def weights_continued_from(trial: Any, kept: KeptModel | None = None) -> dict[str, int] | None:
    """The trial and epoch whose weights the model :func:`rebuild_model` gives started from:
    the trial's parent where its own weights are loaded, none where it is retrained from
    scratch (its checkpoint gone), which a file claiming the parent's weights misdescribed."""
    checkpoint = trial.system_attrs.get("checkpoint")
    own = (kept is not None and kept.state_of(trial.number) is not None) or \
        bool(checkpoint and Path(checkpoint).is_file())
    return continued_from(trial) if own else None
