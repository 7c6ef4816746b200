"""Where the Ray executor connects: an address with no Ray behind it is refused in one line
within seconds (Ray itself keeps retrying it for many minutes without a word)."""

import signal
import socket
import time

import pytest

from nntune.exceptions import ConfigError
from nntune.executors._ray import connect, gcs_endpoint


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


def test_the_head_address_is_read_from_the_option_or_ray_address(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert gcs_endpoint("10.0.0.5:6379") == ("10.0.0.5", 6379)
    assert gcs_endpoint("[::1]:6379") == ("::1", 6379)
    assert gcs_endpoint("auto") is None and gcs_endpoint("ray://head:10001") is None
    assert gcs_endpoint(None) is None
    monkeypatch.setenv("RAY_ADDRESS", "head:6380")
    assert gcs_endpoint(None) == ("head", 6380)


def test_an_address_where_no_ray_answers_is_one_line_at_once():
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'nntune[ray]')")
    port = _closed_port()
    began = time.monotonic()
    with pytest.raises(ConfigError, match=rf"search.ray_address: no Ray head answers at 127.0.0.1:{port}"):
        connect(ray, f"127.0.0.1:{port}")
    assert time.monotonic() - began < 10


@pytest.mark.timeout(120)  # Ray itself would keep trying for many minutes
def test_the_command_line_refuses_it_with_exit_code_2(call_cli, tmp_path, monkeypatch):
    # In this process: the executable's main, without a second start of torch.
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'nntune[ray]')")
    assert not ray.is_initialized()  # else the command would use that Ray, and check nothing
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--storage", "sqlite:///r.db", "--executor", "ray", "--ray-address",
                            f"127.0.0.1:{_closed_port()}", "--trials", "1")
    assert code == 2, err[-2000:]
    assert err.strip().splitlines()[-1].startswith("nntune: error: search.ray_address: no Ray head")
    assert "Traceback" not in err
    assert not ray.is_initialized()
    assert not (tmp_path / "r.db").exists()  # refused before any data, model or study


def test_nntune_tune_refuses_it_before_the_data_and_the_study(tmp_path, monkeypatch):
    import nntune

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with pytest.raises(ConfigError, match="^search.ray_address: no Ray head answers at 127.0.0.1:"):
        nntune.tune(set={"storage": url, "search.executor": "ray", "search.trials": 1,
                         "search.ray_address": f"127.0.0.1:{_closed_port()}"}, report=False, model_file=False)
    assert not (tmp_path / "r.db").exists()


@pytest.mark.parametrize("address, problem", [
    ("nonsense", "search.ray_address: Invalid address format: nonsense; give auto, HOST:PORT or ray://HOST:PORT"),
    ("", "search.ray_address: is empty; give auto, HOST:PORT or ray://HOST:PORT"),
])
def test_an_address_of_no_form_ray_reads_is_one_line(address, problem):
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'nntune[ray]')")
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(ConfigError, match=rf"^{problem}"):
        connect(ray, address)
    assert not ray.is_initialized()
    assert signal.getsignal(signal.SIGTERM) is handler  # ray.init's own, set before it failed, is gone


def test_without_an_address_ray_starts_here_even_beside_a_ray_start_cluster(tmp_path, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    pytest.importorskip("ray", reason="ray is not installed (pip install 'nntune[ray]')")
    from ray._private.services import canonicalize_bootstrap_address

    from nntune.executors._ray import init_address

    # What `ray start --head` leaves on this machine for Ray's default to join.
    (tmp_path / "ray_current_cluster").write_text("127.0.0.1:6399")
    assert canonicalize_bootstrap_address(None, str(tmp_path)).endswith(":6399")  # joined
    assert canonicalize_bootstrap_address(init_address(None, {}), str(tmp_path)) is None  # started here
    assert init_address(None, {"RAY_ADDRESS": "head:6379"}) is None  # Ray reads RAY_ADDRESS itself
    assert init_address("auto", {}) == "auto" and init_address("10.0.0.5:6379", {}) == "10.0.0.5:6379"
