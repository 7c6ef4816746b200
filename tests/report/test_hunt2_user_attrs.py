"""An objective's own user attributes named like nntune's marks (``parent``, ``rung``,
``bracket``) are the user's: no lineage section and no scheduler columns of them; PBT's
marks (``pbt_parent``) and a fork's (system ``parent``) still draw the lineage."""

from __future__ import annotations

import nntune
from nntune.report import render_html
from nntune.report.data import build_report_data
from nntune.storage import InMemoryStorage
from nntune.trial import TrialState


def test_user_attributes_named_parent_or_rung_make_no_lineage_and_no_scheduler_columns(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number:  # e.g. the architecture this one was derived from, and a ladder of the user's
            trial.set_user_attr("parent", trial.number - 1)
            trial.set_user_attr("rung", "bottom")
            trial.set_user_attr("bracket", 3)
        return x

    nntune.create_study(storage=url, study_name="p").optimize(objective, n_trials=3)
    data = build_report_data(url, "p")
    assert data["lineage"]["nodes"] == [] and not data["lineage"]["pbt"]
    assert data["trials"]["scheduler_columns"] == []
    page = render_html(data)
    assert '<section id="lineage">' not in page and "<th>rung</th>" not in page


def test_pbt_and_fork_marks_still_draw_the_lineage():
    storage = InMemoryStorage()
    sid = storage.create_study("s", "maximize")
    for n in range(4):
        number = storage.create_trial(sid)
        if n == 1:  # a PBT copy of trial 0 at epoch 2
            storage.set_trial_user_attr(sid, number, "pbt_parent", 0)
            storage.set_trial_user_attr(sid, number, "pbt_parent_step", 2)
        if n == 3:  # a fork of trial 2 at epoch 5 (a user attribute "parent" beside it is the user's)
            storage.set_trial_system_attr(sid, number, "parent", 2)
            storage.set_trial_system_attr(sid, number, "parent_step", 5)
            storage.set_trial_user_attr(sid, number, "parent", 0)
        storage.finish_trial(sid, number, TrialState.COMPLETE, float(n))
    lineage = build_report_data(storage, "s")["lineage"]
    assert {(n["number"], n["parent"], n["parent_step"]) for n in lineage["nodes"] if n["parent"] is not None} == {
        (1, 0, 2), (3, 2, 5)}
