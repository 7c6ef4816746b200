"""Large tensors without a page fault on every step: glibc's heap keeps the memory it frees.

PyTorch allocates CPU tensors with ``posix_memalign``. glibc serves a block above its mmap
threshold (at most 32 MB) with a fresh ``mmap`` and unmaps it on ``free``, so a tensor of
that size, allocated and freed once per training step, is faulted in page by page every
step: 12,500 page faults and about 22 ms of CPU for one 51 MB tensor, against 7 ms to
zero the same memory once it is mapped. The stacked trainer makes such tensors (a
convolution's output for 32 members is 51 MB) several times per step.

:class:`retained_heap` turns glibc's mmap off (``M_MMAP_MAX`` 0) and its trimming down
(``M_TRIM_THRESHOLD``) for the duration of a block, so every block comes from the heap and
freed memory can be reused by the next step.

Leaving the block cannot give glibc back its dynamic mmap threshold: any ``mallopt`` of
these settings turns that rule off for the rest of the process, and the fixed 128 kB
threshold left behind mapped and faulted every activation over 128 kB of the runs that
came after (a solo CNN ``fit`` after a stack: 125,000-292,000 page faults and 13-36% more
CPU than in a fresh process, whose dynamic threshold had risen past its activations).
So the block leaves the threshold where the dynamic rule ends, 32 MB, and trimming at
twice that (what the rule sets): the same ``fit`` then makes 30,000 faults against
41,000 in a fresh process, at the same CPU time.

Inside the block a freed block is still not always reused, for a reason in glibc (2.36,
fixed in 2.38) and not in the settings: ``posix_memalign`` asks for the size plus the
alignment plus 32 bytes and frees the tail it did not need; that tail, under 100 bytes,
lands in the thread's cache of small chunks (tcache), where it counts as in use and keeps
the large block, once freed, from merging with the free space after it. The next request
of the same size is the tail larger than the freed block, so the heap grows instead and
the new pages fault: a lone 48 MB block, allocated and freed in a loop in a fresh process,
faulted every page each time (the tail gets out of the way only once that cache's bin is
full, which the process's other small allocations decide, so it varies by process). With
``GLIBC_TUNABLES=glibc.malloc.tcache_count=0`` in the environment at start the block is
reused every time; it cannot be set once a process runs, and nntune does not set it: the
training steps free and allocate many sizes, so their blocks are reused anyway. Measured
in fresh processes on one thread, K=32, inside the block: the digits MLP's step made 0
faults in 10 of 10 processes (its backward time varied 2.1-2.6 ms with the machine's load,
in a fixed ratio to the forward pass's, 1.57-1.63), the CNN's step 0-1,045 (against
12,500 for one lone 48 MB block), and the tunable changed neither step's CPU time.
Elsewhere (another C library, or another system) the block does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from contextlib import ContextDecorator
from typing import Any

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4
DEFAULT_MMAP_MAX = 65536
# Where glibc's dynamic rule leaves the thresholds at most (64-bit): mmap above 32 MB, trim above twice that.
AFTER_MMAP_THRESHOLD = 32 * 1024 * 1024
AFTER_TRIM_THRESHOLD = 2 * AFTER_MMAP_THRESHOLD
KEEP_TRIM_THRESHOLD = 2**31 - 1  # mallopt takes an int


def _glibc_mallopt() -> Any | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it (musl has mallopt as a stub)
        return libc.mallopt
    except (OSError, AttributeError):
        return None


_MALLOPT = _glibc_mallopt()
_LOCK = threading.Lock()
_DEPTH = 0
_SETTINGS: list[int] = []  # what glibc's mallopt returned (1: taken) for the last settings made


class retained_heap(ContextDecorator):  # noqa: N801 - used as a decorator, named like one
    """Within the block (or decorated function), freed memory stays with the process for reuse;
    after it, blocks up to 32 MB come from the heap and the heap is trimmed above 64 MB free."""

    def __enter__(self) -> retained_heap:
        global _DEPTH
        with _LOCK:
            if _MALLOPT is not None and _DEPTH == 0:
                _SETTINGS[:] = [_MALLOPT(M_MMAP_MAX, 0), _MALLOPT(M_TRIM_THRESHOLD, KEEP_TRIM_THRESHOLD)]
            _DEPTH += 1
        return self

    def __exit__(self, *exc: object) -> None:
        global _DEPTH
        with _LOCK:
            _DEPTH -= 1
            if _MALLOPT is not None and _DEPTH == 0:
                _SETTINGS[:] = [_MALLOPT(M_MMAP_MAX, DEFAULT_MMAP_MAX),
                                _MALLOPT(M_MMAP_THRESHOLD, AFTER_MMAP_THRESHOLD),
                                _MALLOPT(M_TRIM_THRESHOLD, AFTER_TRIM_THRESHOLD)]


def settings_taken() -> bool:
    """Whether glibc took the last settings made (on entering or leaving the outermost block)."""
    return bool(_SETTINGS) and all(r == 1 for r in _SETTINGS)


def active() -> bool:
    """Whether glibc's heap is being kept now (only inside :class:`retained_heap`, on glibc)."""
    return _MALLOPT is not None and _DEPTH > 0
