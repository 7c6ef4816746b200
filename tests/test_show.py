"""``nntune show``'s data and tables: the leaderboard with each trial's diagnosis."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from rich.console import Console

import nntune
from nntune.show import render_show, show_data
from nntune.space import Float
from nntune.storage import InMemoryStorage, StudyNotFoundError, get_storage
from nntune.trial import TrialState


def record(epoch: int, train_err: float, val_err: float) -> dict[str, Any]:
    return {"epoch": epoch, "train_loss": 2 * train_err, "val_loss": 2 * val_err, "train_accuracy": 1 - train_err,
            "val_accuracy": 1 - val_err, "value": 1 - val_err, "lr": 1e-3, "layers": []}


def converging(final: float, n: int = 12) -> list[float]:
    return [final + (0.9 - final) * math.exp(-0.7 * e) for e in range(n)]


def build(storage: Any) -> None:
    """Trial 0 healthy (the best), 1 overfits (1% vs 10%), 2 diverged, 3 still running."""
    sid = storage.create_study("s", "maximize")
    dist = {"lr": Float(1e-5, 1.0, log=True)}
    for lr, train, val in ((1e-3, converging(0.01), converging(0.03)), (3e-3, converging(0.01), converging(0.10))):
        n = storage.create_trial(sid, params={"lr": lr}, distributions=dist)
        for e, (tr, va) in enumerate(zip(train, val), start=1):
            storage.report(sid, n, e, 1 - va, record(e, tr, va))
        storage.finish_trial(sid, n, TrialState.COMPLETE, 1 - val[-1])
    n = storage.create_trial(sid, params={"lr": 10.0}, distributions=dist)
    storage.set_trial_system_attr(sid, n, "diverged_epoch", 1)
    storage.finish_trial(sid, n, TrialState.DIVERGED, error="training loss is nan at epoch 1")
    storage.create_trial(sid, params={"lr": 0.1}, distributions=dist)
    storage.record_test_evaluation(sid, 0, {"accuracy": 0.97})


@pytest.fixture(params=["memory", "sqlite"])
def storage(request, tmp_path):
    return InMemoryStorage() if request.param == "memory" else get_storage(f"sqlite:///{tmp_path / 's.db'}")


def test_show_data_has_the_promised_shape(storage):
    build(storage)
    data = show_data(storage, "s")
    assert data["study"] == "s" and data["metric"] == "accuracy" and data["best"] == 0
    assert data["directions"] == [data["direction"]]
    assert data["test_evaluations"] == 1 and data["counts"]["diverged"] == 1
    rows = data["trials"]
    assert [r["number"] for r in rows] == [0, 1, 2, 3]
    for r in rows:
        assert {"number", "state", "value", "params", "epochs", "findings"} <= set(r)
    assert rows[0]["findings"] == [] and rows[0]["epochs"] == 12 and rows[0]["params"] == {"lr": 1e-3}
    assert rows[1]["findings"] == ["overfitting"] and rows[2]["findings"] == ["diverged"]
    assert rows[2]["value"] is None and rows[3]["state"] == "running" and rows[3]["findings"] == []
    assert rows[1]["diagnosis"][0]["evidence"]["val_error"] == pytest.approx(0.10, abs=0.01)
    json.dumps(data, allow_nan=False)


def test_render_show_prints_the_leaderboard_and_the_advice(storage):
    build(storage)
    console = Console(record=True, width=200)
    render_show(show_data(storage, "s"), console, top=5)
    text = console.export_text()
    assert "top 2 trials of s" in text and "overfitting" in text
    assert "dropout" in text  # the advice of the notes
    assert "1 complete" not in text and "2 complete" in text
    assert "evaluated once" in text


def test_a_missing_study_names_itself(storage):
    with pytest.raises(StudyNotFoundError, match="no study named 'nope'"):
        show_data(storage, "nope")


def test_a_missing_study_lists_the_studies_the_storage_holds(storage):
    # `nntune show --storage URL` without --study asks for the default name; the user's
    # own study is named in the answer, so the next command is one copy away.
    build(storage)
    with pytest.raises(StudyNotFoundError, match=r"it holds: s \(--study NAME\)$"):
        show_data(storage, "digits-mlp")
    with pytest.raises(StudyNotFoundError, match=r"no study named 'x' in memory: it holds no study$"):
        show_data(InMemoryStorage(), "x")


def test_show_reads_the_study_in_bulk():
    calls: list[str] = []

    class Counting(InMemoryStorage):
        def get_trials(self, *a: Any, **k: Any) -> Any:
            calls.append("get_trials")
            return super().get_trials(*a, **k)

        def get_trial(self, *a: Any, **k: Any) -> Any:
            calls.append("get_trial")
            return super().get_trial(*a, **k)

    store = Counting()
    build(store)
    show_data(store, "s")
    assert calls == ["get_trials"]


def test_standard_errors_and_priorities_in_show(storage):
    sid = storage.create_study("big", "maximize")
    storage.set_study_attr(sid, "metric", "accuracy")
    storage.set_study_attr(sid, "n_val", 50)
    dist = {"lr": Float(1e-5, 1.0, log=True), "beta2": Float(0.9, 0.999)}
    for i in range(10):
        lr = 10 ** (-4 + 0.3 * i)
        value = 0.5 + 0.04 * i  # accuracy rises with the learning rate; beta2 does nothing
        n = storage.create_trial(sid, params={"lr": lr, "beta2": 0.9 + 0.009 * ((i * 7) % 10)}, distributions=dist)
        storage.finish_trial(sid, n, TrialState.COMPLETE, value)
    data = show_data(storage, "big")
    assert data["n_val"] == 50
    best = next(r for r in data["trials"] if r["number"] == 9)
    assert best["std_error"] == pytest.approx(math.sqrt(0.86 * 0.14 / 50))
    # 0.86 vs 0.82: a gap of 0.04, below the standard error of 0.049 on 50 samples
    assert data["split_warning"] and "50 samples" in data["split_warning"]
    assert [p["name"] for p in data["priorities"]][0] == "lr"
    assert data["priorities"][0]["notes_order"].startswith("first")
    console = Console(record=True, width=200)
    render_show(data, console)
    text = console.export_text()
    assert "0.86 ± 0.049" in text and "notes' order of tuning" in text and "too small" in text
    json.dumps(data, allow_nan=False)


def test_show_repeats_the_metric_findings_kept_with_the_study(storage):
    build(storage)
    sid = storage.load_study("s").id
    storage.set_study_attr(sid, "metric_notes", ["finding (predicts_all_positive): the best model predicts class 1"])
    data = show_data(storage, "s")
    assert data["metric_notes"] == ["finding (predicts_all_positive): the best model predicts class 1"]
    console = Console(record=True, width=200)
    render_show(data, console)
    assert "finding (predicts_all_positive)" in console.export_text()


def build_two_objectives(storage: Any) -> None:
    """Accuracy (maximized) against parameters (minimized): trials 0, 1 and 2 form the
    Pareto front, 3 is dominated by 0, 5 by 0 and 3, and 4, the most accurate, breaks the
    study's constraint."""
    sid = storage.create_study("mo", "maximize")
    storage.set_study_attr(sid, "directions", ["maximize", "minimize"])
    storage.set_study_attr(sid, "metrics", ["accuracy", "params"])
    storage.set_study_attr(sid, "metric", "accuracy")
    dist = {"lr": Float(1e-5, 1.0, log=True)}
    points = [(0.90, 1000.0), (0.95, 5000.0), (0.80, 500.0), (0.85, 2000.0), (0.96, 100000.0), (0.70, 3000.0)]
    for i, (acc, size) in enumerate(points):
        n = storage.create_trial(sid, params={"lr": 10 ** (-4 + 0.5 * i)}, distributions=dist)
        storage.set_trial_system_attr(sid, n, "values", [acc, size])
        storage.set_trial_system_attr(sid, n, "constraints", [size - 50000.0])
        storage.finish_trial(sid, n, TrialState.COMPLETE, acc)


