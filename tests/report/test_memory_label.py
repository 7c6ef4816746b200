"""What the recorded peak memory is the peak of: one trial's process, or, under the
population executor, the whole process that trained a stack, shared by its members."""

from __future__ import annotations

from rich.console import Console

from nntune.report import write_report
from nntune.report.study_data import memory_data
from nntune.show import render_show, show_data
from nntune.space import Float
from nntune.storage import InMemoryStorage, get_storage
from nntune.trial import TrialState


def build(storage, attrs):
    sid = storage.create_study("m", "maximize")
    for key, value in attrs.items():
        storage.set_study_attr(sid, key, value)
    dist = {"lr": Float(1e-5, 1.0, log=True)}
    for i, mb in enumerate((300.0, 340.0, 310.0)):
        n = storage.create_trial(sid, params={"lr": 10 ** (-3 + i * 0.5)}, distributions=dist)
        storage.set_trial_system_attr(sid, n, "peak_rss_mb", mb)
        storage.finish_trial(sid, n, TrialState.COMPLETE, 0.8 + 0.01 * i)
    storage.create_trial(sid, params={"lr": 0.1}, distributions=dist)  # running: nothing measured yet
    return sid


def test_one_trial_per_process_is_labelled_per_trial():
    store = InMemoryStorage()
    build(store, {"config": {"search": {"executor": "local"}}})
    data = show_data(store, "m")
    assert data["memory"]["scope"] == "trial" and data["memory"]["peak_rss_mb"] == 340.0
    assert data["memory"]["median_mb"] == 310.0 and data["memory"]["max_trial"] == 1
    console = Console(record=True, width=200)
    render_show(data, console)
    assert "while each trial ran: median 310 MB, largest 340 MB (trial 1)" in console.export_text()


def test_the_population_executor_peak_is_labelled_as_the_process_shared_by_its_members(tmp_path):
    for attrs in ({"config": {"search": {"executor": "population"}}}, {"population": {"trials": 3}}):
        store = get_storage(f"sqlite:///{tmp_path / 'pop.db'}")
        store.delete_study("m") if store.load_study("m") is not None else None
        build(store, attrs)
        data = show_data(store, "m")
        assert data["memory"]["scope"] == "process", attrs
        console = Console(record=True, width=200)
        render_show(data, console)
        text = console.export_text()
        assert "shared by all members of a stack, not any one trial's own" in text
        assert "each trial ran" not in text
    page = write_report(store, "m", tmp_path / "m.html").read_text()
    assert "shared by all members of a stack" in page


def test_no_measure_no_line():
    store = InMemoryStorage()
    sid = store.create_study("e", "minimize")
    n = store.create_trial(sid, params={}, distributions={})
    store.finish_trial(sid, n, TrialState.COMPLETE, 1.0)
    assert memory_data(store.get_trials(sid), {}) is None
    console = Console(record=True, width=200)
    render_show(show_data(store, "e"), console)
    assert "peak memory" not in console.export_text()
