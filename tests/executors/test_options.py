"""The pure parts of the executors, and the config and flags that choose them."""

import signal

import pytest

from nntune.config import parse_config
from nntune.executors._common import describe_exit, gpu_for, is_gone, thread_share, visible_gpus, worker_identity
from nntune.exceptions import ConfigError
from nntune.storage._base import interruption_outcome
from nntune.trial import TrialState


def test_threads_are_shared_so_workers_never_oversubscribe():
    assert thread_share(workers=1, cores=8) == 8
    assert thread_share(workers=3, cores=8) == 2
    assert thread_share(workers=16, cores=8) == 1
    assert thread_share(workers=4, cores=8, cpus=3) == 3


def test_each_worker_gets_one_gpu_round_robin():
    assert [gpu_for(i, ["0", "1"]) for i in range(3)] == ["0", "1", "0"]
    assert gpu_for(0, []) is None
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "2,3"}) == ["2", "3"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == []


def test_exit_codes_in_words():
    assert describe_exit(1) == "exit code 1"
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL (out of memory, or killed)"
    assert describe_exit(-signal.SIGSEGV) == "killed by SIGSEGV"


def test_a_worker_is_gone_only_when_its_process_is():
    me = worker_identity()
    assert not is_gone(me, me["host"])
    assert is_gone({**me, "started": me["started"] + 5}, me["host"])  # the pid was reused
    assert is_gone({**me, "pid": 2**22 + 17}, me["host"])
    assert not is_gone({**me, "pid": 2**22 + 17}, "another-host")  # judged by heartbeat there


def test_an_interrupted_trial_is_requeued_then_failed():
    state, attrs, error = interruption_outcome({"worker": {"pid": 1}, "fixed_params": {"x": 1}}, "died", 1)
    assert (state, error) == (TrialState.WAITING, None)
    assert attrs == {"fixed_params": {"x": 1}, "retries": 1, "interrupted": "died"}
    state, attrs, error = interruption_outcome(attrs, "died again", 1)
    assert (state, error) == (TrialState.FAILED, "died again (after 1 retry)")


def test_execution_keys_are_validated():
    cfg = parse_config({"search": {"workers": 3, "trial_timeout": 30, "executor": "ray",
                                   "ray_address": "auto"},
                        "resources": {"cpus": 2, "gpus": 0.5, "memory_mb": 2048}})
    assert (cfg.search.workers, cfg.search.trial_timeout, cfg.resources.gpus) == (3, 30.0, 0.5)
    for raw, field in [({"search": {"workers": 0}}, "search.workers"),
                       ({"search": {"executor": "dask"}}, "search.executor"),
                       ({"search": {"ray_address": "auto"}}, "search.ray_address"),
                       ({"search": {"trial_timeout": -1}}, "search.trial_timeout"),
                       ({"resources": {"gpus": 1.5}}, "resources.gpus"),
                       ({"resources": {"cpu": 1}}, "resources.cpu"),
                       ({"storage": "memory", "search": {"executor": "ray"}}, "storage")]:
        with pytest.raises(ConfigError) as err:
            parse_config(raw)
        assert err.value.field == field


@pytest.mark.parametrize("args,field", [(["--workers", "0"], "search.workers"),
                                        (["--executor", "dask"], "search.executor"),
                                        (["--ray-address", "auto"], "search.ray_address"),
                                        (["--trial-timeout", "0"], "search.trial_timeout")])
def test_bad_execution_flags_exit_2_naming_the_field(call_cli, tmp_path, args, field):
    code, _, err = call_cli("tune", "--storage", f"sqlite:///{tmp_path / 'x.db'}", *args)
    assert code == 2 and err.startswith(f"nntune: error: {field}:")
    assert not (tmp_path / "x.db").exists()
