"""``run_pbt`` marks its fresh members as founders, as ``nntune tune`` does, so a study of
its own reads as a population before any member copied another."""

from __future__ import annotations

import nntune
from nntune.report.study_data import is_pbt_study, lineage_data
from nntune.schedulers import PBT, Proposal, run_pbt


def objective_factory(proposal: Proposal | None):
    def objective(trial: nntune.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        for epoch in range(1, 3):  # stops at 2, before ready_epochs: nothing is copied yet
            trial.report(lr * epoch, epoch)
        return lr
    return objective


def test_fresh_members_are_founders_and_the_study_reads_as_pbt_before_any_copy() -> None:
    study = nntune.create_study(pruner=PBT(population=3, ready_epochs=4, seed=0), seed=1)
    study.enqueue_trial({"lr": 0.1}, user_attrs={"pbt_founder": True})  # marked already: kept once
    run_pbt(study, objective_factory, n_trials=3)
    trials = study.trials
    assert len(trials) == 3 and all(t.user_attrs.get("pbt_founder") is True for t in trials)
    assert not any("pbt_parent" in t.user_attrs for t in trials)
    assert is_pbt_study(trials)
    assert lineage_data(trials)["pbt"] is True
