"""benchmarks/time_to_target.py: its pure helpers, and its main path on the smallest setting
(digits, one nntune method and one Optuna method, one seed, a few seconds each)."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import pytest
from _benchmarks import load_benchmark as load_script


def load_benchmark() -> ModuleType:
    return load_script("time_to_target.py", "time_to_target_bench")


def done(t: float, value: float):
    tm = load_benchmark().tm
    return tm.Done(time=t, value=value, params={}, seed=0)


def test_time_to_target_counts_only_trials_within_the_budget() -> None:
    tm = load_benchmark().tm
    trials = [done(1.0, 0.90), done(2.5, 0.97), done(4.0, 0.99)]
    assert tm.time_to_target(trials, 0.95, 10.0, "maximize") == 2.5
    assert tm.time_to_target(trials, 0.99, 3.0, "maximize") == math.inf  # finished after the budget
    assert tm.time_to_target(trials, 0.90, 10.0, "minimize") == 1.0
    assert tm.best_within(trials, 3.0, "maximize").value == 0.97
    assert tm.best_within(trials, 0.5, "maximize") is None


def test_a_kept_model_outlives_the_executors_own_file(tmp_path: Path) -> None:
    """The population executor deletes an earlier best's model file once another member
    beats it; the race's second name for it stays, with the same bytes."""
    tm = load_benchmark().tm
    own = tmp_path / "checkpoints" / "trial-7.pt"
    own.parent.mkdir()
    own.write_bytes(b"weights of trial 7")
    kept = tm.keep_checkpoint(str(own), str(tmp_path))
    assert kept is not None and Path(kept) != own
    own.unlink()
    assert Path(kept).read_bytes() == b"weights of trial 7"
    assert tm.keep_checkpoint(None, str(tmp_path)) is None
    assert tm.keep_checkpoint(str(own), str(tmp_path)) == str(own)  # gone already: nothing to keep


def test_the_target_of_an_even_number_of_runs_is_reached_by_most_of_them() -> None:
    bench = load_benchmark()
    runs = [bench.tm.Run("optuna-tpe-hyperband", s, [done(1.0, v)], 1, 0, 5.0) for s, v in enumerate((0.9, 0.8))]
    assert bench.target_of(runs, 5.0, "maximize") == 0.8
    assert bench.target_of(runs, 5.0, "minimize") == 0.9
    assert bench.method_order(["a", "b", "c"], 1) == ["b", "c", "a"]


@pytest.mark.slow
def test_smallest_run_prints_a_row_per_method_with_sane_numbers(capsys) -> None:
    bench = load_benchmark()
    budget = 3.0  # the reference's first trial ends in under a second; 2 s left nntune's none at a load of 8
    results = bench.main(["--tasks", "digits", "--methods", "random-asha", "optuna-tpe-hyperband",
                          "--seeds", "1", "--budget", str(budget), "--quiet"])
    out = capsys.readouterr().out
    rows = {r.method: r for r in results["digits"]}
    assert list(rows) == ["random-asha", "optuna-tpe-hyperband"]
    for row in rows.values():
        assert row.seeds == 1 and row.started >= 1 and 0 <= row.pruned <= row.started
        assert row.best is not None and 0 < row.best <= 1 and row.test is not None and 0 < row.test <= 1
    reference = rows["optuna-tpe-hyperband"]
    assert reference.reached == 1 and 0 < reference.time <= budget and reference.ratio == 1.0
    ours = rows["random-asha"]
    assert (ours.reached == 1) == math.isfinite(ours.time) and ours.ratio == pytest.approx(ours.time / reference.time)
    assert "Task digits: target validation accuracy >= " in out
    table_lines = [line for line in out.splitlines() if line.startswith(("nntune random+ASHA ", "Optuna TPE+Hyperband "))]
    assert len(table_lines) == 2
    assert "nntune best: nntune random+ASHA, time ratio " in out and "(goal <= 0.5)" in out


def test_a_run_without_a_complete_trial_counts_as_the_worst_in_medians() -> None:
    bench = load_benchmark()
    assert bench.median_worst_missing([None, 0.9, 0.8], "maximize") == 0.8
    assert bench.median_worst_missing([None, None, 0.8], "maximize") is None
    assert bench.median_worst_missing([None, 0.2, 0.3], "minimize") == 0.3


def test_every_method_has_a_label_and_a_runner() -> None:
    bench = load_benchmark()
    assert set(bench.LABELS) == set(bench.tm.RUNNERS) | {bench.tm.RAY}
    assert set(bench.METHODS) == set(bench.LABELS) - {"random-asha-2w"}  # that one is for --throughput


