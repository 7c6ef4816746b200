"""Keeping glibc's heap: a large block freed inside the block is reused without page faults."""

from __future__ import annotations

import resource

import pytest
import torch

from nntune.train import heap
from nntune.train.heap import retained_heap

SIZE = 48 * 2**20 // 4  # floats in 48 MB: above glibc's largest mmap threshold (32 MB)


def faults_to_refill() -> int:
    """Page faults of allocating, zeroing and freeing a 48 MB tensor, after one warm-up round."""
    torch.zeros(SIZE)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.zeros(SIZE)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(heap._MALLOPT is None, reason="only glibc's allocator is tuned")
def test_a_freed_large_tensor_is_reused_inside_the_block_and_mapped_anew_outside() -> None:
    pages = SIZE * 4 // resource.getpagesize()
    assert faults_to_refill() > pages // 2  # mmap'd and unmapped: every page faults again
    with retained_heap():
        assert heap.active()
        assert faults_to_refill() < pages // 20
    assert not heap.active()
    assert faults_to_refill() > pages // 2  # the defaults are back


def test_nested_blocks_keep_the_heap_until_the_outermost_ends() -> None:
    @retained_heap()
    def inner() -> bool:
        return heap.active()

    with retained_heap():
        assert inner() == (heap._MALLOPT is not None)
        assert heap.active() == (heap._MALLOPT is not None)
    assert not heap.active()
