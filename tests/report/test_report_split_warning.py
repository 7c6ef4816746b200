"""The warning that the validation split is too small to separate the two best trials reads
the same two trials in the report as in ``nntune show``: the best complete ones."""

from __future__ import annotations

from nntune.report import render_html
from nntune.report.data import build_report_data
from nntune.show import show_data
from nntune.storage import get_storage
from nntune.trial import TrialState


def test_a_pruned_trial_between_the_two_best_does_not_hide_the_warning(tmp_path):
    url = f"sqlite:///{tmp_path / 'close.db'}"
    storage = get_storage(url)
    sid = storage.create_study("close", "maximize", {"metric": "accuracy", "n_val": 100})
    # 0.90 and 0.89 complete are within one standard error on 100 samples; a pruned 0.895 sits between.
    for value, state in ((0.90, TrialState.COMPLETE), (0.895, TrialState.PRUNED), (0.89, TrialState.COMPLETE)):
        number = storage.create_trial(sid, params={}, distributions={})
        storage.report(sid, number, 1, value, None)
        storage.finish_trial(sid, number, state, value)
    shown = show_data(url, "close")["split_warning"]
    data = build_report_data(url, "close")
    assert shown is not None and data["split_warning"] == shown
    assert shown in render_html(data)
