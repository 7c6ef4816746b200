"""The population executor on several devices: one process per device against one storage,
devices assigned, structures and figures shared between processes, a kill -9 survived."""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from nntune.config import parse_config
from nntune.diagnose import curves_of, diagnose_trials
from nntune.exceptions import ConfigError
from nntune.executors._members import Occupancy, add_stats, merge_stats
from nntune.executors._population import STRUCTURES_ATTR, asker_for
from nntune.executors._population_workers import READY_ATTR, population_devices, wait_for_siblings
from nntune.runner_population import check_devices
from nntune.samplers import RandomSampler
from nntune.space import Choice, Float, Int, Space
from nntune.storage import InMemoryStorage, SQLStorage
from nntune.study import create_study
from nntune.trial import TrialState

SPACE = Space({"lr": Float(1e-3, 1e-1, log=True), "units": Int(8, 64, log=True),
               "optimizer": Choice(("sgd", "adam"))})
YAML_SPACE = {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True},
              "units": {"type": "choice", "values": [16, 32]}}


def test_one_process_per_gpu_cpu_processes_without_and_too_many_refused_in_one_line():
    assert population_devices(2, 4) == ["cuda:0", "cuda:1"]
    assert population_devices(4, 4) == ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]
    assert population_devices(3, 0) == ["cpu", "cpu", "cpu"]
    with pytest.raises(ConfigError) as err:
        population_devices(3, 2)
    assert err.value.field == "search.workers" and "\n" not in str(err.value)
    assert "3 asked, this machine has 2" in str(err.value)
    cfg = parse_config({"storage": "sqlite:///x.db", "search": {"executor": "population", "workers": 3}})
    assert check_devices(cfg, "cpu") == ["cpu"] * 3  # another device than a GPU asked: no GPU taken
    assert check_devices(parse_config({"search": {"workers": 3}}), None) == []  # the local pool: not ours


def test_several_processes_need_a_storage_they_all_reach():
    with pytest.raises(ConfigError) as err:
        parse_config({"storage": "memory", "search": {"executor": "population", "workers": 2}})
    assert err.value.field == "storage"


def test_more_processes_than_gpus_is_refused_on_the_command_line_before_anything_is_written(
        call_cli, tmp_path, monkeypatch):
    import nntune.runner_population as runner_population

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner_population, "gpu_count", lambda device: 1)  # a machine with one GPU
    code, _, err = call_cli("tune", "--executor", "population", "--workers", "2", "--trials", "4",
                            "--storage", f"sqlite:///{tmp_path / 's.db'}")
    assert code == 2 and err.strip() == ("nntune: error: search.workers: the population executor runs one "
                                         "process per GPU; 2 asked, this machine has 1")
    assert list(tmp_path.iterdir()) == []
    code, _, err = call_cli("tune", "--executor", "population", "--workers", "2", "--storage", "memory")
    assert code == 2 and err.startswith("nntune: error: storage") and len(err.strip().splitlines()) == 1


def test_two_processes_asking_one_block_hold_the_structure_stored_first():
    study = create_study("s", InMemoryStorage(), direction="maximize", space=SPACE)
    # Two processes whose samplers would ask differently (another seed, another history).
    one, two = asker_for(study, RandomSampler(1), 40), asker_for(study, RandomSampler(2), 40)
    assert one.block == two.block == 5
    differ = next(b for b in range(20) if one.base.suggest(SPACE, [], number=b * 5)["units"]
                  != two.base.suggest(SPACE, [], number=b * 5)["units"])
    a = two.suggest(SPACE, [], number=differ * 5 + 1)  # the second process asks the block first
    b = one.suggest(SPACE, [], number=differ * 5 + 3)
    assert (a["units"], a["optimizer"]) == (b["units"], b["optimizer"])
    stored = study.storage.load_study("s").attrs[STRUCTURES_ATTR][str(differ)]
    assert stored == {"units": a["units"], "optimizer": a["optimizer"]}
    assert b["lr"] == one.base.suggest(SPACE, [], number=differ * 5 + 3)["lr"]  # the rest: its own draw
    # A third process started later reads the stored structures and keeps them.
    later = asker_for(study, RandomSampler(9), 40)
    assert later.structures[differ] == stored


