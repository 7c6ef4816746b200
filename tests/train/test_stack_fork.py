"""Shards as forked processes: the caller's report answered in the caller, a shard's error
raised there, a killed shard named, Ctrl-C ending every shard, and threads where forking
is not safe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any

import psutil
import pytest
import torch

from nntune.train import stack_run
from nntune.train.splits import Splits
from nntune.train.stack import Stack
from nntune.train.stack_fork import can_fork, fork_safe, run_forked
from nntune.train.stack_run import fit_stack

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked shards need Linux")

BASE = {"model": "mlp", "layers": 1, "units": 16, "batch_size": 128, "optimizer": "momentum", "epochs": 2}


def configs(n: int = 4, **extra: Any) -> list[dict[str, Any]]:
    return [{**BASE, "lr": 0.01 * (i + 1), **extra} for i in range(n)]


_BEFORE: set[int] = set()  # this process's children before the test (an earlier test's fork server, say)


def no_children() -> bool:
    """No child of this process but those it had before the test: every shard reaped."""
    return {p.pid for p in psutil.Process().children()} <= _BEFORE


@pytest.fixture(autouse=True)
def forking(monkeypatch) -> None:
    """Shards fork in every test here, whatever threads earlier tests of this process left
    running (Ray's, a web server's): the rule that decides it is tested on its own below."""
    monkeypatch.setattr(stack_run, "SHARD_PROCESSES", "always")
    _BEFORE.clear()
    _BEFORE.update(p.pid for p in psutil.Process().children())


class Named:
    def __init__(self, name: str) -> None:
        self.name = name


def test_only_nntune_s_own_fork_safe_threads_may_run_beside_a_fork() -> None:
    here = Named("MainThread")
    assert fork_safe([here], here)  # type: ignore[list-item,arg-type]
    assert fork_safe([here, Named("nntune-lock-watch")], here)  # type: ignore[list-item,arg-type]
    assert not fork_safe([here, Named("nntune-lock-watch"), Named("ray_print_logs")], here)  # type: ignore[list-item,arg-type]
    assert not fork_safe([here, Named("Thread-1")], here)  # type: ignore[list-item,arg-type]


def test_reports_are_answered_in_the_caller_and_results_match_threads(digits: Splits) -> None:
    where: set[tuple[str, int]] = set()

    def report(key: Any, epoch: int, record: dict) -> bool:
        where.add((threading.current_thread().name, os.getpid()))
        return key == 1  # member 1 ends after its first epoch

    forked = fit_stack(configs(), digits, seeds=[0, 1, 2, 3], shards=2, report=report)
    assert where == {(threading.main_thread().name, os.getpid())}  # not in a shard thread, not in a child
    assert forked[1].stopped_by_report and forked[1].epochs == 1 and forked[0].epochs == 2
    assert no_children()

    stop = threading.Event()  # another thread alive: forking is not safe, the shards are threads
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not can_fork()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(stack_run, "SHARD_PROCESSES", "auto")
            threaded = fit_stack(configs(), digits, seeds=[0, 1, 2, 3], shards=2, report=report)
    finally:
        stop.set()
        other.join()
    assert any(name.startswith("nntune-shard") for name, _pid in where)
    for a, b in zip(forked, threaded):
        assert [r["val_loss"] for r in a.history] == [r["val_loss"] for r in b.history]
        for name, tensor in a.model.state_dict().items():
            assert torch.equal(b.model.state_dict()[name], tensor)


def test_a_shard_s_error_is_raised_in_the_caller_with_its_type(digits: Splits, monkeypatch) -> None:
    train = Stack.run_epoch

    def failing(self: Stack, report: Any = None) -> Any:
        if 3 in {m.key for m in self.members.values()}:
            raise ValueError("member 3's shard broke")
        return train(self, report)

    monkeypatch.setattr(Stack, "run_epoch", failing)  # the children inherit it
    with pytest.raises(ValueError, match="member 3's shard broke"):
        fit_stack(configs(epochs=500), digits, seeds=[0, 1, 2, 3], shards=2)  # the other shard is killed
    assert no_children()


def test_an_error_that_does_not_pickle_comes_back_named() -> None:
    class Odd(Exception):
        def __init__(self, a: int, b: int) -> None:  # args (a + b,) cannot rebuild it
            super().__init__(a + b)

    def run(report: Any) -> list:
        raise Odd(1, 2)

    with pytest.raises(RuntimeError, match="^Odd: 3$"):
        run_forked([run], None)
    assert no_children()


def test_a_killed_shard_is_named_and_the_others_end(digits: Splits, monkeypatch) -> None:
    train = Stack.run_epoch

    parent = os.getpid()

    def killed(self: Stack, report: Any = None) -> Any:
        if 0 in {m.key for m in self.members.values()} and os.getpid() != parent:  # a shard, never the test
            os.kill(os.getpid(), signal.SIGKILL)
        return train(self, report)

    monkeypatch.setattr(Stack, "run_epoch", killed)
    with pytest.raises(RuntimeError, match=r"a stack shard \(process \d+\) ended without its results"):
        fit_stack(configs(epochs=500), digits, seeds=[0, 1, 2, 3], shards=2)
    assert no_children()


def test_ctrl_c_in_the_caller_ends_every_shard(digits: Splits) -> None:
    def report(key: Any, epoch: int, record: dict) -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_stack(configs(epochs=500), digits, seeds=[0, 1, 2, 3], shards=2, report=report)
    assert no_children()


def test_the_switch_turns_processes_off(digits: Splits, monkeypatch) -> None:
    names: set[str] = set()
    monkeypatch.setattr(stack_run, "SHARD_PROCESSES", "never")
    fit_stack(configs(), digits, seeds=[0, 1, 2, 3], shards=2,
              report=lambda key, epoch, record: names.add(threading.current_thread().name) and False)
    assert names and all(n.startswith("nntune-shard") for n in names)


@pytest.mark.timeout(120)
def test_shards_forked_after_parallel_regions_finish(digits: Splits) -> None:
    # libgomp is not fork-safe: a child whose first OpenMP region has a team of several
    # threads waits forever for the parent's pool. A shard trains on one thread, which
    # enters no region, so a parent that ran regions on 2 threads forks shards that end.
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        a = torch.randn(512, 512)
        float((a @ a).sum() + torch.randn(2_000_000).exp_().sum())
        results = fit_stack(configs(), digits, seeds=[0, 1, 2, 3], shards=2)
    finally:
        torch.set_num_threads(before)
    assert [r.epochs for r in results] == [2, 2, 2, 2]
    assert no_children()


def test_the_sqlite_watch_thread_is_one_of_the_fork_safe(tmp_path) -> None:
    import nntune

    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")  # starts the lock watch
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    watch = [t for t in threading.enumerate() if t.name == "nntune-lock-watch"]
    assert watch and fork_safe(watch + [threading.current_thread()], threading.current_thread())


def test_what_a_shard_prints_is_not_lost() -> None:
    # stdout to a pipe is block-buffered: what the shard printed sits in Python's buffer,
    # which os._exit would drop.
    code = ("from nntune.train.stack_fork import run_forked\n"
            "def run(report):\n    print('from the shard')\n    return [1]\n"
            "assert run_forked([run], None) == [1]\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "from the shard\n"
