"""benchmarks/few_trials.py: its summaries on constructed runs, and one short real run of
the same objective under nntune and Optuna."""

from __future__ import annotations

import math
from types import ModuleType

import pytest
from _benchmarks import load_benchmark


def load() -> ModuleType:
    return load_benchmark("few_trials.py", "few_trials_bench")


def test_best_time_to_target_and_the_reference_target() -> None:
    bench = load()
    run = bench.Run("nntune-robust", 0, done=[(5.0, 0.80, 0.79), (9.0, 0.85, 0.84), (20.0, 0.90, 0.88)])
    assert run.best(10.0) == (9.0, 0.85, 0.84)
    assert run.best(30.0) == (20.0, 0.90, 0.88)
    assert run.best(1.0) is None
    assert run.time_to(0.85, 30.0) == 9.0 and math.isinf(run.time_to(0.95, 30.0))
    refs = [bench.Run(bench.REFERENCE, s, done=[(10.0, v, v)]) for s, v in enumerate([0.8, 0.9])]
    assert bench.target_of(refs, 30.0) == 0.8  # of two, the worse middle one
    assert bench.target_of([*refs, bench.Run(bench.REFERENCE, 2)], 30.0) == 0.8


def test_report_prints_the_table_and_the_goal(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load()
    import few_trials_tasks as ft

    task = ft.Task("toy", 3, 30.0, ft.TASKS["mnist_cnn"].make, ft.TASKS["mnist_cnn"].load)
    runs = {bench.REFERENCE: [bench.Run(bench.REFERENCE, s, done=[(20.0, 0.9, 0.9)], started=4, pruned=2)
                              for s in range(5)],
            "nntune-robust": [bench.Run("nntune-robust", s, done=[(8.0, 0.9, 0.91)], started=5, pruned=4)
                              for s in range(5)]}
    out = bench.report(task, runs, 30.0)
    text = capsys.readouterr().out
    assert "goal met" in text and "at most half in 5/5" in text
    assert out["rows"]["nntune-robust"]["ratio"] == pytest.approx(0.4)
    assert out["rows"][bench.REFERENCE]["stopped"] == pytest.approx(0.5)


def test_a_seed_where_neither_reaches_the_target_is_not_counted_as_half(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load()
    import few_trials_tasks as ft

    task = ft.Task("toy", 3, 30.0, ft.TASKS["mnist_cnn"].make, ft.TASKS["mnist_cnn"].load)
    ref = [bench.Run(bench.REFERENCE, s, done=[(20.0, v, v)]) for s, v in enumerate([0.9, 0.9, 0.5])]
    ours = [bench.Run("nntune-robust", s, done=[(8.0, v, v)]) for s, v in enumerate([0.9, 0.5, 0.5])]
    bench.report(task, {bench.REFERENCE: ref, "nntune-robust": ours}, 30.0)
    assert "at most half in 1/3" in capsys.readouterr().out


def test_a_2jobs_method_is_its_study_under_two_threads() -> None:
    bench = load()
    assert bench.split_jobs("nntune-default-2jobs") == ("nntune-default", 2)
    assert bench.split_jobs("optuna-tpe-hyperband-2jobs") == ("optuna-tpe-hyperband", 2)
    assert bench.split_jobs("optuna-tpe-hyperband") == ("optuna-tpe-hyperband", 1)
    assert all(bench.split_jobs(m)[0] in bench.METHODS for m in bench.METHODS)


@pytest.mark.slow
def test_one_objective_runs_unchanged_under_nntune_and_optuna() -> None:
    bench = load()
    import few_trials_tasks as ft
    import torch

    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(96, 1, 28, 28, generator=g), torch.randint(0, 10, (96,), generator=g)
    data = ft.Data(x[:48], y[:48], x[48:72], y[48:72], x[72:], y[72:])
    task = ft.Task("tiny", 2, 3.0, ft.objective_for(ft.bn_mlp, 2), lambda: data)
    ft.warm_up()
    for method in ("nntune-robust", "optuna-tpe-hyperband", "nntune-default-2jobs", "optuna-tpe-hyperband-2jobs"):
        # Dozens of these tiny trials start within half a second: a second (half of it with two
        # jobs) still starts far more than the two the assertions need, on a loaded machine too.
        run = bench.run_method(method, task, data, 0, 0.5 if method.endswith("2jobs") else 1.0)
        assert run.started >= 2 and run.done and len(run.done) + run.pruned == run.started, method
        assert all(0.0 <= v <= 1.0 and test is not None for _, v, test in run.done)
        assert all(len(c) == 2 for c in run.curves)


def test_the_threads_benchmark_times_each_way_and_leaves_the_environment_as_it_was() -> None:
    load()  # puts benchmarks/ on the path
    import os

    import few_trials_threads as ftt
    import torch

    import nntune

    saved = torch.get_num_threads()

    def objective(trial: nntune.Trial) -> float:
        width = trial.suggest_int("hidden", 32, 256)
        return torch.nn.Linear(16, width)(torch.rand(8, 16)).sum().item()

    for way in ftt.WAYS:
        rate, cpu = ftt.run_way(way, objective, 2, 2)
        assert rate > 0 and cpu >= 0, way
        assert "NNTUNE_THREADS" not in os.environ
    torch.set_num_threads(saved)