def test_several_objectives_rank_by_pareto_front_then_the_objectives_in_order(storage):
    build_two_objectives(storage)
    data = show_data(storage, "mo")
    rows = {r["number"]: r for r in data["trials"]}
    assert {n: r["pareto_rank"] for n, r in rows.items()} == {0: 1, 1: 1, 2: 1, 3: 2, 4: 4, 5: 3}
    assert rows[4]["values"] == [0.96, 100000.0] and rows[4]["feasible"] is False
    from nntune.show import ranked_rows

    # The first objective alone would give 4, 1, 0, 3, 2, 5.
    assert [r["number"] for r in ranked_rows(data)] == [1, 0, 2, 3, 5, 4]
    console = Console(record=True, width=220)
    render_show(data, console, top=4)
    text = console.export_text()
    assert "by Pareto rank (maximize accuracy, minimize params" in text
    board = text.split("by Pareto rank", 1)[1].split("└", 1)[0]
    assert "hyperparameters" in board  # not a second "params" beside the objective
    numbers = [line.split("│")[1].strip() for line in board.splitlines() if line.startswith("│") and
               line.split("│")[1].strip().isdigit()]
    assert numbers == ["1", "0", "2", "3"]
    json.dumps(data, allow_nan=False)


def test_one_objective_rows_gain_no_pareto_fields(storage):
    build(storage)
    assert all("pareto_rank" not in r and "values" not in r for r in show_data(storage, "s")["trials"])


