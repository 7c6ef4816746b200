"""Keeping glibc's heap: glibc takes the settings inside the block and its defaults after it."""

from __future__ import annotations

import pytest
import torch

from nntune.train import heap
from nntune.train.heap import retained_heap

SIZE = 48 * 2**20 // 4  # floats in 48 MB: above glibc's largest mmap threshold (32 MB)


@pytest.mark.skipif(heap._MALLOPT is None, reason="only glibc's allocator is tuned")
def test_glibc_takes_the_settings_in_the_block_and_the_defaults_after_it() -> None:
    with retained_heap():
        assert heap.active() and heap.settings_taken()
    assert not heap.active() and heap.settings_taken()
    torch.zeros(SIZE)  # a large block after the defaults are back works as before


def test_nested_blocks_keep_the_heap_until_the_outermost_ends() -> None:
    @retained_heap()
    def inner() -> bool:
        return heap.active()

    with retained_heap():
        assert inner() == (heap._MALLOPT is not None)
        assert heap.active() == (heap._MALLOPT is not None)
    assert not heap.active()
