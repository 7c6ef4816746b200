"""Per-trial resources the Ray cluster cannot hold are refused in one line: Ray itself keeps
such an actor pending for ever, and the search waits without a word."""

import pytest

from nntune.exceptions import ConfigError
from nntune.executors._ray import MB, unfit_request

NODE = {"Alive": True, "Resources": {"CPU": 2.0, "memory": 4096 * MB}}


def test_a_request_no_node_holds_names_the_field():
    assert unfit_request([NODE], 1.0, 0.0, None) is None
    assert unfit_request([NODE], 2.0, 0.0, 4096) is None
    gpus = unfit_request([NODE], 1.0, 1.0, None)
    assert isinstance(gpus, ConfigError)
    assert str(gpus) == "resources.gpus: each trial asks for 1 GPUs, but no node of the Ray cluster has more than 0"
    assert str(unfit_request([NODE], 4.0, 0.0, None)).startswith("resources.cpus: each trial asks for 4 CPUs")
    assert str(unfit_request([NODE], 1.0, 0.0, 5000)).startswith("resources.memory_mb: each trial asks for 5000 MB")
    assert unfit_request([{**NODE, "Alive": False}, {"Alive": True, "Resources": {"CPU": 8.0}}], 4.0, 0, None) is None


def test_each_need_met_on_a_different_node_is_not_enough():
    gpu_node = {"Alive": True, "Resources": {"CPU": 1.0, "GPU": 1.0}}
    big_node = {"Alive": True, "Resources": {"CPU": 8.0}}
    assert str(unfit_request([gpu_node, big_node], 4.0, 1.0, None)).startswith("resources: no single node")
    assert unfit_request([gpu_node, big_node], 1.0, 1.0, None) is None


@pytest.mark.slow
@pytest.mark.timeout(180)  # Ray itself would keep the actor pending for ever
def test_the_command_line_refuses_gpus_the_local_ray_has_not(call_cli, tmp_path, monkeypatch):
    # In this process (the executable's main, without a second start of torch); the Ray it
    # starts is a real one.
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'nntune[ray]')")
    assert not ray.is_initialized()  # else the command would join it, and check nothing
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--storage", "sqlite:///r.db", "--executor", "ray", "--trials", "1",
                            "--set", "resources.gpus=64")
    assert code == 2, err[-2000:]
    assert err.strip().splitlines()[-1].startswith(
        "nntune: error: resources.gpus: each trial asks for 64 GPUs, but no node of the Ray cluster has more than")
    assert "Traceback" not in err
    assert not ray.is_initialized()  # the Ray started for it is stopped again