def test_a_process_waits_for_its_siblings_to_be_set_up_before_it_starts_members():
    study = create_study("s", InMemoryStorage(), direction="maximize", space=SPACE)
    study.storage.set_study_attr(study.id, READY_ATTR, {"1": ["cpu:0", "cpu:1"]})  # an older run's marks
    now = [0.0]

    def sleep(seconds):  # the sibling is set up after the first process has waited 0.3 s
        now[0] += seconds
        if now[0] >= 0.3:
            study.storage.merge_study_attr(study.id, READY_ATTR, lambda s: {"77": sorted({*s["77"], "cpu:1"})})

    ready = wait_for_siblings(study, 77, "cpu:0", 2, clock=lambda: now[0], sleep=sleep, poll=0.1)
    assert ready == 2 and 0.3 <= now[0] < 0.5
    assert study.storage.load_study("s").attrs[READY_ATTR] == {"77": ["cpu:0", "cpu:1"]}
    # A process replacing a dead sibling finds them set up and goes on at once; one whose
    # sibling never comes goes on after the limit.
    assert wait_for_siblings(study, 77, "cpu:2", 2, clock=lambda: now[0], sleep=sleep) == 3
    alone = create_study("t", InMemoryStorage(), direction="maximize", space=SPACE)
    now[0] = 0.0
    assert wait_for_siblings(alone, 5, "cpu:0", 2, clock=lambda: now[0],
                             sleep=lambda s: now.__setitem__(0, now[0] + s), poll=0.25, limit=1.0) == 1
    assert now[0] == 1.0  # four polls: it waited the whole limit, and not a poll longer


def test_each_process_keeps_its_own_figures_and_the_sums_cover_both():
    a = Occupancy(4, rounds=10, member_epochs=36, slot_epochs=40, stacks_started=2)
    b = Occupancy(4, rounds=5, member_epochs=10, slot_epochs=20, stacks_started=1, split_rounds=1)
    merged = merge_stats(merge_stats(None, "cuda:0", a), "cuda:1", b)
    assert set(merged["processes"]) == {"cuda:0", "cuda:1"}
    assert merged["member_epochs"] == 46 and merged["slot_epochs"] == 60 and merged["capacity"] == 4
    assert merged["idle_share"] == round(1 - 46 / 60, 4)
    assert merged["unfilled_share"] == round(1 - 46 / (4 * 10 + 4 * 5), 4)
    # A resumed study's next run on the same device adds its counts to that device's.
    again = merge_stats(merged, "cuda:1", Occupancy(4, rounds=1, member_epochs=4, slot_epochs=4))
    assert again["processes"]["cuda:0"] == a.to_json() and again["member_epochs"] == 50
    assert again["processes"]["cuda:1"]["rounds"] == 6 and again["rounds"] == 16
    assert again["unfilled_share"] == round(1 - 50 / (4 * 16), 4)


def test_a_resumed_study_s_figures_count_every_run_in_one_process_or_several():
    one = add_stats(None, Occupancy(2, rounds=3, member_epochs=6, slot_epochs=6))
    several = merge_stats(merge_stats(one, "cpu:0", Occupancy(4, rounds=2, member_epochs=8, slot_epochs=8)),
                          "cpu:1", Occupancy(4, rounds=2, member_epochs=6, slot_epochs=8))
    assert several["member_epochs"] == 20 and several["rounds"] == 7 and several["places"] == 2 * 3 + 4 * 4
    again = add_stats(several, Occupancy(3, rounds=1, member_epochs=3, slot_epochs=3))
    assert again["member_epochs"] == 23 and again["slot_epochs"] == 25 and again["places"] == 22 + 3
    # K is the largest any run trained with (4, the processes'), not the latest run's 3.
    assert again["idle_share"] == round(1 - 23 / 25, 4) and again["capacity"] == 4


def test_show_says_each_stack_s_size_not_the_sum_over_processes():
    from nntune.show import population_data

    merged = merge_stats(merge_stats(None, "cpu:0", Occupancy(4, rounds=2, member_epochs=8, slot_epochs=8)),
                         "cpu:1", Occupancy(4, rounds=2, member_epochs=8, slot_epochs=8))
    assert merged["capacity"] == 4
    assert population_data(merged)["text"].startswith("stacks of up to 4 members")


def nntune_command():
    script = Path(sys.executable).parent / "nntune"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nntune.cli"]


def write_config(tmp_path, total, epochs, scheduler=None):
    search = {"trials": total, "seed": 5, "executor": "population", "population": 3, "workers": 2}
    if scheduler:
        search["scheduler"] = scheduler
    cfg = {"study": "pop", "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
           "search": search, "space": YAML_SPACE, "fixed": {"epochs": epochs, "batch_size": 128, "layers": 1}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    return [*nntune_command(), "tune", "c.yaml", "--storage", f"sqlite:///{tmp_path / 'pop.db'}"]


# "Two CPU processes": on a machine with GPUs these runs would be one process per GPU; hiding
# the GPUs is how a user asks for CPU processes there too.
CPU_ONLY = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}


def stored(tmp_path, with_metrics=False):
    store = SQLStorage(f"sqlite:///{tmp_path / 'pop.db'}")
    rec = store.load_study("pop")
    return (None, []) if rec is None else (rec, store.get_trials(rec.id, with_metrics=with_metrics))


