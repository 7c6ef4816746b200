"""benchmarks/few_trials_sampler_replay.py: the nearest-recording surrogate and simulated
studies on a handful of constructed recordings."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from _benchmarks import load_benchmark


def load() -> ModuleType:
    return load_benchmark("few_trials_sampler_replay.py", "few_trials_sampler_replay")


BASE = {"filters": 4, "hidden": 64, "dropout": 0.25, "lr": 1e-3, "batch_size": 32, "weight_decay": 1e-5,
        "optimizer": "adam"}


def write(path: Path, configs: list[tuple[dict[str, Any], float, float]]) -> Path:
    """One row per (changes to BASE, final value, seconds per epoch), six epochs rising to it."""
    with path.open("w") as f:
        for changes, final, secs in configs:
            values = [final - 0.1 * (6 - e) / 6 for e in range(1, 7)]
            f.write(json.dumps({"params": {**BASE, **changes}, "values": values, "cpu_s": [secs] * 6,
                                "wall_s": [secs] * 6}) + "\n")
    return path


@pytest.fixture
def rows(tmp_path: Path) -> list:
    bench = load()
    file = write(tmp_path / "curves.jsonl", [
        ({}, 0.90, 1.0),                                   # 0: filters 4
        ({"filters": 16}, 0.95, 1.0),                      # 1: filters 16
        ({"optimizer": "sgd"}, 0.80, 0.5),                 # 2: as 0 but sgd
        ({"batch_size": 256, "lr": 3e-2}, 0.85, 0.25),     # 3: far, other batch size
    ])
    return bench.load_rows(file, "cpu_s")


def test_the_nearest_recording_is_found_on_the_log_scale_and_within_the_categorical_values(rows: list) -> None:
    bench = load()
    s = bench.Surrogate(rows)
    assert s.nearest(BASE) == 0
    # filters 9 is nearer 4 than 16 on a linear scale but nearer 16 on the log scale the space uses
    assert s.nearest({**BASE, "filters": 9}) == 1
    assert s.nearest({**BASE, "filters": 7}) == 0
    # a closer configuration with another optimizer loses to a far one with the same
    assert s.nearest({**BASE, "optimizer": "sgd", "filters": 16}) == 2
    assert s.nearest({**BASE, "batch_size": 256}) == 3
    # with no recording of a categorical value, the nearest of the rest answers
    assert s.nearest({**BASE, "batch_size": 64, "filters": 15}) == 1
    assert s.curve({**BASE, "filters": 9}).final == pytest.approx(0.95)
    assert s.nearest(BASE, exclude=0) != 0
    pearson, spearman = bench.leave_one_out(rows, s)
    assert -1.0 <= pearson <= 1.0 and -1.0 <= spearman <= 1.0


def check_times(run: Any, budget: float, fastest_trial: float) -> None:
    times = [t for t, _ in run.done]
    assert times == sorted(times)
    assert all(fastest_trial - 1e-9 <= t <= budget for t in times)
    assert len(run.done) + run.stopped <= run.started


def test_simulated_studies_finish_in_order_within_the_budget(rows: list) -> None:
    bench = load()
    s = bench.Surrogate(rows)
    budget = 40.0
    nn = bench.nntune_run("defaults", 0, s, budget)
    check_times(nn, budget, 6 * 0.25)
    assert nn.done and nn.best <= 0.95
    # two workers do at most twice the epochs one worker could in the budget
    assert len(nn.done) * 6 * 0.25 <= 2 * budget
    one = bench.nntune_run("defaults, 1 worker", 0, s, budget)
    check_times(one, budget, 6 * 0.25)
    op = bench.simulate(bench.OptunaDriver(0, s, 6), budget, 1)
    check_times(op, budget, 6 * 0.25)
    target = 0.95
    assert bench.wins([nn], [op], target) == [
        math.isfinite(nn.time_to(target)) and nn.time_to(target) <= 0.5 * op.time_to(target)]


def test_optuna_missing_the_target_counts_as_a_win_only_when_nntune_reached_it() -> None:
    bench = load()
    hit, miss = bench.Run(done=[(10.0, 0.97)]), bench.Run(done=[(5.0, 0.90)])
    assert bench.wins([hit, miss, hit], [miss, miss, bench.Run(done=[(15.0, 0.97)])], 0.96) == [True, False, False]
    assert bench.wins([hit], [bench.Run(done=[(20.0, 0.97)])], 0.96) == [True]


def test_the_wide_mlp_space_matches_its_recording_and_a_file_of_another_space_is_refused(tmp_path: Path) -> None:
    bench = load()
    recorded = bench.DEFAULT_FILE.with_name("wide_mlp_curves.jsonl")
    params = [json.loads(line)["params"] for line in recorded.read_text().splitlines()[:20]]
    space = bench.SPACES["wide_mlp"]
    assert all(list(p) == list(space) for p in params)  # the objective's order of suggest_* calls
    assert all(space[n].contains(v) for p in params for n, v in p.items())
    cnn_file = write(tmp_path / "cnn.jsonl", [({}, 0.9, 1.0), ({"filters": 16}, 0.95, 1.0)])
    with pytest.raises(SystemExit):
        bench.main(["--task", "wide_mlp", "--file", str(cnn_file), "--seeds", "1", "--variants", "defaults"])


def test_a_rung_is_trusted_by_how_well_it_ranked_the_complete_trials() -> None:
    from nntune.trial import FrozenTrial, TrialState

    bench = load()

    def done(n: int, first: float, final: float) -> FrozenTrial:
        return FrozenTrial(number=n, state=TrialState.COMPLETE, value=final, intermediate_values={1: first, 6: final})

    same = [done(n, 0.1 * n, 0.5 + 0.1 * n) for n in range(5)]
    reverse = [done(n, -0.1 * n, 0.5 + 0.1 * n) for n in range(5)]
    assert bench.rung_reliability(same, 1) == pytest.approx(1.0)
    assert bench.rung_reliability(reverse, 1) == 0.0  # clipped: a rung ranking backwards earns nothing
    assert bench.rung_reliability(same[:3], 1) == 1.0  # too few complete trials: trusted
    assert bench.rung_reliability(same, 3) == 1.0  # nobody reported that step


@pytest.mark.parametrize("variant", ["TPE start-up on complete trials", "TPE without stopped, start-up on all",
                                     "TPE stopped weighed by rung"])
def test_the_stopped_trial_rules_run_a_simulated_study(rows: list, variant: str) -> None:
    bench = load()
    run = bench.nntune_run(variant, 0, bench.Surrogate(rows), 40.0)
    check_times(run, 40.0, 6 * 0.25)
    assert run.done
