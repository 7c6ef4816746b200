"""The population executor: members refilled as they end, PBT's exploit as a slice copy,
the same parameters whatever K, refusals, and a kill -9 in the middle of a stack."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

import nntune
from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.executors import run_population
from nntune.executors._population import REFUSAL
from nntune.runner import prepare, run_tune
from nntune.storage import SQLStorage
from nntune.train.stack import Stack
from nntune.trial import TrialState

LR = {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True}}
FIXED = {"epochs": 4, "batch_size": 128, "layers": 1, "units": 16}


def config(**search):
    space = search.pop("space", LR)
    fixed = {k: v for k, v in {**FIXED, **search.pop("fixed", {})}.items() if k not in space}
    return parse_config({"study": "pop", "storage": search.pop("storage", "memory"),
                         "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
                         "search": {"executor": "population", "seed": 3, **search},
                         "space": space, "fixed": fixed})


class Events:
    """The storage's own calls, in order: which trial started, reported and finished when."""

    def __init__(self, storage):
        self.log = []
        for name, kind in (("claim_trial", "claim"), ("report", "report"), ("finish_trial", "finish")):
            self._wrap(storage, name, kind)

    def _wrap(self, storage, name, kind):
        real = getattr(storage, name)

        def spy(*args, **kwargs):
            out = real(*args, **kwargs)
            if kind == "claim" and out is not None:
                self.log.append(("claim", out.number))
            elif kind == "report":
                self.log.append(("report", args[1]))
            elif kind == "finish":
                self.log.append(("finish", args[1]))
            return out
        setattr(storage, name, spy)


def run_with_events(cfg):
    p = prepare(cfg)
    from nntune.runner import open_study

    seen = {}
    original = open_study

    def opening(prepared):
        study = original(prepared)
        seen["events"] = Events(study.storage)
        return study
    import nntune.runner as runner
    runner.open_study = opening
    try:
        summary = run_tune(p, evaluate_test=False)
    finally:
        runner.open_study = original
    return summary, seen["events"].log


@pytest.mark.slow
@pytest.mark.parametrize("scheduler", ["asha", "hyperband"])
def test_a_freed_slot_takes_the_next_trial_before_the_stack_trains_on(scheduler):
    total = 10
    summary, log = run_with_events(config(trials=total, population=3, scheduler=scheduler))
    assert sum(summary.counts.values()) == total and summary.counts["pruned"] > 0
    claims = [e for e in log if e[0] == "claim"]
    assert [n for _, n in claims] == list(range(total))
    for i, event in enumerate(log):
        if event[0] != "finish" or sum(e[0] == "claim" for e in log[:i]) >= total:
            continue
        after = [e[0] for e in log[i + 1:] if e[0] in ("claim", "report")]
        # The slot is refilled at once: the next trial starts before any member's next epoch.
        assert after and after[0] == "claim", (event, log[i:i + 6])
    stats = summary.storage.load_study("pop").attrs["population"]
    assert stats["capacity"] == 3 and stats["stacks_started"] == 1 and stats["idle_share"] < 0.5


@pytest.mark.slow
def test_pbt_exploit_is_a_slice_copy_of_the_better_member(monkeypatch, tmp_path):
    copies = []
    real_copy = Stack.copy

    def copy(self, src, dst):
        real_copy(self, src, dst)
        copies.append(all(torch.equal(a, b) for a, b in zip(self.net.member_state(src).values(),
                                                             self.net.member_state(dst).values())))
    monkeypatch.setattr(Stack, "copy", copy)
    cfg = config(trials=8, population=4, scheduler="pbt", checkpoint_dir=str(tmp_path),
                 scheduler_options={"population": 4, "ready_epochs": 2}, fixed={"epochs": 6})
    summary = run_tune(prepare(cfg), evaluate_test=False)
    trials = summary.storage.get_trials(summary.storage.load_study("pop").id, with_metrics=True)
    children = [t for t in trials if "pbt_parent" in t.user_attrs]
    assert children and copies and all(copies)
    for child in children:
        assert child.system_attrs["inherited_by"] in ("slice copy", "snapshot")
        assert min(child.intermediate_values) == child.user_attrs["pbt_parent_step"] + 1
    assert any(c.system_attrs["inherited_by"] == "slice copy" for c in children)