def test_show_says_how_many_members_a_stack_held_and_why():
    from nntune.show import population_data

    assert population_data(None) is None and population_data({"rounds": 3}) is None
    timed = population_data({"capacity": 128, "member_epochs": 900, "slot_epochs": 900, "stack_epochs": 10,
                             "idle_share": 0.0, "auto": {"chosen": 128, "bound": 256, "bound_by": "device",
                                                         "rule": "timed", "gain": 0.15,
                                                         "step_seconds": [[1, 0.002], [128, 0.0031], [256, 0.0082]]}})
    assert timed["text"] == ("stacks of up to 128 members (auto: a training step of 1, 2, 4, ... members timed "
                             "(1: 2 ms, 128: 3.1 ms, 256: 8.2 ms); the largest whose time per member still fell by "
                             "15% a doubling, within 256, the most for this kind of device); on average 90.0 trained together "
                             "(900 trial epochs in 10 stack epochs)")
    assert timed["auto"]["chosen"] == 128  # the figures themselves stay beside the line
    bound = population_data({"capacity": 4, "auto": {"chosen": 4, "bound": 4, "bound_by": "device", "rule": "bound"}})
    assert bound["text"] == "stacks of up to 4 members (auto: 4, the most for this kind of device, not timed on a CPU)"
    pbt = population_data({"capacity": 2, "auto": {"chosen": 2, "bound": 2, "bound_by": "pbt", "rule": "bound"}})
    assert pbt["text"] == "stacks of up to 2 members (auto: 2, PBT's population, not timed on a CPU)"
    older = population_data({"capacity": 4, "auto": {"chosen": 4, "bound": 4, "rule": "bound"}})  # before bound_by
    assert older["text"] == "stacks of up to 4 members (auto: 4, not timed on a CPU)"
    assert population_data({"capacity": 3, "slot_epochs": 4, "idle_share": 0.25})["text"] == \
        "stacks of up to 3 members; 25.0% of the slots trained held no member"
    # Compacted stacks train no empty slot: the average says how full they were, in plain words.
    split = population_data({"capacity": 4, "member_epochs": 37, "slot_epochs": 37, "stack_epochs": 21,
                             "idle_share": 0.0}, 4)
    assert split["text"] == ("stacks of up to 4 members; on average 1.8 trained together (37 trial epochs in "
                             "21 stack epochs); each structure held for 4 trials")
    assert population_data({"capacity": 32}, 128)["text"] == "stacks of up to 32 members; each structure held for 128 trials"
    assert population_data({"capacity": 32}, "many")["text"] == "stacks of up to 32 members"  # not a stored block


def test_show_prints_the_population_line_of_a_population_study():
    from nntune.config import parse_config
    from nntune.runner import prepare, run_tune

    cfg = parse_config({"study": "pop", "storage": "memory", "task": {"data": "digits", "model": "mlp"},
                        "search": {"executor": "population", "trials": 2, "seed": 0},
                        "space": {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True}},
                        "fixed": {"epochs": 1, "layers": 1, "units": 8}})
    summary = run_tune(prepare(cfg), evaluate_test=False)
    data = show_data(summary.storage, "pop")
    console = Console(record=True, width=300)
    render_show(data, console)
    assert data["population"]["text"] in console.export_text()
    assert data["population"]["text"].startswith("stacks of up to 4 members (auto: 4, the most for this kind of device")
    assert data["population"]["text"].endswith("; each structure held for 4 trials")  # 2 trials: the smallest block
    assert show_data(summary.storage, "pop")["population"]["stack_epochs"] >= 1


def test_an_objective_that_minimizes_the_validation_loss_is_shown_as_the_loss(tmp_path):
    # A define-by-run objective reports its validation loss as the value, with the epoch's
    # record (losses and accuracies) beside it: the value is the loss, not the accuracy the
    # record also holds, and the rules read the loss as the error (an accuracy of 0.9 is
    # no "error" of 0.9).
    import nntune

    url = f"sqlite:///{tmp_path / 'loss.db'}"
    study = nntune.create_study(study_name="loss", storage=url, direction="minimize")

    def objective(trial):
        trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        for epoch, (train, val) in enumerate(zip(converging(0.05), converging(0.08)), start=1):
            trial.report(2 * val, epoch, metrics={"train_loss": 2 * train, "val_loss": 2 * val,
                                                  "train_accuracy": 1 - train, "val_accuracy": 1 - val})
        return 2 * val

    study.optimize(objective, n_trials=2)
    data = show_data(url, "loss")
    assert data["metric"] == "loss"
    assert all(not t["findings"] for t in data["trials"]), [t["findings"] for t in data["trials"]]
    out = Console(record=True, width=120)
    render_show(data, out)
    assert "minimize validation loss" in out.export_text()


