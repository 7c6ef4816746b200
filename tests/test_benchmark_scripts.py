"""Every benchmark script starts and says how it is run, and the main paths of the scripts
with no test of their own run for real at their smallest size (all but ``shared_machine.py``
and ``few_trials_record.py``, whose smallest runs take half a minute and more): a script that
calls a function an edit has since removed fails here, not on the next measurement."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from _benchmarks import BENCHMARKS, load_benchmark

SCRIPTS = sorted(BENCHMARKS.glob("*.py"))


def sane(measured: float) -> bool:
    """A time, a rate or a count of operations as a measurement can give it."""
    return math.isfinite(measured) and measured > 0


@pytest.fixture
def threads_put_back() -> Iterator[None]:
    """The scripts fix ``NNTUNE_THREADS`` for their runs (torch's own count is put back by
    conftest): later tests in this process must see the environment they started with."""
    before = os.environ.get("NNTUNE_THREADS")
    yield
    if before is None:
        os.environ.pop("NNTUNE_THREADS", None)
    else:
        os.environ["NNTUNE_THREADS"] = before


# Every script's ``--help`` in one fresh interpreter, as ``python script.py --help`` runs it
# (``__main__``, its own argv[0]): one start-up of torch for all of them, not one each.
HELP_ALL = r"""
import contextlib, io, json, runpy, sys, traceback
results = {}
for path in sys.argv[1:]:
    sys.argv = [path, "--help"]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else str(stop.code))
    except BaseException:
        code = traceback.format_exc()[-2000:]
    results[path] = [code, out.getvalue()[:500]]