def test_a_hopeless_member_that_reports_first_is_still_replaced_by_pbt():
    # Members were judged one by one as they reported: the first to report an epoch met no
    # peer at its step, so trial 0 (an lr that learns nothing) trained to the end.
    cfg = config(trials=8, population=4, scheduler="pbt", enqueue=[{"lr": 1.0e-3}],
                 space={"lr": {"type": "float", "low": 1.0e-3, "high": 1.0, "log": True}},
                 scheduler_options={"population": 4, "ready_epochs": 2}, fixed={"epochs": 4, "optimizer": "sgd",
                                                                                  "momentum": 0.0})
    summary = run_tune(prepare(cfg), evaluate_test=False)
    trials = summary.storage.get_trials(summary.storage.load_study("pop").id, with_metrics=True)
    first = trials[0]
    assert first.params["lr"] == 1.0e-3 and first.state == TrialState.PRUNED, (first.state, first.intermediate_values)
    assert max(first.intermediate_values) == 2  # replaced at its first ready epoch
    assert any(t.user_attrs.get("pbt_parent") not in (None, 0) for t in trials[4:])


@pytest.mark.parametrize("search", [
    # PBT keeps 4 members training, a stack has room for 16.
    {"scheduler": "pbt", "scheduler_options": {"population": 4, "ready_epochs": 2, "refill": True}},
    # Blocks of 4 trials per structure: no stack ever gets 16 members of one structure.
    {"scheduler": "asha", "space": {**LR, "units": {"type": "int", "low": 8, "high": 32, "log": True}}},
])
def test_a_stack_never_trains_a_slot_that_holds_no_member(search, tmp_path):
    trained = []
    real = Stack.run_epoch

    def run_epoch(self, report=None):
        trained.append((len(self.members), self.capacity))
        return real(self, report)
    cfg = config(trials=12, population=16, checkpoint_dir=str(tmp_path), fixed={"epochs": 4}, **search)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Stack, "run_epoch", run_epoch)
        summary = run_tune(prepare(cfg), evaluate_test=False)
    assert sum(summary.counts.values()) == 12
    assert trained and all(members == slots for members, slots in trained)
    stats = summary.storage.load_study("pop").attrs["population"]
    assert stats["idle_share"] == 0.0 and stats["member_epochs"] == stats["slot_epochs"] == sum(m for m, _ in trained)
    assert stats["stack_epochs"] == len(trained) >= stats["rounds"]
    if search.get("scheduler") == "pbt":
        # Every fresh member is a founder, as under the other executors: the refills too,
        # not only the members nntune tune queued before the first epoch.
        trials = summary.storage.get_trials(summary.storage.load_study("pop").id)
        fresh = [t for t in trials if "pbt_parent" not in t.user_attrs]
        assert len(fresh) > 4 and all(t.user_attrs.get("pbt_founder") is True for t in fresh)


def test_auto_stores_how_it_chose_k_with_the_population_figures():
    # On the CPU, whatever the machine holds: a GPU would time its probe and choose otherwise.
    summary = run_tune(prepare(config(trials=3, fixed={"epochs": 1})), device="cpu", evaluate_test=False)
    stats = summary.storage.load_study("pop").attrs["population"]
    assert stats["capacity"] == 4 == stats["auto"]["chosen"] == stats["auto"]["bound"]  # the CPU's limit
    assert stats["auto"]["rule"] == "bound" and stats["auto"]["step_seconds"] == [] and stats["auto"]["bound_by"] == "device"
    assert stats["idle_share"] == 0.0  # 3 trials in a stack of 4 slots: the fourth is dropped before it trains