def test_a_study_of_an_objective_of_its_own_claims_no_sealed_test_split(tmp_path):
    # nntune seals the test split of the studies it trains (the config's data); an objective
    # of the user's own never hands nntune its test data, so there is no split to be opened.
    import nntune

    url = f"sqlite:///{tmp_path / 'own.db'}"
    study = nntune.create_study(study_name="own", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    data = show_data(url, "own")
    assert data["sealed"] is False
    out = Console(record=True, width=160)
    render_show(data, out)
    text = out.export_text()
    assert "own has no sealed test split: its objective is its own" in text
    assert "has never been evaluated" not in text


def test_a_study_trained_by_nntune_says_how_often_its_split_was_opened(storage):
    build(storage)
    storage.set_study_attr(storage.load_study("s").id, "config", {"study": "s"})
    data = show_data(storage, "s")
    out = Console(record=True, width=160)
    render_show(data, out)
    assert data["sealed"] is True and "the test split of s has been evaluated once" in out.export_text()


def test_a_study_of_several_objectives_has_no_single_best_trial_in_json(tmp_path):
    url = f"sqlite:///{tmp_path / 'two.db'}"
    study = nntune.create_study(study_name="two", storage=url, directions=["maximize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=4)
    data = show_data(url, "two")
    assert data["best"] is None and data["front"]["rows"]  # the front, as Optuna has best_trials only
    assert data["directions"] == ["maximize", "minimize"]  # every objective's, not the first's alone


def test_show_says_why_and_in_how_many_processes_with_one_process_per_device():
    # --executor population --workers 2: each process stores its own figures (auto's choice
    # among them); the line still says why K was chosen, and that each process had its stacks.
    from nntune.executors._members import Occupancy, merge_stats
    from nntune.show import population_data

    auto = {"chosen": 4, "bound": 4, "bound_by": "device", "rule": "bound", "gain": 0.15, "step_seconds": []}
    merged = merge_stats(merge_stats(None, "cpu:0", Occupancy(4, rounds=2, member_epochs=8, slot_epochs=8, auto=auto)),
                         "cpu:1", Occupancy(4, rounds=2, member_epochs=8, slot_epochs=8, auto=auto))
    text = population_data(merged)["text"]
    assert text.startswith("stacks of up to 4 members in each of 2 processes (cpu:0, cpu:1) "
                           "(auto: 4, the most for this kind of device, not timed on a CPU)")


def test_the_leaderboard_says_where_a_scheduler_left_each_trial_as_tune_s_does():
    # A PBT member copied from another at an epoch, and a trial Hyperband stopped at a rung.
    storage = InMemoryStorage()
    sid = storage.create_study("s", "maximize")
    for value, marks in ((0.9, {}), (0.95, {"pbt_parent": 0, "pbt_parent_step": 4})):
        n = storage.create_trial(sid)
        storage.set_trial_user_attrs(sid, n, marks)
        storage.report(sid, n, 8, value)
        storage.finish_trial(sid, n, TrialState.COMPLETE, value)
    n = storage.create_trial(sid)
    storage.report(sid, n, 1, 0.5)
    storage.finish_trial(sid, n, TrialState.PRUNED, 0.5)
    storage.set_trial_system_attr(sid, n, "scheduler", {"bracket": 1, "rung": 0, "rung_step": 1})
    data = show_data(storage, "s")
    assert [r["schedule"] for r in data["trials"]] == ["", "from #0 at epoch 4", "bracket 1, rung 0 (epoch 1)"]
    console = Console(record=True, width=200)
    render_show(data, console)
    board = console.export_text().split("\n\n")[0]
    assert "schedule" in board and "from #0 at epoch 4" in board and "bracket 1, rung 0 (epoch 1)" in board


def test_the_front_has_a_test_column_for_each_objective_measured_on_a_split_not_for_a_cost():
    from nntune._show_tables import front_table

    front = {"names": ["accuracy", "params", "latency_ms"], "directions": ["maximize", "minimize", "minimize"],
             "rows": [{"number": 3, "values": [0.91, 1210, 0.05], "params": {"lr": 0.01},
                       "test": {"accuracy": 0.875, "params": 1210, "latency_ms": 0.06}}]}
    table = front_table(front, "mo")
    assert [c.header for c in table.columns] == ["trial", "accuracy", "params", "latency_ms", "test accuracy",
                                                 "hyperparameters"]
    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()
    assert "0.875" in text and "1210" in text
