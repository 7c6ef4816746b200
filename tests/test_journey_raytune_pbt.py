"""Ray Tune's PBT with a checkpointing trainable, done the nntune way. ``run_pbt`` replaces
each stopped member by a perturbed copy of a better one that resumes its checkpoint; a
bare ``study.optimize`` under PBT only stops members, and says so rather than passing for
Ray's PBT."""

from __future__ import annotations

import math
import warnings

import pytest

import nntune
from nntune.schedulers import PBT, Proposal, run_pbt

EPOCHS = 6


def rate(lr: float) -> float:
    """Per-epoch shrink of a constructed loss: best at lr = 0.1."""
    return 0.3 * math.exp(-((math.log10(lr) + 1) ** 2))


def factory(checkpoints: dict[tuple[int, int], float]):
    """Ray's trainable: trains from its parent's checkpoint when it has one, saves one each epoch."""
    def objective_factory(proposal: Proposal | None):
        def trainable(trial: nntune.Trial) -> float:
            lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
            start, loss = 0, 1.0
            if proposal is not None:
                start, loss = proposal.parent_step, checkpoints[proposal.parent, proposal.parent_step]
            for epoch in range(start + 1, EPOCHS + 1):
                loss *= 1 - rate(lr)
                checkpoints[trial.number, epoch] = loss
                trial.report(loss, epoch)
                if trial.should_prune():
                    raise nntune.TrialPruned()
            return loss
        return trainable
    return objective_factory


def test_optimize_under_pbt_warns_that_no_member_is_replaced() -> None:
    study = nntune.create_study(pruner=PBT(population=4, ready_epochs=2, seed=0), seed=1)
    with pytest.warns(UserWarning, match="run_pbt"):
        study.optimize(factory({})(None), n_trials=4)
    assert not any("pbt_parent" in t.user_attrs for t in study.trials)


def test_run_pbt_resumes_replacements_from_their_parents_checkpoints_without_a_warning() -> None:
    checkpoints: dict[tuple[int, int], float] = {}
    study = nntune.create_study(pruner=PBT(population=4, ready_epochs=2, seed=0, max_resource=EPOCHS), seed=1)
    for lr in (0.1, 0.05, 1e-4, 2e-4):  # good members first: the poor ones meet them at step 2
        study.enqueue_trial({"lr": lr})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_pbt(study, factory(checkpoints), n_trials=12)
    children = [t for t in study.trials if "pbt_parent" in t.user_attrs]
    assert children
    for child in children:
        parent, step = child.user_attrs["pbt_parent"], child.user_attrs["pbt_parent_step"]
        assert min(child.intermediate_values) == step + 1  # it went on from the parent's epoch
        assert step in study.trials[parent].intermediate_values
