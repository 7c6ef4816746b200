"""Memory of a trial: its peak (host and GPU), and giving memory back between trials.

On Linux the kernel keeps a process's peak resident set (VmHWM) and resets it on request,
so the peak of one trial is exact; elsewhere the heartbeat's samples give a lower bound.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Callable
from pathlib import Path

MB = 1024 * 1024


def rss_mb(pid: int | None = None, *, with_children: bool = False) -> float:
    """Resident memory of a process (this one by default), optionally with its children."""
    import psutil

    try:
        proc = psutil.Process(pid)
        total = proc.memory_info().rss
        if with_children:
            for child in proc.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
        return total / MB
    except psutil.Error:
        return 0.0


def private_mb(pid: int, *, with_children: bool = False) -> float:
    """Memory that a process (and its children) holds for itself: its unique set, what
    killing it would free. Pages it shares unchanged with the fork server it came from (torch
    and nntune, imported once for every worker) do not count; where the unique set cannot be
    read, the resident set does."""
    import psutil

    def one(proc: psutil.Process) -> int:
        try:
            return int(proc.memory_full_info().uss)
        except psutil.AccessDenied:
            return int(proc.memory_info().rss)

    try:
        proc = psutil.Process(pid)
        total = one(proc)
        if with_children:
            for child in proc.children(recursive=True):
                try:
                    total += one(child)
                except psutil.Error:
                    pass
        return total / MB
    except psutil.Error:
        return 0.0


def _status_kb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        return None
    return None


class PeakMemory:
    """The peak resident memory of this process between ``reset()`` and ``peak_mb()``."""

    def __init__(self) -> None:
        self._sampled = 0.0
        self._kernel = False

    def reset(self) -> None:
        try:
            Path("/proc/self/clear_refs").write_text("5")  # VmHWM := current RSS
            self._kernel = _status_kb("VmHWM") is not None
        except OSError:
            self._kernel = False
        self._sampled = rss_mb()
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.reset_peak_memory_stats()

    def sample(self) -> None:
        """Note the current resident memory (where the kernel keeps no peak)."""
        if not self._kernel:
            self._sampled = max(self._sampled, rss_mb())

    def peak_mb(self) -> float:
        if self._kernel:
            hwm = _status_kb("VmHWM")
            if hwm is not None:
                return round(hwm / 1024, 1)
        self.sample()
        return round(self._sampled, 1)


def gpu_peak_mb() -> float | None:
    """Peak GPU memory allocated by torch since the last reset, None without CUDA in use."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return None
    return round(torch.cuda.max_memory_allocated() / MB, 1)


class MemoryKeeper:
    """Gives memory back between trials, cheaply: a full garbage collection (and handing
    freed heap to the OS) only once resident memory has grown ``slack_mb`` past what it was
    after the last one, since a full collection costs far more than a trivial trial. The
    first trial only sets that baseline: a collection over a heap that has not grown frees
    nothing, and with torch and scikit-learn imported it takes about 0.4 s, longer than a
    whole small trial."""

    def __init__(self, slack_mb: float = 32.0, *, rss: Callable[[], float] = rss_mb,
                 release: Callable[[], None] | None = None) -> None:
        self.slack_mb = slack_mb
        self.baseline: float | None = None
        self._rss = rss
        self._release = release or release_memory

    def after_trial(self) -> None:
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.empty_cache()
        now = self._rss()
        if self.baseline is None:
            self.baseline = now
        elif now > self.baseline + self.slack_mb:
            self._release()
            self.baseline = self._rss()


def release_memory() -> None:
    """Collect garbage and hand freed heap back to the OS."""
    gc.collect()
    libc_name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    if libc_name:
        try:
            ctypes.CDLL(libc_name).malloc_trim(0)
        except (OSError, AttributeError):
            pass
