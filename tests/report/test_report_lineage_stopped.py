"""The lineage section of a PBT study names the members stopped before any trial started
from them: no line leaves them, and those that continued no trial either are not drawn, so
without a word the lineage read as the whole population."""

from __future__ import annotations

import re

import nntune
from nntune.report import render_html
from nntune.report.data import build_report_data
from nntune.schedulers import PBT, Proposal, run_pbt
from nntune.storage import InMemoryStorage
from nntune.trial import TrialState

EPOCHS = 6


def objective_factory(saved: dict[tuple[int, int], float]):
    """A member whose loss shrinks fastest at lr 0.1, saved each epoch for its replacements."""
    def make(proposal: Proposal | None):
        def trainable(trial: nntune.Trial) -> float:
            lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
            start, loss = (0, 1.0) if proposal is None else (proposal.parent_step, saved[proposal.parent,
                                                                                          proposal.parent_step])
            for epoch in range(start + 1, EPOCHS + 1):
                loss *= 1 - 0.3 * 10 ** (-abs(lr - 0.1))
                saved[trial.number, epoch] = loss
                trial.report(loss, epoch)
                if trial.should_prune():
                    raise nntune.TrialPruned()
            return loss
        return trainable
    return make


def lineage_text(page: str) -> str:
    found = re.search(r'<section id="lineage">(.*?)(<div|</section>)', page, re.S)
    assert found is not None
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_a_pbt_study_names_its_stopped_members_that_are_not_drawn(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    study = nntune.create_study(storage=url, study_name="pbt", seed=1,
                                pruner=PBT(population=4, ready_epochs=2, seed=0, max_resource=EPOCHS))
    for lr in (0.1, 0.05, 1e-4, 2e-4):  # the poor ones meet the good ones at step 2 and stop
        study.enqueue_trial({"lr": lr})
    run_pbt(study, objective_factory({}), n_trials=12)
    trials = study.trials
    parents = {t.user_attrs["pbt_parent"] for t in trials if "pbt_parent" in t.user_attrs}
    stopped = [t.number for t in trials if t.state == TrialState.PRUNED and t.number not in parents]
    assert stopped and parents
    data = build_report_data(url, "pbt")
    assert data["lineage"]["stopped"] == stopped
    drawn = {n["number"] for n in data["lineage"]["nodes"]}
    assert not drawn & set(stopped)  # founders stopped at their first ready step: in no node
    text = lineage_text(render_html(data))
    listed = ", ".join(map(str, stopped[:-1])) + f" and {stopped[-1]}" if len(stopped) > 1 else str(stopped[0])
    assert f"{len(stopped)} members were stopped before any trial started from them (trials {listed})" in text
    assert "they continued no other trial either, so they are not drawn." in text


def pbt_storage(children_stopped: bool) -> InMemoryStorage:
    """Trial 0 a good founder, 1 and 2 founders stopped at step 2; trials 3 and 4 copies of 0,
    trial 3 stopped itself when ``children_stopped``."""
    storage = InMemoryStorage()
    sid = storage.create_study("s", "maximize")
    for n in range(5):
        number = storage.create_trial(sid)
        if n >= 3:
            storage.set_trial_user_attr(sid, number, "pbt_parent", 0)
            storage.set_trial_user_attr(sid, number, "pbt_parent_step", 2)
        stop = n in (1, 2) or (n == 3 and children_stopped)
        storage.report(sid, number, 2 if stop else 4, float(n))
        storage.finish_trial(sid, number, TrialState.PRUNED if stop else TrialState.COMPLETE, float(n))
    return storage


def test_a_stopped_copy_is_drawn_and_only_the_others_are_said_to_be_left_out():
    data = build_report_data(pbt_storage(children_stopped=True), "s")
    assert data["lineage"]["stopped"] == [1, 2, 3]
    text = lineage_text(render_html(data))
    assert "3 members were stopped before any trial started from them (trials 1, 2 and 3)" in text
    assert "so no line leaves them; the 2 that continued no other trial either are not drawn." in text


def test_no_stopped_member_no_sentence():
    storage = InMemoryStorage()
    sid = storage.create_study("s", "maximize")
    for n in range(2):
        number = storage.create_trial(sid)
        if n:
            storage.set_trial_user_attr(sid, number, "pbt_parent", 0)
            storage.set_trial_user_attr(sid, number, "pbt_parent_step", 2)
        storage.finish_trial(sid, number, TrialState.COMPLETE, float(n))
    data = build_report_data(storage, "s")
    assert data["lineage"]["stopped"] == []
    assert "stopped" not in lineage_text(render_html(data))


def test_before_any_exploit_the_stopped_members_are_named_too():
    storage = InMemoryStorage()
    sid = storage.create_study("s", "maximize")
    for n in range(3):  # founders as nntune tune starts them; 1 and 2 stopped at their first ready step
        number = storage.create_trial(sid)
        storage.set_trial_user_attr(sid, number, "pbt_founder", True)
        storage.report(sid, number, 2, float(n))
        storage.finish_trial(sid, number, TrialState.PRUNED if n else TrialState.COMPLETE, float(n))
    data = build_report_data(storage, "s")
    assert data["lineage"]["nodes"] == [] and data["lineage"]["stopped"] == [1, 2]
    text = lineage_text(render_html(data))
    assert "each exploit adds a line here. 2 members were stopped before any trial started from them " \
           "(trials 1 and 2)" in text and text.endswith("so they are not drawn.")


def test_a_forked_study_without_pbt_has_no_stopped_members(tmp_path):
    storage = InMemoryStorage()
    sid = storage.create_study("s", "minimize")
    for n in range(3):
        number = storage.create_trial(sid)
        if n == 2:  # a fork of trial 0 at epoch 1; trial 1 pruned by a scheduler, no member of any population
            storage.set_trial_system_attr(sid, number, "parent", 0)
            storage.set_trial_system_attr(sid, number, "parent_step", 1)
        storage.report(sid, number, 1, float(n))
        storage.finish_trial(sid, number, TrialState.PRUNED if n == 1 else TrialState.COMPLETE, float(n))
    data = build_report_data(storage, "s")
    assert data["lineage"]["n_children"] == 1 and data["lineage"]["stopped"] == []
    assert "stopped" not in lineage_text(render_html(data))