@pytest.mark.slow
def test_two_cpu_processes_finish_a_digits_study_every_trial_stored_once(tmp_path, call_cli, monkeypatch):
    total = 12
    # In this process (the executable's main, without a start of torch of its own): the two
    # population processes are real processes all the same, forked from the warm fork server.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # CPU_ONLY: two CPU processes on any machine
    code, out, err = call_cli(*write_config(tmp_path, total, 4, "asha")[len(nntune_command()):], "--json")
    assert code == 0, err[-3000:]
    summary = json.loads(out.strip().splitlines()[-1])
    rec, trials = stored(tmp_path, with_metrics=True)
    assert [t.number for t in trials] == list(range(total))  # each once, none beyond the budget
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    assert all(t.intermediate_values for t in trials)  # per-epoch records, as under every executor
    pids = [t.system_attrs["worker"]["pid"] for t in trials]
    assert os.getpid() not in pids  # run by the population processes
    # Both processes trained. How the trials split between them is up to start-up times: on a
    # 16-core GPU machine the first process had trained 11 of the 12 when the second began.
    assert len(set(pids)) == 2
    assert set(rec.attrs["population"]["processes"]) == {"cpu:0", "cpu:1"}
    assert sum(summary["trials"].values()) == total and summary["test_evaluations"] == 1
    blocks = rec.attrs[STRUCTURES_ATTR]
    for t in trials:  # every member holds its block's one structure, whichever process ran it
        assert t.params["units"] == blocks[str(t.number // rec.attrs["population_block"])]["units"]
    found = diagnose_trials(trials, "maximize")  # diagnosed from the stored records, as a solo trial
    assert set(found) == set(range(total))
    assert all(curves_of(t, "maximize", "accuracy").train_loss.size == len(t.intermediate_values) for t in trials)


def frozen_writers(parent: int, trials: list) -> list[int]:
    """SIGSTOP the parent and every population process that has started a trial, so that
    the storage holds still; the pids stopped."""
    pids = [parent] + sorted({t.system_attrs["worker"]["pid"] for t in trials})
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # a process whose work was done
            os.kill(pid, signal.SIGSTOP)
    return pids


def running_now(tmp_path) -> bool:
    """Whether a trial is running, read without a lock (a frozen writer may hold one)."""
    with contextlib.closing(sqlite3.connect(f"file:{tmp_path / 'pop.db'}?mode=ro", uri=True)) as db:
        return db.execute("SELECT COUNT(*) FROM trials WHERE state = ?",
                          (TrialState.RUNNING.value,)).fetchone()[0] > 0


def thaw(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


@pytest.mark.slow
def test_kill_9_of_the_parent_then_a_rerun_loses_and_duplicates_nothing(tmp_path, call_cli, monkeypatch):
    total = 8
    cmd = write_config(tmp_path, total, 6)
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=CPU_ONLY)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        now = stored(tmp_path)[1]
        if sum(t.state == TrialState.COMPLETE for t in now) >= 1 and \
                any(t.state == TrialState.RUNNING for t in now):
            # Freeze the writers, then look again: between a look and the kill a stack may end
            # (its members end together), and a population process lives a moment past its parent.
            frozen = frozen_writers(proc.pid, now)
            if running_now(tmp_path):
                break
            thaw(frozen)
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)  # the frozen population processes get SIGKILL as it dies
    proc.wait()
    pids = {t.system_attrs["worker"]["pid"] for t in stored(tmp_path)[1]}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(psutil.pid_exists(p) for p in pids):
        time.sleep(0.05)  # the population processes die with their parent (or its fork server)
    assert not any(psutil.pid_exists(p) for p in pids)
    _, killed = stored(tmp_path)
    before = {t.number: (t.params, t.value) for t in killed if t.state == TrialState.COMPLETE}
    running = {t.number for t in killed if t.state == TrialState.RUNNING}
    assert running
    # The same command again, in this process (the killed one was the real executable): a
    # second start of torch in a fresh interpreter would add nothing that is checked here.
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # CPU_ONLY's two CPU processes, as before
    code, out, err = call_cli(*cmd[len(nntune_command()):], "--json")
    assert code == 0, err[-3000:]
    _, after = stored(tmp_path)
    assert [t.number for t in after] == list(range(total))
    assert all(t.state == TrialState.COMPLETE for t in after)
    assert all(after[n].system_attrs.get("retries") == 1 for n in running)  # re-queued, run again
    for number, record in before.items():
        assert (after[number].params, after[number].value) == record
    assert json.loads(out.strip().splitlines()[-1])["test_evaluations"] == 1