def test_the_same_trial_has_the_same_parameters_whatever_k():
    space = {**LR, "units": {"type": "int", "low": 8, "high": 32, "log": True}}
    params = {}
    for k in (1, 3):
        summary = run_tune(prepare(config(trials=6, population=k, space=space, fixed={"epochs": 1})),
                           evaluate_test=False)
        trials = summary.storage.get_trials(summary.storage.load_study("pop").id)
        params[k] = {t.number: t.params for t in trials}
        assert all(t.state == TrialState.COMPLETE for t in trials)
    assert params[1] == params[3]
    stored = summary.storage.load_study("pop").attrs["population_structures"]
    assert set(stored) == {"0", "1"}  # blocks of 4 trials: two structures asked
    for number, p in params[1].items():
        assert p["units"] == stored[str(number // 4)]["units"]


def test_a_study_bounded_by_a_timeout_holds_each_structure_for_a_small_block_and_keeps_it():
    from nntune.executors._population import BLOCK_ATTR, asker_for
    from nntune.samplers import RandomSampler

    study = nntune.create_study()
    assert asker_for(study, RandomSampler(0), 1_000_000, timeout=30.0).block == 8
    assert study.storage.load_study(study.study_name).attrs[BLOCK_ATTR] == 8
    assert asker_for(study, RandomSampler(0), 1_000_000).block == 8  # a resumed run keeps it
    assert asker_for(nntune.create_study(), RandomSampler(0), 1_000_000).block == 64
    on_gpu = nntune.create_study()  # a structure may fill a GPU's stack
    assert asker_for(on_gpu, RandomSampler(0), 1_000_000, timeout=30.0, accelerator=True).block == 128


def test_a_block_given_holds_each_structure_for_that_many_trials_and_a_resumed_run_keeps_the_stored_one():
    from nntune.executors._population import BLOCK_ATTR, asker_for
    from nntune.samplers import RandomSampler

    study = nntune.create_study()
    assert asker_for(study, RandomSampler(0), 1_000_000, timeout=30.0, block=128).block == 128
    assert study.storage.load_study(study.study_name).attrs[BLOCK_ATTR] == 128
    # the stored structures are numbered by the stored block: a resumed run keeps it
    assert asker_for(study, RandomSampler(0), 1_000_000, block=4).block == 128

    space = {**LR, "units": {"type": "int", "low": 8, "high": 32, "log": True}}
    summary = run_tune(prepare(config(trials=6, population=3, structure_block=6, space=space,
                                      fixed={"epochs": 1})), evaluate_test=False)
    rec = summary.storage.load_study("pop")
    trials = summary.storage.get_trials(rec.id)
    assert rec.attrs[BLOCK_ATTR] == 6 and set(rec.attrs["population_structures"]) == {"0"}
    assert len({t.params["units"] for t in trials}) == 1 and len({t.params["lr"] for t in trials}) == 6


def test_a_new_stack_starts_with_the_room_there_is_and_doubles_to_k():
    from nntune.executors._population import Occupancy, starting_capacity

    assert [starting_capacity(16, room) for room in (16, 9, 8, 5, 4, 1, 0)] == [16, 16, 8, 8, 4, 1, 1]
    assert starting_capacity(12, 3) == 3 and starting_capacity(1, 1) == 1
    stats = Occupancy(4, rounds=2, member_epochs=6, slot_epochs=8)
    assert stats.idle_share == 0.25 and stats.unfilled_share == 0.25


def test_figures_of_several_processes_sum_their_stack_epochs_and_keep_each_auto_choice():
    from nntune.executors._members import merge_stats
    from nntune.executors._population import Occupancy

    a = Occupancy(4, rounds=3, member_epochs=9, slot_epochs=9, stack_epochs=5, auto={"chosen": 4, "rule": "timed"})
    b = Occupancy(2, rounds=2, member_epochs=4, slot_epochs=4, stack_epochs=2)
    merged = merge_stats(merge_stats(None, "cuda:0", a), "cuda:1", b)
    assert merged["stack_epochs"] == 7 and "auto" not in merged
    assert merged["processes"]["cuda:0"]["auto"] == {"chosen": 4, "rule": "timed"}
    assert "auto" not in merged["processes"]["cuda:1"] and b.to_json()["stack_epochs"] == 2


def test_a_define_by_run_objective_is_refused_in_one_line():
    study = nntune.create_study()
    with pytest.raises(ConfigError) as err:
        run_population(study, lambda trial: trial.suggest_float("x", 0, 1), total=2)
    assert err.value.field == "search.executor" and err.value.problem == REFUSAL and "\n" not in REFUSAL
    assert study.trials == []


def test_a_member_past_the_trial_timeout_fails_at_the_next_epoch_and_its_slot_is_refilled():
    from nntune.builtin_stack import StackTrainer
    from nntune.executors import WorkerOptions
    from nntune.runner import open_study

    p = prepare(config(trials=4, population=2))
    study = open_study(p)
    ticks = iter(range(10_000))  # every reading of the clock is one second later
    reason = run_population(study, StackTrainer(p.cfg, p.space, p.splits, epochs=p.epochs), total=4,
                            population=2, options=WorkerOptions(trial_timeout=2.5), clock=lambda: float(next(ticks)))
    trials = study.trials
    assert reason == "the study holds 4 trials" and len(trials) == 4
    # The words of a trial a worker process or a Ray actor was killed for (test_processes, test_ray).
    assert all(t.state == TrialState.FAILED and t.error == "timed out after 2.5s (trial timeout)" for t in trials)
    assert not any("traceback" in t.system_attrs for t in trials)
    assert all(0 < len(t.intermediate_values) < 4 for t in trials)


def test_config_keys_and_their_one_line_errors(call_cli, tmp_path, monkeypatch):
    assert config(population=5).search.population == 5 and config().search.population == "auto"
    assert config(structure_block=16).search.structure_block == 16 and config().search.structure_block == "auto"
    for search, field in (({"population": 0}, "search.population"),
                          ({"population": "many"}, "search.population"),
                          ({"structure_block": 0}, "search.structure_block"),
                          ({"structure_block": "many"}, "search.structure_block"),
                          ({"workers": 2}, "storage")):  # processes on several devices share a file
        with pytest.raises(ConfigError) as err:
            config(**search)
        assert err.value.field.startswith(field)
    with pytest.raises(ConfigError, match="stacks mlp and cnn models, not 'resnet18'"):
        parse_config({"search": {"executor": "population"}, "task": {"model": "resnet18"}})
    with pytest.raises(ConfigError, match="per-trial memory limit"):
        parse_config({"search": {"executor": "population"}, "resources": {"memory_mb": 500}})
    with pytest.raises(ConfigError, match="only used with executor: population"):
        parse_config({"search": {"population": 4}})
    with pytest.raises(ConfigError, match="only used with executor: population") as err:
        parse_config({"search": {"structure_block": 64}})
    assert err.value.field == "search.structure_block"
    dumped = parse_config({"search": {"workers": 2}}).model_dump(mode="json")  # what a worker process parses
    assert parse_config(dumped).search.population == "auto"
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--executor", "population", "--population", "0", "--storage",
                            f"sqlite:///{tmp_path / 's.db'}")
    assert code == 2 and err.startswith("nntune: error: search.population") and list(tmp_path.iterdir()) == []


def nntune_command():
    script = Path(sys.executable).parent / "nntune"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nntune.cli"]


@pytest.mark.slow
def test_kill_9_mid_stack_then_resume_loses_and_duplicates_nothing(tmp_path, call_cli):
    total = 7
    url = f"sqlite:///{tmp_path / 'pop.db'}"
    cfg = {"study": "pop", "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
           "search": {"trials": total, "seed": 5, "executor": "population", "population": 2},
           "space": LR, "fixed": {**FIXED, "epochs": 8}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    cmd = [*nntune_command(), "tune", "c.yaml", "--storage", url]
    store = SQLStorage(url)

    def trials():
        rec = store.load_study("pop")
        return [] if rec is None else store.get_trials(rec.id)
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        now = trials()
        if sum(t.state == TrialState.COMPLETE for t in now) >= 2 and any(t.state == TrialState.RUNNING for t in now):
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {t.number: (t.params, t.value) for t in trials() if t.state == TrialState.COMPLETE}
    running = {t.number for t in trials() if t.state == TrialState.RUNNING}
    assert running
    # The same command again, in this process (the killed one was the real executable): a
    # second start of torch in a fresh interpreter would add nothing that is checked here.
    code, out, err = call_cli(*cmd[len(nntune_command()):], "--json")
    assert code == 0, err[-3000:]
    after = trials()
    assert [t.number for t in after] == list(range(total))
    assert all(t.state == TrialState.COMPLETE for t in after)
    assert all(after[n].system_attrs.get("retries") == 1 for n in running)  # re-queued, run again
    for number, record in before.items():
        final = next(t for t in after if t.number == number)
        assert (final.params, final.value) == record
    assert json.loads(out.strip().splitlines()[-1])["test_evaluations"] == 1


def test_a_grid_is_covered_point_for_point_when_members_start_together():
    # Members asked back to back, before any of them reports: each must see the points the
    # others took, or several members train one point and the grid is left part covered.
    space = {"lr": {"type": "choice", "values": [0.01, 0.1]},
             "units": {"type": "choice", "values": [8, 16]}, "optimizer": {"type": "choice", "values": ["adam", "sgd"]}}
    summary = run_tune(prepare(config(trials=8, population=3, sampler="grid", space=space, fixed={"epochs": 1})),
                       evaluate_test=False)
    trials = summary.storage.get_trials(summary.storage.load_study("pop").id)
    points = {tuple(sorted(t.params.items())) for t in trials}
    assert len(trials) == 8 and len(points) == 8
    # No block holds a structure, so show does not say that one did.
    from nntune.show import population_data

    attrs = summary.storage.load_study("pop").attrs
    assert "population_block" not in attrs
    assert "held for" not in population_data(attrs["population"], attrs.get("population_block"))["text"]


@pytest.mark.parametrize("search", [
    # Dropout masks are drawn per stack, not as fit draws them: a solo retrain differs.
    {"space": {**LR, "dropout": {"type": "float", "low": 0.3, "high": 0.5}}},
    # A PBT replacement starts from its parent's weights: a retrain from scratch differs. Its
    # file is kept while it may be looked at (the best), then goes with the other finished
    # members' (test_population_hunt_pbt_files): checked before that, as each member ends.
    {"scheduler": "pbt", "scheduler_options": {"population": 2, "ready_epochs": 1, "refill": True}},
])
def test_every_complete_member_s_model_is_the_one_its_value_describes(search, tmp_path):
    from nntune.builtin import rebuild_model
    from nntune.train.basics import evaluate

    p = prepare(config(trials=6, population=2, checkpoint_dir=str(tmp_path), fixed={"epochs": 3}, **search))
    checked: list[int] = []

    def check(study, frozen):
        if frozen.state == TrialState.COMPLETE:
            if "pbt_parent" in frozen.user_attrs:
                assert Path(frozen.system_attrs["checkpoint"]).is_file()
            model = rebuild_model(study, p.cfg, p.splits, frozen, epochs=p.epochs)
            got = evaluate(model, p.splits.x_val, p.splits.y_val, task_type="classification",
                           metrics=["accuracy"], n_classes=10)["accuracy"]
            assert got == pytest.approx(frozen.value, abs=1e-9), frozen.number
            checked.append(frozen.number)
    summary = run_tune(p, evaluate_test=False, on_trial=check)
    study = nntune.load_study(study_name="pop", storage=summary.storage)
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(complete) >= 2 and sorted(checked) == [t.number for t in complete]
    if "scheduler" in search:  # a replacement that is not the best member
        assert len([t for t in complete if "pbt_parent" in t.user_attrs]) >= 2


def test_a_best_member_s_file_dropped_for_a_better_one_leaves_no_record_of_it(tmp_path, recwarn):
    from nntune.builtin import rebuild_model

    # lr rising over the enqueued trials: each later member beats the earlier ones.
    enqueue = [{"lr": lr} for lr in (0.001, 0.01, 0.1)]
    p = prepare(config(trials=3, population=1, checkpoint_dir=str(tmp_path), enqueue=enqueue, fixed={"epochs": 2}))
    summary = run_tune(p, evaluate_test=False)
    study = nntune.load_study(study_name="pop", storage=summary.storage)
    values = [t.value for t in study.trials]
    assert values == sorted(values) and len(set(values)) == 3
    kept = {t.number: t.system_attrs.get("checkpoint") for t in study.trials}
    assert kept[2] is not None and Path(kept[2]).is_file()
    assert kept[0] is None and kept[1] is None and len(list(tmp_path.rglob("*.pt"))) == 1
    rebuild_model(study, p.cfg, p.splits, study.trials[0], epochs=p.epochs)
    assert not [w for w in recwarn if "is gone" in str(w.message)]


def test_a_kept_model_is_found_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # checkpoint_dir is relative to where tune ran, export-model may run elsewhere
    summary = run_tune(prepare(config(trials=2, population=2, checkpoint_dir="runs", fixed={"epochs": 1})),
                       evaluate_test=False)
    kept = [t.system_attrs["checkpoint"] for t in summary.storage.get_trials(summary.storage.load_study("pop").id)
            if t.system_attrs.get("checkpoint")]
    assert kept and all(Path(path).is_absolute() and Path(path).is_file() for path in kept)


def test_a_change_a_member_takes_while_it_trains_is_taken_as_fit_takes_it():
    from nntune._trial import derive_seed
    from nntune.builtin import trial_hyperparameters
    from nntune.builtin_stack import StackTrainer
    from nntune.runner import open_study
    from nntune.train.loop import fit

    p = prepare(config(trials=1, population=1, enqueue=[{"lr": 0.05}],
                       fixed={"epochs": 6, "optimizer": "momentum", "lr_schedule": "cosine"}))
    study = open_study(p)
    study.set_trial_params(0, {"epochs": 3})  # taken after epoch 1: the cosine's period shrinks to 3 epochs
    run_population(study, StackTrainer(p.cfg, p.space, p.splits, epochs=p.epochs), total=1, population=1)
    (trial,) = study.storage.get_trials(study.id, with_metrics=True)
    params = trial_hyperparameters(p.cfg, trial.params, p.epochs)
    solo = fit(params, p.splits, seed=derive_seed(study.seed, 0), changes=lambda epoch, hp: {"epochs": 3} if epoch == 1 else {})
    assert [r["lr"] for r in trial.metrics] == pytest.approx([r["lr"] for r in solo.history], rel=1e-9)
    assert trial.value == pytest.approx(solo.history[-1]["value"], abs=1e-9)


def test_a_resumed_study_s_figures_count_every_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'pop.db'}"
    for trials in (4, 6):  # the second run resumes the study and trains two more trials
        summary = run_tune(prepare(config(trials=trials, population=2, storage=url, fixed={"epochs": 2})),
                           evaluate_test=False)
    trials = summary.storage.get_trials(summary.storage.load_study("pop").id)
    stats = summary.storage.load_study("pop").attrs["population"]
    assert len(trials) == 6 and stats["member_epochs"] == sum(len(t.intermediate_values) for t in trials) == 12
    assert stats["rounds"] == 6 and stats["stack_epochs"] == 6 and stats["unfilled_share"] == 0.0
