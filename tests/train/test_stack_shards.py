"""A stack trained as shards side by side, one thread each: the same results as one stack."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.train.splits import Splits
from nntune.train.stack_run import SHARD_MIN_FLOPS, fit_stack, shard_count, split_even

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def count(shards: int | str = "auto", members: int = 32, device: torch.device = CPU, flops: float = 1e9,
          threads: int = 2, fixed: bool = False, others: int = 0, cap: int | None = None,
          augment: bool = False) -> int:
    return shard_count(shards, members, device, flops, threads, fixed, others, cap, augment)


def test_auto_takes_the_threads_the_rule_gives_the_stack_s_work() -> None:
    assert count() == 2
    assert count(threads=4, flops=2 * SHARD_MIN_FLOPS) == 2  # a shard's step holds at least SHARD_MIN_FLOPS
    assert count(threads=4, flops=4 * SHARD_MIN_FLOPS) == 4
    assert count(flops=32 * 9.9e6) == 2  # 32 digits MLPs: 2 shards of 16 beat one stack once a core is taken
    assert count(flops=16 * 9.9e6) == 1  # 16 of them: each shard's own per-step work costs more
    assert count(flops=1e6) == 1  # a step too small for a second thread
    assert count(flops=1e6, fixed=True) == 1  # NNTUNE_THREADS=2 obeyed: one stack on both threads
    assert count(members=3, threads=8, flops=8e9) == 3  # never more shards than members


def test_auto_keeps_one_stack_where_the_threads_are_not_its_own() -> None:
    assert count(device=CUDA) == 1
    assert count(others=1) == 1  # another run of the process is active
    assert count(cap=1) == 1 and count(threads=4, cap=2) == 2  # optimize(n_jobs=N)'s share
    assert count(augment=True) == 1  # augmentations may draw from the shared global generator


def test_a_count_is_taken_as_given_up_to_the_members() -> None:
    assert count(3, device=CUDA, others=2, augment=True) == 3
    assert count(5, members=2) == 2


def test_split_even_keeps_order_and_sizes_within_one() -> None:
    assert split_even([4, 5, 6, 7, 8], 2) == [[4, 5], [6, 7, 8]]
    assert split_even(list(range(7)), 3) == [[0, 1], [2, 3], [4, 5, 6]]
    assert split_even([1], 1) == [[1]]


def test_shards_give_each_member_the_results_of_one_stack(digits: Splits) -> None:
    base = {"model": "mlp", "layers": 2, "units": 24, "batch_size": 128, "optimizer": "momentum"}
    configs = [{**base, "lr": 0.01 * (i + 1), "momentum": 0.5 + 0.1 * i, "epochs": 2 + i % 2} for i in range(5)]
    configs[3]["early_stopping"], configs[3]["patience"] = True, 1
    seeds = [3, 1, 4, 1, 5]
    threads = torch.get_num_threads()
    seen: list[tuple[Any, int]] = []

    def report(key: Any, epoch: int, record: dict) -> bool:
        seen.append((key, epoch))
        return key == 4 and epoch == 1  # ends member 4 after its first epoch

    one = fit_stack(configs, digits, seeds=seeds, shards=1)
    sharded = fit_stack(configs, digits, seeds=seeds, shards=2, report=report)
    assert torch.get_num_threads() == threads
    assert sorted(seen) == [(i, e) for i, r in enumerate(sharded) for e in range(1, r.epochs + 1)]
    assert sharded[4].stopped_by_report and sharded[4].epochs == 1
    for a, b in zip(one[:4], sharded[:4]):
        assert b.epochs == a.epochs
        for ra, rb in zip(a.history, b.history):
            assert rb["val_loss"] == pytest.approx(ra["val_loss"], rel=1e-5)
            assert rb["train_loss"] == pytest.approx(ra["train_loss"], rel=1e-5)
        for name, tensor in a.model.state_dict().items():
            torch.testing.assert_close(b.model.state_dict()[name], tensor, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shards", [0, -1, "two", True, 1.5])
def test_a_bad_shard_count_names_the_field(shards: Any, digits: Splits) -> None:
    with pytest.raises(ConfigError, match="shards"):
        fit_stack([{"model": "mlp", "epochs": 1}], digits, shards=shards)


def test_a_failing_shard_fails_the_call_and_stops_the_others(digits: Splits) -> None:
    configs = [{"model": "mlp", "layers": 1, "units": 8, "batch_size": 256, "epochs": 400}] * 2 + \
        [{"model": "mlp", "layers": 1, "units": 8, "batch_size": 256, "epochs": 2}] * 2
    epochs: dict[Any, int] = {}

    def report(key: Any, epoch: int, record: dict) -> bool:
        epochs[key] = epoch
        if key == 3 and epoch == 2:
            raise ValueError("from the report")
        return False

    with pytest.raises(ValueError, match="from the report"):
        fit_stack(configs, digits, seeds=[0, 1, 2, 3], shards=2, report=report)
    # The shard of members 0 and 1 ended early; it may not have reported at all by then (a
    # forked shard's first report can arrive after the other shard's second).
    assert epochs.get(0, 0) < 400