sys.stdout.write("\n" + json.dumps(results) + "\n")
"""


@pytest.fixture(scope="module")
def usages() -> dict[str, list]:
    done = subprocess.run([sys.executable, "-c", HELP_ALL, *map(str, SCRIPTS)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_every_script_starts_and_prints_its_usage(script: Path, usages: dict[str, list]) -> None:
    code, out = usages[str(script)]
    assert code == 0, code
    assert out.startswith(f"usage: {script.name}"), out


def test_the_scripts_are_found() -> None:
    assert {"stacked.py", "stack_kernels.py", "time_to_target.py"} <= {s.name for s in SCRIPTS}


def stack_kernels() -> ModuleType:
    return load_benchmark("stack_kernels.py", "stack_kernels_bench")


def test_stack_kernels_times_every_dense_and_conv_kernel() -> None:
    bench = stack_kernels()
    dense = bench.dense(2)
    conv = bench.conv(2, c_in=1, c_out=8, size=28)
    assert list(dense) == ["loop", "baddbmm", "vmap"] and all(sane(ms) for ms in dense.values())
    assert list(conv) == ["loop", "grouped", "grouped channels-last", "vmap", "unfold+baddbmm"]
    assert all(sane(ms) for ms in conv.values())


@pytest.mark.slow
def test_stack_kernels_cnn_step_profiles_solo_and_stacked_epochs(capsys) -> None:
    bench = stack_kernels()
    columns = bench.cnn_step(2, epochs=1, train_size=256)
    assert list(columns) == ["solo fit", "stacked, heap not kept", "stacked"]
    groups = {g for g, _ in bench.OP_GROUPS} | {"other"}
    for name, ops in columns.items():
        assert set(ops) <= groups and all(math.isfinite(ms) and ms >= 0 for ms in ops.values()), name
        assert ops["conv forward"] > 0 and ops["conv backward"] > 0, name
    out = capsys.readouterr().out
    assert "K=2 CNN on mnist_5k, CPU ms per member and epoch" in out and "total, median" in out


def test_stack_kernels_mlp_step_times_each_phase_and_op_group(capsys) -> None:
    bench = stack_kernels()
    phases, by_op = bench.mlp_step(2, epochs=1)
    assert list(phases) == ["batch gather", "forward", "loss", "backward", "optimizer", "train predictions"]
    assert all(sane(us) for us in phases.values())
    assert list(by_op) == [g for g, _ in bench.MLP_GROUPS] + ["other", "Python and the rest"]
    assert all(math.isfinite(ms) and ms >= 0 for ms in by_op.values()) and by_op["dense matmuls"] > 0
    out = capsys.readouterr().out
    assert "K=2 MLP 2x128 on digits" in out and "CPU ms per epoch by op" in out


def stack_kernels_cuda() -> ModuleType:
    # The name stack_kernels.py imports it by: one module, not two.
    return load_benchmark("stack_kernels_cuda.py", "stack_kernels_cuda")


SMALLEST = ["--device", "cpu", "--k", "2", "--train-size", "128", "--warmup", "0", "--repeats", "1", "--steps", "1"]


def test_stack_kernels_gpu_comparison_runs_on_the_cpu(capsys) -> None:
    """The GPU comparison's code, on the CPU where its CUDA flags change nothing: every
    step variant and kernel form timed, the profile, the tables and the JSON summary."""
    bench = stack_kernels_cuda()
    out = bench.main([*SMALLEST, "--cudnn-benchmark", "off"])
    assert set(out) == {"device", "torch", "solo_ms", "2"} and sane(out["solo_ms"])
    entry = out["2"]
    assert entry["today"]["convolutions"] == "nchw" and entry["today"]["precision"] == "tf32"  # CUDA's default
    for prec in ("tf32", "bf16"):  # the fastest form Stack itself takes, as stacked.py's flags name it
        assert entry[f"stack_{prec}"]["conv_layout"] in ("nchw", "channels_last")
        assert entry[f"stack_{prec}"]["cudnn_benchmark"] is False and sane(entry[f"stack_{prec}"]["ms"])
    assert entry["fastest"]["ms"] <= min(entry["today"]["ms"], entry["fastest_tf32"]["ms"])
    assert entry["fastest_tf32"]["precision"] == "tf32" and entry["gain"] >= entry["gain_tf32"] >= 1.0
    assert all(sane(entry[key]) for key in ("speedup_today", "speedup_fastest", "speedup_fastest_tf32"))
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[-1]) == out
    table = lines[lines.index(next(line for line in lines if line.startswith("K=2 stacked CNN training step"))) + 2:]
    assert [tuple(row.split()[:3]) for row in table[:len(bench.VARIANTS)]] == [
        (form, precision, "off") for form, precision in bench.VARIANTS]
    for case, *_ in bench.CONVS:
        at = lines.index(f"K=2 {case}, batch 64: ms per forward+backward")
        rows = lines[at + 3:at + 3 + len(bench.FORMS)]
        assert [row[:24].strip() for row in rows] == list(bench.FORMS)
        assert all(sane(float(ms)) for row in rows for ms in row[24:].split())
    assert any(line.startswith("profile of K=2 ") for line in lines)


def test_a_child_past_its_deadline_is_stopped(capsys) -> None:
    records = stack_kernels_cuda().child_records([*SMALLEST, "--cudnn-benchmark", "on"], timeout=1.0)
    assert records == []  # torch alone takes longer than that to import
    assert "ended with exit -9 (stopped after 1 s); 0 records kept" in capsys.readouterr().out


@pytest.mark.slow
def test_stack_kernels_compare_runs_benchmark_mode_in_a_child_process(capsys) -> None:
    stack_kernels().main(["--compare", *SMALLEST, "--no-profile"])
    lines = capsys.readouterr().out.splitlines()
    bench = stack_kernels_cuda()
    rows = [row for row in map(str.split, lines) if len(row) >= 7 and row[2] in ("off", "on")]
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (form, precision, mode) for mode in ("off", "on") for form, precision in bench.VARIANTS]
    summary = json.loads(lines[-1])
    assert summary["2"]["today"]["cudnn_benchmark"] is False and sane(summary["2"]["fastest"]["ms"])


def test_stack_shards_compares_shards_with_one_stack(capsys, threads_put_back) -> None:
    bench = load_benchmark("stack_shards.py", "stack_shards_bench")
    table = bench.compare([2], 1, 1, False)
    assert list(table) == [2] and list(table[2]) == [name for name, _, _ in bench.CONTENDERS]
    assert all(sane(wall) and sane(cpu) for wall, cpu in table[2].values())
    out = capsys.readouterr().out
    assert "digits MLP 2x128, 1 epochs" in out
    assert "smallest K whose 2 shards beat one stack" in out or "shards beat one stack at none" in out


def test_cnn_layout_times_both_layouts() -> None:
    bench = load_benchmark("cnn_layout.py", "cnn_layout_bench")
    params, shape = next(iter(bench.CASES.values()))
    ms = bench.compare(lambda: bench.build_model(params, shape, 10), shape, repeats=1)
    assert list(ms) == ["nchw", "channels_last"] and all(sane(v) for v in ms.values())


def stacked() -> ModuleType:
    # Under its own name: the worker processes it spawns import its functions by that name.
    return load_benchmark("stacked.py", "stacked")


@pytest.mark.slow
def test_stacked_smallest_run_ends_with_the_json_line(capsys, threads_put_back) -> None:
    out = stacked().main(["--k", "2", "--epochs", "1", "--repeats", "1", "--threads", "1", "--no-workers"])
    assert list(out) == ["mlp", "cnn"] and all(list(s) == [2] and sane(s[2]) for s in out.values())
    lines = capsys.readouterr().out.strip().splitlines()
    assert json.loads(lines[-1]) == {name: {"k": 2, "speedup": round(s[2], 2)} for name, s in out.items()}
    assert any(line.startswith("MLP 2x128 on digits") and "1 epochs" in line for line in lines)


@pytest.mark.slow
@pytest.mark.timeout(120)  # a worker that cannot start is restarted by the pool without end
def test_stacked_times_two_worker_processes() -> None:
    bench = stacked()
    assert sane(bench.workers(bench.configs(bench.MLP, 2, 1), "digits", {}))


def test_stacked_sets_the_stacks_convolution_settings_for_its_device(capsys, threads_put_back, monkeypatch) -> None:
    from nntune.train import stack_models

    monkeypatch.setattr(stack_models, "DEFAULT_CONV_LAYOUT", dict(stack_models.DEFAULT_CONV_LAYOUT))
    monkeypatch.setattr(stack_models, "DEFAULT_CUDNN_BENCHMARK", dict(stack_models.DEFAULT_CUDNN_BENCHMARK))
    monkeypatch.setattr(stack_models, "SLICE_BYTES", stack_models.SLICE_BYTES)
    bench = stacked()
    monkeypatch.setattr(bench, "DEFAULT_CONV_LAYOUT", stack_models.DEFAULT_CONV_LAYOUT)
    monkeypatch.setattr(bench, "DEFAULT_CUDNN_BENCHMARK", stack_models.DEFAULT_CUDNN_BENCHMARK)
    out = bench.main(["--only", "cnn", "--k", "1", "--epochs", "1", "--repeats", "1", "--threads", "1",
                      "--no-workers", "--conv-layout", "nchw", "--cudnn-benchmark", "on", "--amp",
                      "--slice-bytes", "4096"])
    assert sane(out["cnn"][1])
    assert stack_models.DEFAULT_CONV_LAYOUT["cpu"] == "nchw" and stack_models.DEFAULT_CUDNN_BENCHMARK["cpu"] is True
    import torch

    from nntune.train.data import load_splits
    from nntune.train.stack import Stack
    stack = Stack(bench.CNN, load_splits("mnist_5k", train_size=64), capacity=1, device="cpu")
    assert stack.net.memory_format == torch.contiguous_format and stack.cudnn_benchmark is True  # NCHW, on
    assert stack.net.slice_bytes == 4096
    assert "stacked convolutions nchw, cudnn.benchmark on, mixed precision" in capsys.readouterr().out


def test_stack_slices_times_each_budget_against_the_whole_batch(capsys, threads_put_back) -> None:
    load_benchmark("stack_slices.py", "stack_slices_bench").main(
        ["--k", "2", "--budgets", "0.01", "--steps", "1", "--rounds", "1"])
    row = capsys.readouterr().out.strip().splitlines()[-1]
    assert row.startswith("K=2") and "whole" in row and "0.01 MB" in row


def test_stacked_refuses_epochs_below_one(capsys) -> None:
    with pytest.raises(SystemExit):
        stacked().main(["--epochs", "0"])
    assert "--epochs" in capsys.readouterr().err


def test_stack_size_times_each_size_and_ends_with_the_json_line(capsys, threads_put_back) -> None:
    from nntune.train.stack_size import pick_population

    out = load_benchmark("stack_size.py", "stack_size_bench").main(["--bound", "2", "--repeats", "1"])
    assert [[k for k, _ in t] for t in out["timings"]] == [[1, 2]]
    assert all(sane(s) for _, s in out["timings"][0])
    assert out["chosen"] == [pick_population([tuple(x) for x in out["timings"][0]])]
    lines = capsys.readouterr().out.strip().splitlines()
    assert json.loads(lines[-1]) == out and lines[0].startswith("digits on cpu, 1 CPU thread(s)")


def test_stack_phases_time_a_stacked_fit_phase_by_phase_and_put_the_methods_back(capsys, threads_put_back) -> None:
    from nntune.train.stack import Stack

    before = {name: getattr(Stack, name) for name in ("add", "train_step", "predict", "result")}
    out = load_benchmark("stack_phases.py", "stack_phases_bench").main(
        ["--model", "mlp", "--k", "1", "3", "--epochs", "2", "--train-size", "128", "--profile", "2"])
    assert {name: getattr(Stack, name) for name in before} == before
    for k in ("1", "3"):
        phases = out[k]
        assert all(sane(phases[name]) for name in ("add", "train_step", "predict", "result", "total"))
        parts = sum(phases[name] for name in ("build", "add", "train_step", "predict", "rest", "result"))
        assert parts == pytest.approx(phases["total"], abs=1e-3) and phases["rest"] >= 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert json.loads(lines[-1]) == out and lines[0].startswith("mlp on digits (128 training")
    # the profile of one more fit, by own time and with callees, before the JSON line
    titles = [i for i, line in enumerate(lines) if line.startswith("cProfile of one fit of K = 2")]
    assert len(titles) == 2 and any("train_step" in line for line in lines[titles[1]:-1])


def test_engine_overhead_times_the_bare_loop_and_fit(capsys) -> None:
    bench = load_benchmark("engine_overhead.py", "engine_overhead_bench")
    medians = bench.main(["--epochs", "1", "--repeats", "1"])
    assert list(medians) == ["bare", "bare+sklearn", "fit"]
    assert all(sane(wall) and sane(cpu) for wall, cpu in medians.values())
    out = capsys.readouterr().out
    assert "ratio fit / bare        " in out and "(goal <= 1.10)" in out


def test_journal_writes_and_reads_both_storages(capsys) -> None:
    bench = load_benchmark("journal.py", "journal_bench")
    results = bench.main(["--trials", "3", "--epochs", "2"])
    assert list(results) == ["journal", "sqlite"]
    assert all(sane(r["write_s"]) and sane(r["file_mb"]) and sane(r["first_read_s"]) for r in results.values())
    assert "| journal |" in capsys.readouterr().out


def test_thread_crossover_times_each_run_on_one_and_two_threads(capsys, threads_put_back) -> None:
    bench = load_benchmark("thread_crossover.py", "thread_crossover_bench")
    rows = bench.main(["--units", "64", "--k", "2", "--repeats", "1", "--epochs", "1"])
    assert [name for name, *_ in rows] == ["solo units 64", "stack K=2 of units 128"]
    assert all(sane(flops) and sane(t1) and sane(t2) for _, flops, t1, t2 in rows)
    assert rows[1][1] > rows[0][1]  # two members of 128 units outweigh one of 64
    assert "min t1/t2" in capsys.readouterr().out


def test_the_task_and_method_modules_list_what_they_hold(capsys) -> None:
    tasks = load_benchmark("few_trials_tasks.py", "few_trials_tasks")
    methods = load_benchmark("time_to_target_methods.py", "time_to_target_methods")
    tasks.main([])
    methods.main([])
    lines = capsys.readouterr().out.splitlines()
    named = {line.split()[0] for line in lines}
    assert named == set(tasks.TASKS) | set(methods.NNTUNE) | set(methods.OPTUNA) | {methods.RAY}


def test_threads_rates_both_libraries_on_each_thread_count(capsys) -> None:
    rates = load_benchmark("threads.py", "threads_bench").main(["--trials", "3", "--wait", "1"])
    assert list(rates) == [1, 2, 4] and all(sane(ours) and sane(theirs) for ours, theirs in rates.values())
    assert capsys.readouterr().out.startswith("threads  nntune/s  optuna/s  ratio")


def test_samplers_smallest_run_prints_regrets_and_the_comparison(capsys) -> None:
    # Under its own name: its worker processes run its functions by that name.
    bench = load_benchmark("samplers.py", "samplers")
    median = bench.main(["--seeds", "1", "--evals", "5", "--problems", "branin", "--methods", "random",
                         "optuna-random", "--workers", "1", "--no-timing"])
    assert set(median) == {("branin", "random"), ("branin", "optuna-random")}
    assert all(math.isfinite(regret) and regret >= 0 for regret in median.values())
    out = capsys.readouterr().out
    assert "Median best regret after 5 evaluations" in out and "ratio ours/opt" in out
    median = bench.main(["--seeds", "1", "--evals", "12", "--problems", "branin", "--methods", "cmaes",
                         "optuna-cmaes", "--workers", "1", "--no-timing"])
    assert set(median) == {("branin", "cmaes"), ("branin", "optuna-cmaes")}
    assert all(math.isfinite(regret) and regret >= 0 for regret in median.values())


def test_report_scale_writes_and_reads_a_small_study(tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.html"
    bench = load_benchmark("report_scale.py", "report_scale_bench")
    assert bench.main(["--trials", "3", "--epochs", "1", "--db", str(tmp_path / "study.db"), "--out", str(report)]) == 0
    assert report.stat().st_size > 0
    out = capsys.readouterr().out
    assert "study: 3 trials" in out and "write_report: " in out and "show_data: " in out


def test_dashboard_api_timings_on_a_small_study(tmp_path: Path, capsys) -> None:
    bench = load_benchmark("dashboard.py", "dashboard_bench")
    out = bench.main(["--trials", "3", "--epochs", "1", "--refreshes", "2", "--no-browser",
                      "--db", str(tmp_path / "dashboard.db")])
    assert out["trials"] == 3 and "browser" not in out
    timings = [key for key in out if key.endswith("_s")]
    assert {"cold_poll_s", "overview_s", "refresh_median_s"} <= set(timings)
    assert all(sane(out[key]) for key in timings)
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == out


@pytest.mark.slow
def test_time_to_target_timeline_short_run_marks_each_stage(capsys) -> None:
    """The timeline wraps the population executor's own methods by name: one renamed there
    leaves its mark missing here."""
    bench = load_benchmark("time_to_target_timeline.py", "time_to_target_timeline_bench")
    assert bench.main(["--seeds", "1", "--budget", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("pop-prior-pbt on digits, budget 3 s, target ") and "seed 0 (load average" in out
    for mark in ("set-up done (study, asker)", "first member asked", "first stack built", "first stack epoch ended"):
        assert f" s  {mark}\n" in out, mark
    rounds = re.search(r"rounds (\d+), .* stacks started (\d+);", out)
    assert rounds is not None and int(rounds[1]) > 0 and int(rounds[2]) > 0


@pytest.mark.slow
def test_overhead_smallest_run_sums_up_every_storage_and_sampler(capsys) -> None:
    # Under its own name: the worker processes it spawns import its objective by that name.
    load_benchmark("overhead.py", "overhead").main(["--trials", "3", "--parallel-trials", "4"])
    out = capsys.readouterr().out
    summary = out[out.index("summary: nntune per-trial overhead / Optuna's"):].splitlines()[1:]
    rows = [re.fullmatch(r"  (\S+(?: \S+)?) +(\S+)   \((\S+) (?:ms )?vs (\S+) .*\)", line) for line in summary]
    assert all(rows), summary
    assert [row[1] for row in rows] == ["memory/random", "memory/tpe", "sqlite/random", "sqlite/tpe", "2 workers"]
    assert all(sane(float(row[2])) and sane(float(row[3])) and sane(float(row[4])) for row in rows)


def test_terminator_replays_every_rule_on_a_short_search(capsys) -> None:
    summary = load_benchmark("terminator.py", "terminator_bench").main(
        ["--trials", "6", "--seeds", "1", "--samplers", "random", "--epochs", "3", "--min-trials", "3"])
    assert set(summary) == {"regret+split", "regret+curve", "emmr+median", "stagnation"}
    assert all(s["runs"] == 1 and 0 <= s["saved"] < 1 and s["loss_points"] >= 0 for s in summary.values())
    out = capsys.readouterr().out
    assert "stops after" in out and json.loads(out.strip().splitlines()[-1]) == summary


def test_executions_per_trial_times_one_stack_against_trials_of_one(capsys, threads_put_back, monkeypatch) -> None:
    bench = load_benchmark("executions_per_trial.py", "executions_bench")
    monkeypatch.setattr(sys, "argv", ["executions_per_trial.py", "--executions", "2", "--epochs", "1", "--repeats", "1"])
    bench.main()
    out = capsys.readouterr().out
    times = [float(t) for t in re.findall(r"([0-9.]+) s", out.splitlines()[-2])]
    assert len(times) == 2 and all(sane(t) for t in times)
    assert re.search(r"medians: [0-9.]+ s against [0-9.]+ s \([0-9.]+x\)", out)
