"""A run with early stopping resumed from any epoch's checkpoint stops at the epoch, and
returns the weights, value and best epoch, of the uninterrupted run: the checkpoint holds
early stopping's count of epochs without improvement and the best epoch's weights (a
babysat trial continued with ``babysit --resume``, or forked unchanged, trained on past
the uninterrupted run's stop and returned another epoch's model)."""

import shutil
from pathlib import Path
from typing import Any

import torch

from nntune.train import fit
from nntune.train.loop import FitResult, kept_record
from nntune.train.splits import Splits

# Adam at 0.01 peaks early on digits: the run stops at epoch 11, its best epoch 7.
PARAMS = {"model": "mlp", "epochs": 40, "optimizer": "adam", "lr": 0.01, "lr_schedule": "constant",
          "early_stopping": True, "patience": 4, "batch_size": 64}


def every_checkpoint(params: dict[str, Any], digits: Splits, folder: Path, **kw: Any) -> FitResult:
    """``fit`` keeping a copy of each epoch's checkpoint as ``folder/E.pt``."""
    path = folder / "latest.pt"

    def keep(epoch: int, record: dict[str, Any]) -> bool:
        shutil.copy(path, folder / f"{epoch}.pt")
        return False

    return fit(params, digits, seed=0, checkpoint_path=path, report=keep, **kw)


def same_end(rest: FitResult, whole: FitResult) -> None:
    assert (rest.epochs, rest.best_epoch, rest.best_value) == (whole.epochs, whole.best_epoch, whole.best_value)
    assert rest.stopped_early == whole.stopped_early
    assert kept_record(rest, PARAMS)[1]["val_loss"] == kept_record(whole, PARAMS)[1]["val_loss"]
    for name, tensor in whole.model.state_dict().items():
        assert torch.equal(rest.model.state_dict()[name], tensor), name


def test_a_resume_stops_where_the_uninterrupted_run_stops(digits: Splits, tmp_path: Path) -> None:
    whole = every_checkpoint(PARAMS, digits, tmp_path)
    assert whole.stopped_early and whole.best_epoch < whole.epochs - 1  # epochs without improvement to count
    for epoch in range(1, whole.epochs):
        rest = fit(PARAMS, digits, seed=0, resume_from=tmp_path / f"{epoch}.pt")
        same_end(rest, whole)


def test_early_stopping_switched_on_while_training_resumes_as_it_was(digits: Splits, tmp_path: Path) -> None:
    """Switched on by a change after epoch 3 (the checkpoint of epoch 3 is written before the
    change is taken): a resume from there with it on counts from epoch 3, as the run did."""
    off = {**PARAMS, "early_stopping": False}

    def switch_on(epoch: int, hp: dict[str, Any]) -> dict[str, Any]:
        return {"early_stopping": True} if epoch == 3 else {}

    whole = every_checkpoint(off, digits, tmp_path, changes=switch_on)
    assert whole.stopped_early
    for epoch in range(3, whole.epochs):
        same_end(fit(PARAMS, digits, seed=0, resume_from=tmp_path / f"{epoch}.pt"), whole)
