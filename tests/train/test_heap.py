"""Keeping glibc's heap: inside the block no tensor is mapped on its own; after it, only
tensors above glibc's largest dynamic threshold (32 MB) are."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from nntune.train import heap
from nntune.train.heap import retained_heap

SIZE = 48 * 2**20 // 4  # floats in 48 MB: above glibc's largest mmap threshold (32 MB)
ACTIVATION = 8 * 2**20 // 4  # floats in 8 MB: below it, above its 128 kB default
IS_MMAPPED = 0x2  # the flag in a glibc chunk's size word, just before the memory it hands out


def mapped_alone(t: torch.Tensor) -> bool:
    """Whether glibc served ``t``'s memory with an mmap of its own (torch's CPU allocator
    hands out what posix_memalign returned, so the chunk's size word is the 8 bytes before)."""
    return bool(ctypes.c_size_t.from_address(t.data_ptr() - 8).value & IS_MMAPPED)


@pytest.mark.skipif(heap._MALLOPT is None, reason="only glibc's allocator is tuned")
def test_glibc_takes_the_settings_in_the_block_and_the_defaults_after_it() -> None:
    with retained_heap():
        assert heap.active() and heap.settings_taken()
    assert not heap.active() and heap.settings_taken()
    torch.zeros(SIZE)  # a large block after the defaults are back works as before


def large_blocks_check() -> None:
    with retained_heap():
        assert not mapped_alone(torch.empty(SIZE)) and not mapped_alone(torch.empty(ACTIVATION))
    # A fixed 128 kB threshold after the block would map (and fault in) every activation of the
    # runs after it: glibc's dynamic rule is off for good once the settings are made.
    ctypes.CDLL("libc.so.6").malloc_trim(0)  # no free space left at the heap's top to serve them from
    assert not mapped_alone(torch.empty(ACTIVATION))
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    assert mapped_alone(torch.empty(SIZE))


@pytest.mark.skipif(heap._MALLOPT is None, reason="only glibc's allocator is tuned")
def test_large_blocks_come_from_the_heap_inside_and_up_to_32_mb_after() -> None:
    # In a fresh interpreter: a free chunk of 48 MB left in the middle of this process's heap
    # by an earlier test would serve the last tensor without an mmap, whatever the settings.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_heap; test_heap.large_blocks_check()")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_nested_blocks_keep_the_heap_until_the_outermost_ends() -> None:
    @retained_heap()
    def inner() -> bool:
        return heap.active()

    with retained_heap():
        assert inner() == (heap._MALLOPT is not None)
        assert heap.active() == (heap._MALLOPT is not None)
    assert not heap.active()
