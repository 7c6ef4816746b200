import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

import nntune.cli

# Helper modules beside the tests (a throwaway PostgreSQL server, objectives that worker
# processes import by name) are importable as top-level modules, also in spawned workers.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _postgres import postgres_server, postgresql_url  # noqa: E402,F401
from _browser import _browsers, _playwright, browser_context, chromium  # noqa: E402,F401
from _checkout import left_behind, snapshot, tracked_files  # noqa: E402

CHECKOUT = Path(__file__).resolve().parent.parent
_BEFORE = pytest.StashKey[dict]()


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _is_xdist_worker(session.config):  # the controller watches for all workers
        session.config.stash[_BEFORE] = snapshot(CHECKOUT)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when it left files in the checkout: tests write into tmp_path only."""
    before = session.config.stash.get(_BEFORE, None)
    if before is None or _is_xdist_worker(session.config):
        return
    left = left_behind(before, snapshot(CHECKOUT), tracked_files(CHECKOUT))
    if left:
        shown = ", ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        line = f"FAILED: the test suite left {len(left)} files in the checkout: {shown}"
        if reporter is not None:
            reporter.write("\n")
            reporter.write_line(line, red=True, bold=True)
        else:
            print(line, file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


T = TypeVar("T")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked slow run first, in every test process: the long ones then start early
    and the many short ones fill the gaps at the end, instead of one long test holding the run
    after everything else ended."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    items[:] = slow_first(items, workers, lambda item: item.get_closest_marker("slow") is not None,
                          lambda item: item.nodeid.split("::")[0])


def slow_first(items: list[T], workers: int, slow: Callable[[T], bool], group: Callable[[T], str]) -> list[T]:
    """``items`` ordered so that each of ``workers`` processes starts with its share of the slow
    ones. ``--dist worksteal`` hands each process one contiguous block of the list (the first
    ``len // workers``, then a share of the rest, in turn) and an idle process takes the tail of
    another's block: with every slow test at the head of the list, the first process ran them
    all one after another (Ray's last, alone, at the end of the run) while the others ran the
    short ones. The slow tests of one ``group`` (a file, whose module-scoped fixtures such as a
    Ray instance start once per process) stay together, each group given to the block with the
    fewest slow tests so far; each block is its slow tests, then its share of the short ones."""
    groups: dict[str, list[T]] = {}
    for item in items:
        if slow(item):
            groups.setdefault(group(item), []).append(item)
    blocks: list[list[T]] = [[] for _ in range(workers)]
    for tests in groups.values():
        min(blocks, key=len).extend(tests)
    light = [item for item in items if not slow(item)]
    left = len(items)
    for i, block in enumerate(blocks):  # the sizes worksteal hands out, in its arithmetic
        size = left // (workers - i)
        left -= size
        take = max(0, size - len(block))
        block.extend(light[:take])
        del light[:take]
    blocks[-1].extend(light)  # what a block of more slow tests than its share left over
    return [item for block in blocks for item in block]


@pytest.fixture(autouse=True)
def _work_in_tmp_path(tmp_path, monkeypatch):
    """Every test runs in its own temporary folder: relative outputs (reports/, checkpoints,
    labs-out/, nntune.db) land there, never in the checkout."""
    monkeypatch.chdir(tmp_path)

# One torch thread per process: the test models are small (more threads gain nothing) and
# on a 2-core machine two threads per process stall badly as soon as tests run subprocesses.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Keras 3 reads its backend once, at its first import (a star import of nntune.integration
# makes one): PyTorch's, with its config folder outside the home directory.
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp(prefix="nntune-tests-keras-"))


@pytest.fixture(autouse=True)
def _log_levels_restored():
    """nntune's (and Optuna's, once imported) verbosity as it was before each test: a test
    that quiets the logs would otherwise hide the records later tests in its process read."""
    optuna = sys.modules.get("optuna")
    before = nntune.logging.get_verbosity(), optuna.logging.get_verbosity() if optuna else None
    yield
    nntune.logging.set_verbosity(before[0])
    if optuna is not None:
        optuna.logging.set_verbosity(before[1])


_SESSION_SIGINT = signal.getsignal(signal.SIGINT)  # Python's own, raising KeyboardInterrupt


def _sigint_as_found(when: str, nodeid: str) -> None:
    """SIGINT's handler back to the session's, with a warning naming where another was found."""
    found = signal.getsignal(signal.SIGINT)
    if found is not _SESSION_SIGINT:
        signal.signal(signal.SIGINT, _SESSION_SIGINT)
        warnings.warn(f"SIGINT's handler was {found!r} {when} {nodeid}; put back", UserWarning)


@pytest.fixture(autouse=True)
def _sigint_handler_restored(request):
    """Every test starts and ends with Ctrl-C's handler as the session found it, put back
    with a warning naming the test where another was found: a library that takes SIGINT for
    its own run and keeps it (a handler that only sets a flag, or SIG_IGN), before a test or
    in an object's finalizer between two, made a later test's Ctrl-C do nothing in that
    process (the n_jobs Ctrl-C test saw 30 s of trials go on, in both of its forms)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _sigint_as_found("before", request.node.nodeid)
    yield
    _sigint_as_found("after", request.node.nodeid)


@pytest.fixture(autouse=True)
def _absl_writes_to_the_real_stderr():
    """Keras imports absl, whose log handler keeps the stderr of that moment: under pytest a
    test's capture, closed once the test ends, so any later test that logs through it failed
    with "I/O operation on closed file". After each test it writes to the process's stderr."""
    yield
    absl_logging = sys.modules.get("absl.logging")
    if absl_logging is not None:
        absl_logging.get_absl_handler().python_handler.stream = sys.__stderr__


@pytest.fixture(autouse=True)
def _one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def nntune_command() -> list[str]:
    script = Path(sys.executable).parent / "nntune"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nntune.cli"]


def ctrl_c_when(cmd: list[str], cwd: Path, ready, waiting_for: str,
                timeout: float = 120, sig: int | None = None) -> tuple[int, str, str]:
    """Run ``cmd`` in its own process group and, once ``ready()`` holds, send SIGINT to the
    whole group, as a terminal does on Ctrl-C (or ``sig``: SIGTERM as ``kill`` or a batch
    scheduler sends it). The exit code, stdout and stderr."""
    import signal
    import time

    sig = signal.SIGINT if sig is None else sig

    # Python's fault handler writes every thread's stack on SIGABRT: what a process that
    # does not end after the Ctrl-C was doing is in the failure's message.
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, f"{waiting_for} never happened"
            time.sleep(0.05)
        os.killpg(proc.pid, sig)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            left = _group_left(proc.pid)
            os.killpg(proc.pid, signal.SIGABRT)
            out, err = proc.communicate(timeout=30)
            # The fault handler's dump (every thread's stack) without the loaded modules' list after it.
            dump = err[max(0, err.find("Fatal Python error")):].split("\nExtension modules:")[0]
            raise AssertionError(f"still running 60 s after Ctrl-C: {left}\n{dump[-8000:]}") from None
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err


def _group_left(pgid: int) -> list[str]:
    """The processes of group ``pgid`` still there: pid, state and command line."""
    import psutil

    left = []
    for p in psutil.process_iter(["pid", "status", "cmdline"]):
        try:
            if os.getpgid(p.pid) == pgid:
                left.append(f"{p.pid} {p.info['status']} {' '.join(p.info['cmdline'] or [])[:120]}")
        except (OSError, psutil.Error):
            continue
    return left


@pytest.fixture
def run_cli(tmp_path):
    """Run the real ``nntune`` executable in tmp_path; returns the CompletedProcess."""
    def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([*nntune_command(), *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    return run


@pytest.fixture
def call_cli(monkeypatch, capsys):
    """Run ``nntune.cli.main`` in this process (fast); returns (exit code, stdout, stderr)."""
    def call(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["nntune", *args])
        code = 0
        try:
            nntune.cli.main()
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err
    return call


@pytest.fixture
def own_module(tmp_path, monkeypatch):
    """Write ``source`` as the module ``name`` in tmp_path, the working folder, where a
    config's ``model: name:Builder`` finds it; forgotten again after the test (builders are
    cached by module name, and the next test's module of that name is another file)."""
    written: list[str] = []
    # The working folder nntune adds to sys.path goes with the test too: left there, a later
    # test's module of the same name is imported from this folder, which comes first.
    monkeypatch.setattr(sys, "path", list(sys.path))

    def write(name: str, source: str) -> Path:
        (tmp_path / f"{name}.py").write_text(source)
        monkeypatch.chdir(tmp_path)
        written.append(name)
        return tmp_path

    yield write
    for name in written:
        sys.modules.pop(name, None)


def has(tool: str) -> bool:
    return shutil.which(tool) is not None
