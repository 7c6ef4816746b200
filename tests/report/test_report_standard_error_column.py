"""The trials table's ± column and its sentence appear only where a value has a standard error."""

from __future__ import annotations

from nntune.report import render_html
from nntune.report.data import build_report_data


def _trials_section(page: str) -> str:
    return page[page.index('<section id="trials">'):]


def test_an_error_metric_gets_no_column_of_dashes_nor_a_sentence_about_it(storage, make_study):
    make_study(storage, "reg", metric="mae")  # an rmse or mae has no standard error from n alone
    storage.set_study_attr(storage.load_study("reg").id, "n_val", 88)
    trials = _trials_section(render_html(build_report_data(storage, "reg")))
    assert "<th>±</th>" not in trials and "standard error" not in trials
    assert "<th>epochs</th>" in trials


def test_an_accuracy_keeps_its_standard_errors(storage, make_study):
    make_study(storage)
    storage.set_study_attr(storage.load_study("demo").id, "n_val", 40)
    trials = _trials_section(render_html(build_report_data(storage, "demo")))
    assert "<th>±</th>" in trials and "standard error on the 40 validation samples" in trials
