"""A run with early stopping resumed from any epoch's checkpoint stops at the epoch, and
returns the weights, value and best epoch, of the uninterrupted run: the checkpoint holds
early stopping's count of epochs without improvement and the best epoch's weights (a
babysat trial continued with ``babysit --resume``, or forked unchanged, trained on past
the uninterrupted run's stop and returned another epoch's model)."""

import shutil
from pathlib import Path
from typing import Any

import pytest
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


def test_a_run_started_from_another_s_weights_starts_its_own_early_stopping(digits: Splits, tmp_path: Path) -> None:
    """``resume_stopping=False`` (a PBT child under the local executors, as a stacked member
    copied by PBT's exploit): the parent's best epoch, value and weights are not the child's,
    whose count starts at the checkpoint's epoch as a fresh run's does."""
    whole = every_checkpoint(PARAMS, digits, tmp_path)
    start = whole.best_epoch + 2  # the parent's best lies before the child's first epoch
    child = fit(PARAMS, digits, seed=0, resume_from=tmp_path / f"{start}.pt", resume_stopping=False)
    assert child.best_epoch > start  # one of its own epochs, not the parent's best
    assert child.best_value == max(r["value"] for r in child.history)
    assert kept_record(child, PARAMS)[1]["epoch"] == child.best_epoch
    inherited = fit(PARAMS, digits, seed=0, resume_from=tmp_path / f"{start}.pt")
    assert inherited.best_epoch == whole.best_epoch  # the same run continued keeps it


@pytest.mark.parametrize("seed", range(3))
def test_a_pbt_child_of_the_built_in_trainer_starts_its_own_early_stopping(tmp_path: Path, seed: int) -> None:
    """Through the built-in objective: a trial proposed from a parent's snapshot (PBT) reports
    a best epoch of its own; a babysat run continued (``resume_stopping=True``) keeps its
    parent's."""
    import nntune
    from nntune.builtin import checkpoint_file, make_objective
    from nntune.config import parse_config
    from nntune.schedulers._pbt import Proposal
    from nntune.space import Space
    from nntune.builtin_task import load_task_splits

    cfg = parse_config({"study": "s", "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
                        "fixed": {k: v for k, v in PARAMS.items() if k != "model"}})
    splits = load_task_splits(cfg)
    folder = tmp_path / "runs"
    # No pruner: the children are judged by their early stopping alone (the default one
    # would stop a child whose epoch falls below the others' median there).
    study = nntune.create_study("s", "memory", direction="maximize", seed=seed, pruner=nntune.pruners.NopPruner())
    study.optimize(make_objective(cfg, Space({}), splits, checkpoints=folder, snapshot_every=1), n_trials=1)
    parent = study.trials[0]
    best = int(parent.user_attrs.get("best_epoch", max(parent.intermediate_values, key=parent.intermediate_values.get)))
    start = best + 2
    assert checkpoint_file(folder, 0, start).is_file()
    for resume_stopping in (False, True):
        proposal = Proposal(dict(parent.params), 0, start)
        objective = make_objective(cfg, Space({}), splits, checkpoints=folder, snapshot_every=1, proposal=proposal,
                                   resumed_by=None, resume_stopping=resume_stopping)
        study.optimize(objective, n_trials=1)
        child = study.trials[-1]
        own = {e: v for e, v in child.intermediate_values.items() if e > start}
        if resume_stopping:
            assert child.value == parent.value  # the run continued: its best is still the parent's epoch
        else:
            assert child.value == max(own.values())  # its own best epoch's value
