"""A study through a real local Ray instance: actors open the shared storage themselves."""

import json
import os
import signal
from pathlib import Path

import pytest

import _objectives as ob
from nntune.executors import WorkerOptions, run_ray, study_setup
from nntune.executors._ray import actors_for, init_options
from nntune.storage import SQLStorage
from nntune.trial import TrialState

TESTS = str(Path(__file__).resolve().parents[1])


TINY = """\
study: ray
task: {data: digits, model: mlp, metric: accuracy}
search: {sampler: random, trials: 4, seed: 1}
space:
  lr: {type: float, low: 1.0e-3, high: 1.0e-1, log: true}
fixed: {epochs: 2, batch_size: 128, layers: 1, units: 16}
"""


@pytest.mark.slow
def test_nntune_tune_runs_on_ray(call_cli, tmp_path, monkeypatch):
    # First in this module: the command starts (and stops) a Ray instance of its own. It runs
    # in this process (the same main as the executable, without a second start of torch).
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'nntune[ray]')")
    assert not ray.is_initialized()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    handler = signal.getsignal(signal.SIGTERM)
    code, out, err = call_cli("tune", "tiny.yaml", "--storage", "sqlite:///ray.db", "--executor", "ray",
                              "--workers", "2", "--json")
    assert code == 0, err[-3000:]
    assert not ray.is_initialized()  # stopped again at the end
    assert signal.getsignal(signal.SIGTERM) is handler  # ray.init's own handler is not left behind
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["trials"]["complete"] == 4 and summary["stop_reason"] == "the study holds 4 trials"
    store = SQLStorage(f"sqlite:///{tmp_path / 'ray.db'}")
    trials = store.get_trials(store.load_study("ray").id)
    assert len({t.system_attrs["worker"]["pid"] for t in trials}) <= 2  # two actors ran them all


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'nntune[ray]')")
    # Actors import the test objectives by name, so they see this directory too.
    path = os.pathsep.join(p for p in (TESTS, os.environ.get("PYTHONPATH")) if p)
    handler = signal.getsignal(signal.SIGTERM)
    ray.init(**{**init_options(None, {}), "num_cpus": 2, "runtime_env": {"env_vars": {"PYTHONPATH": path}}})
    yield ray
    ray.shutdown()
    signal.signal(signal.SIGTERM, handler)  # ray.init's own stays otherwise, for later tests here


@pytest.mark.slow
# PostgreSQL alone, the storage a Ray cluster of several machines shares: Ray over SQLite runs
# the other tests here, and the same deaths, failures and timeouts over SQLite in worker
# processes are test_processes.py::test_failures_are_isolated_and_dead_workers_replaced[sqlite].
@pytest.mark.parametrize("shared_url", ["postgresql"], indirect=True)
def test_a_study_runs_through_local_ray(local_ray, shared_url, make_study):
    study = make_study(shared_url)
    seen = []
    # A quick trial on a loaded machine (an actor importing torch beside the suite) has taken
    # over 4 s, and over 10 s with three test processes and more beside them on 2 cores; 20 s
    # still ends the hanging trial 3 and no other (its wait leaves the cores to other tests).
    reason = run_ray(study_setup(shared_url, "s", ob.ray_mix), study, total=8, workers=2,
                     options=WorkerOptions(trial_timeout=20, cpus=0.5, max_retries=1),
                     callbacks=[lambda s, t: seen.append(t.number)])
    assert reason == "the study holds 8 trials"
    trials = {t.number: t for t in study.trials}
    assert sorted(trials) == list(range(8)) and sorted(seen) == list(range(8))
    assert trials[1].state == TrialState.COMPLETE and trials[1].system_attrs["retries"] == 1, \
        (trials[1].state, trials[1].error, trials[1].system_attrs)
    assert "Ray actor died" in trials[1].system_attrs["interrupted"]
    assert trials[2].state == TrialState.FAILED and trials[2].error == "ValueError: boom in trial 2"
    assert trials[3].state == TrialState.FAILED and trials[3].error.startswith("timed out after 20s")
    assert all(trials[n].state == TrialState.COMPLETE for n in (0, 4, 5, 6, 7))
    pids = {t.system_attrs["worker"]["pid"] for t in trials.values()}
    assert os.getpid() not in pids and len(pids) >= 2  # trials ran in the actors, not here
    # Each names this driver: killed with it, an actor's trial uses up no retry.
    assert {t.system_attrs["worker"]["supervisor"]["pid"] for t in trials.values()} == {os.getpid()}


@pytest.mark.slow
def test_population_based_training_runs_on_ray_actors(local_ray, tmp_path, monkeypatch):
    import yaml

    from nntune.config import parse_config
    from nntune.runner import prepare, run_tune

    monkeypatch.chdir(tmp_path)  # the checkpoints folder is relative; actors share this one
    raw = yaml.safe_load(TINY)
    raw["storage"] = f"sqlite:///{tmp_path / 'pbt.db'}"
    raw["fixed"]["epochs"] = 4
    raw["search"].update(trials=10, scheduler="pbt", executor="ray", workers=2,
                         scheduler_options={"population": 4, "ready_epochs": 2, "quantile": 0.5},
                         # Two good members train first; the two poor ones meet them at
                         # epoch 2 and are replaced, whatever order the actors report in.
                         enqueue=[{"lr": 0.1}, {"lr": 0.05}, {"lr": 0.001}, {"lr": 0.0011}])
    summary = run_tune(prepare(parse_config(raw, "test")))
    trials = summary.storage.get_trials(summary.storage.load_study("ray").id)
    assert not any(t.state in (TrialState.FAILED, TrialState.RUNNING) for t in trials), [t.error for t in trials]
    children = [t for t in trials if "pbt_parent" in t.user_attrs]
    assert sum("pbt_parent" not in t.user_attrs for t in trials) == 4 and children
    assert all(min(c.intermediate_values) == c.user_attrs["pbt_parent_step"] + 1 for c in children)
    assert os.getpid() not in {t.system_attrs["worker"]["pid"] for t in trials}
    assert summary.test is not None


def test_a_ray_started_here_runs_its_actors_at_this_process_s_niceness(local_ray):
    # Ray's own default is 15: beside two busy programs on two cores each trial's actor got
    # about 6% of a core, and a PBT search took 11x its time alone.
    @local_ray.remote
    def niceness() -> int:
        return os.nice(0)

    assert local_ray.get(niceness.remote()) == os.nice(0)
    joined = init_options("auto", {})
    assert joined["address"] == "auto" and "_system_config" not in joined  # a cluster keeps its own


def test_actors_fit_the_cluster():
    assert actors_for({"CPU": 8.0}, 1.0, 0.0) == 8
    assert actors_for({"CPU": 8.0, "GPU": 2.0}, 1.0, 0.5) == 4
    assert actors_for({"CPU": 2.0}, 0.5, 0.0) == 4
    assert actors_for({"CPU": 1.0}, 4.0, 0.0) == 1


@pytest.mark.slow
def test_more_actors_than_the_cluster_holds_wait_for_room(local_ray, tmp_path, make_study):
    # Three actors of one CPU on two CPUs: the third waits for room instead of the search
    # waiting for the third (which hung it for ever, before any trial).
    url = f"journal://{tmp_path / 'more.log'}"
    study = make_study(url)
    reason = run_ray(study_setup(url, "s", ob.quadratic), study, total=4, workers=3,
                     options=WorkerOptions(cpus=1, trial_timeout=60))
    assert reason == "the study holds 4 trials"
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    assert os.getpid() not in {t.system_attrs["worker"]["pid"] for t in study.trials}