def test_the_population_goal_needs_every_seed_and_the_test_accuracy() -> None:
    bench = load_benchmark()

    def row(method: str, ratio: float, reached: int, accuracy: float):
        return bench.Row(method, ratio, reached, 5, ratio, 0.97, accuracy, accuracy, 100, 80, "")

    runs = {m: [bench.tm.Run(m, s, [], 1, 0, 1.0, idle_share=0.25 * s) for s in range(3)]
            for m in ("pop-random-asha", "optuna-tpe-hyperband")}
    ref = row("optuna-tpe-hyperband", 1.0, 5, 0.96)
    line = bench.population_verdict([row("pop-random-asha", 0.1, 5, 0.97), ref], runs, "maximize")
    assert "time ratio 0.10 (goal <= 0.15)" in line and "goal met" in line and "random+ASHA, population 25.0%" in line
    assert "goal not met" in bench.population_verdict([row("pop-random-asha", 0.1, 4, 0.97), ref], runs, "maximize")
    assert "goal not met" in bench.population_verdict([row("pop-random-asha", 0.2, 5, 0.97), ref], runs, "maximize")
    assert "goal not met" in bench.population_verdict([row("pop-random-asha", 0.1, 5, 0.95), ref], runs, "maximize")
    assert bench.population_verdict([ref], runs, "maximize") is None


def test_optunas_enqueued_defaults_are_nntunes_prior_baseline_under_its_names() -> None:
    optuna = pytest.importorskip("optuna")
    tm = load_benchmark().tm
    task = tm.make_task("digits", 3, 1.0)
    cfg = tm.task_config(task, "defaults")
    space = cfg.build_space()
    priors = tm.default_priors(cfg, space)
    assert priors == {"lr": 1e-3, "optimizer": "adam", "momentum": 0.9, "batch_size": 64, "units": 128, "layers": 2,
                      "lr_schedule": "constant"}
    study = optuna.create_study()
    study.enqueue_trial(tm.optuna_params(priors, space))
    trial = study.ask()
    # Momentum's prior is given but not drawn: it is active only for the momentum optimizer.
    assert tm.suggest_optuna(trial, space) == pytest.approx({k: v for k, v in priors.items() if k != "momentum"})


def test_the_table_shows_test_accuracy_beside_another_classification_metric() -> None:
    bench = load_benchmark()

    def row(method: str, test: float, accuracy: float):
        return bench.Row(method, 0.3, 3, 3, 0.5, 1.0, test, accuracy, 100, 80, "")

    rows = [row("tpe-asha", 0.9524, 0.9649), row("optuna-tpe-hyperband", 1.0, 0.3684)]
    lines = bench.table(rows, "recall").splitlines()
    assert "test accuracy" in lines[0]
    assert "0.3684" in lines[3] and "0.9649" in lines[2]
    assert "test accuracy" not in bench.table(rows, "accuracy")
    line = bench.verdict(rows, "maximize", "recall")
    assert "test recall 0.9524 vs Optuna TPE+Hyperband 1.0000, test accuracy 0.9649 vs 0.3684" in line
    assert line.endswith("goal (time and test accuracy) met")  # ratio 0.5, accuracy higher
    slow = [bench.Row("tpe-asha", 0.6, 3, 3, 0.6, 1.0, 1.0, 0.97, 100, 80, ""), rows[1]]
    assert bench.verdict(slow, "maximize", "recall").endswith("not met")
    worse = [row("tpe-asha", 1.0, 0.30), rows[1]]
    assert bench.verdict(worse, "maximize", "recall").endswith("not met")


def test_cpu_time_is_refused_for_methods_whose_cpu_this_process_does_not_see(capsys) -> None:
    bench = load_benchmark()
    assert bench.in_this_process("pop-prior-pbt") and bench.in_this_process("optuna-tpe-hyperband")
    assert not any(bench.in_this_process(m) for m in ("tpe-asha-2w", "optuna-tpe-hyperband-2j", "ray-asha"))
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--clock", "cpu", "--tasks", "digits", "--methods", "pop-tpe-asha", "prior-pbt-2w"])
    assert exit_.value.code == 2
    assert "--clock cpu: prior-pbt-2w train in other processes" in capsys.readouterr().err
    assert bench.tm.CLOCK is not __import__("time").process_time  # nothing was changed
