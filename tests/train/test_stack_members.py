"""Members that come and go: isolation of a diverging member, add, remove, copy, retune,
compaction; and the stack's memory sizing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.train.loop import fit
from nntune.train.splits import Splits
from nntune.train.stack import Stack
from nntune.train.stack_run import (
    available_memory, estimate_member_bytes, fit_stack, member_bytes, population_size, run_chunk, split_on_oom,
)

BASE: dict[str, Any] = {"layers": 1, "units": 16, "batch_size": 128, "optimizer": "momentum", "epochs": 3}


def curves(history: list[dict[str, Any]]) -> list[float]:
    return [r[key] for r in history for key in ("train_loss", "val_loss", "value")]


def test_a_diverging_member_is_marked_and_the_others_go_on_unchanged(digits: Splits) -> None:
    good = [{**BASE, "lr": 0.05}, {**BASE, "lr": 0.02, "momentum": 0.5}]
    bad = {**BASE, "lr": 1e12}
    with_bad = fit_stack([good[0], bad, good[1]], digits, seeds=[0, 1, 2])
    without = fit_stack(good, digits, seeds=[0, 2])
    assert with_bad[1].diverged is not None and "loss is" in with_bad[1].diverged
    assert with_bad[1].epochs == 1 and with_bad[1].history == []
    for a, b in zip((with_bad[0], with_bad[2]), without):
        assert a.diverged is None and a.epochs == 3
        assert curves(a.history) == pytest.approx(curves(b.history), rel=1e-6)


def test_a_new_member_in_a_freed_slot_trains_as_fit_alone(digits: Splits) -> None:
    stack = Stack(BASE, digits, capacity=2, auto_compact=False)
    first = stack.add({**BASE, "lr": 0.05}, seed=0)
    second = stack.add({**BASE, "lr": 0.02, "epochs": 5}, seed=1)
    stack.run_epoch()
    removed = stack.remove(first)
    assert removed.epochs == 1 and len(removed.history) == 1 and stack.free_slots() == [first]
    newcomer = {**BASE, "optimizer": "nesterov", "lr": 0.03, "epochs": 2}
    assert stack.add(newcomer, seed=7, key="new") == first
    results = {r.key: r for r in stack.run()}
    assert curves(results["new"].history) == pytest.approx(curves(fit(newcomer, digits, seed=7).history), rel=1e-4)
    assert curves(results[second].history) == pytest.approx(
        curves(fit({**BASE, "lr": 0.02, "epochs": 5}, digits, seed=1).history), rel=1e-4)


def test_copy_takes_weights_and_optimizer_state_and_retuning_changes_the_rate(digits: Splits) -> None:
    stack = Stack(BASE, digits, capacity=2, auto_compact=False)
    a = stack.add({**BASE, "optimizer": "nesterov", "lr": 0.05, "epochs": 9}, seed=0)
    b = stack.add({**BASE, "lr": 0.01, "epochs": 9}, seed=1)
    stack.run_epoch()
    stack.copy(a, b)
    for name in stack.net.params:
        assert torch.equal(stack.net.params[name][a], stack.net.params[name][b])
    for state in stack.opt.state:
        assert torch.equal(state["momentum_buffer"][a], state["momentum_buffer"][b])
        assert bool(state["momentum_buffer"][b].abs().sum() > 0)
    assert stack.members[b].hp["optimizer"] == "nesterov" and len(stack.members[b].history) == 1
    stack.set_params(b, {**stack.members[b].hp, "lr": 0.2, "dropout": 0.3})
    assert float(stack.opt.h["lr"][b]) == pytest.approx(0.2) and float(stack.net.dropout[b]) == pytest.approx(0.3)
    assert float(stack.opt.state[0]["momentum_buffer"][b].abs().sum()) > 0  # state carried over
    stack.run_epoch()
    assert stack.members[b].history[-1]["lr"] == pytest.approx(0.2)
    assert stack.members[a].history[-1]["lr"] == pytest.approx(0.05)
    with pytest.raises(ConfigError, match="units"):
        stack.set_params(b, {**BASE, "units": 32})


def test_compaction_drops_free_slots_without_changing_anyone(digits: Splits) -> None:
    configs = [{**BASE, "lr": 0.01 * (i + 1), "epochs": 1 if i < 3 else 3} for i in range(4)]
    compacted = Stack(BASE, digits, capacity=4)
    kept = Stack(BASE, digits, capacity=4, auto_compact=False)
    for stack in (compacted, kept):
        for i, config in enumerate(configs):
            stack.add(config, seed=i, key=i)
    compacted.run_epoch()
    kept.run_epoch()
    assert compacted.capacity == 1 and kept.capacity == 4 and list(compacted.members) == [0]
    a, b = compacted.run(), kept.run()
    assert curves(a[0].history) == pytest.approx(curves(b[0].history), rel=1e-6)


def test_default_keys_stay_distinct_after_compaction(digits: Splits) -> None:
    # A member moved from slot 3 to slot 0 keeps its key 3; a newcomer in slot 3 took key 3 too.
    stack = Stack(BASE, digits, capacity=4, auto_compact=False)
    for i in range(4):
        stack.add({**BASE, "lr": 0.01}, seed=i)
    for slot in range(3):
        stack.remove(slot)
    stack.compact()
    assert [m.key for m in stack.members.values()] == [3]
    slots = [stack.add({**BASE, "lr": 0.01}, seed=i) for i in range(3)]
    keys = [m.key for m in stack.members.values()]
    assert slots == [1, 2, 3] and sorted(keys) == [1, 2, 3, 4]


def test_an_emptied_stack_takes_new_members(digits: Splits) -> None:
    stack = Stack(BASE, digits, capacity=2)
    for i in range(2):
        stack.add({**BASE, "lr": 0.05, "epochs": 1}, seed=i)
    assert len(stack.run_epoch()) == 2 and not stack.members
    assert stack.capacity == 1  # compacted, one free slot kept
    config = {**BASE, "lr": 0.03, "epochs": 2}
    stack.add(config, seed=5, key="again")
    stack.add({**BASE, "lr": 0.01, "epochs": 1}, seed=6)
    results = {r.key: r for r in stack.run()}
    assert curves(results["again"].history) == pytest.approx(curves(fit(config, digits, seed=5).history), rel=1e-4)


def test_members_must_share_the_structure(digits: Splits) -> None:
    stack = Stack(BASE, digits, capacity=1)
    with pytest.raises(ConfigError, match="^optimizer: 'adam' cannot join a stack of sgd, momentum, nesterov: "):
        stack.add({**BASE, "optimizer": "adam"})
    with pytest.raises(ConfigError, match="model"):
        Stack({**BASE, "model": "resnet18"}, digits)
    # Different structures go to different stacks, and results keep the input order.
    results = fit_stack([{**BASE, "units": 8}, {**BASE, "optimizer": "adam", "epochs": 1}], digits, population=1)
    assert [r.epochs for r in results] == [3, 1]
    with pytest.raises(ConfigError, match="population"):
        fit_stack([BASE], digits, population=0)


def test_population_sizing_and_the_estimate(digits: Splits) -> None:
    assert population_size(100, 1050) == 10 and population_size(100, 50) == 1
    assert population_size(100, 10_000, data_bytes=5_000, limit=20) == 20
    assert population_size(100, 10_000, data_bytes=5_000) == 50
    assert available_memory(torch.device("cpu"), 123) == 123 and available_memory(torch.device("cpu")) > 0
    hp = {**BASE, "units": 64}
    from nntune.train.loop import resolve_params

    full = resolve_params(hp, "classification")
    estimate = estimate_member_bytes(full, digits)
    stack = Stack(hp, digits, capacity=4)
    for seed in range(4):
        stack.add(hp, seed=seed)
    stack.run_epoch()
    held = sum(t.nbytes for t in (*stack.net.params.values(), *stack.net.buffers.values()))
    held += sum(t.nbytes for state in stack.opt.state for t in state.values())
    held += sum(p.grad.nbytes for p in stack.net.params.values() if p.grad is not None)
    assert held / 4 <= estimate <= 20 * held / 4  # per member: covers what is held, not wildly more
    assert member_bytes(1000, 10, 64, "adam") > member_bytes(1000, 10, 64, "sgd")
    # "auto" with a budget for two members cuts four configurations into two stacks.
    results = fit_stack([{**full, "epochs": 1}] * 4, digits, population="auto", memory_budget=2 * estimate + 1)
    assert [r.epochs for r in results] == [1, 1, 1, 1]


def test_a_stack_that_runs_out_of_memory_is_split_and_every_member_trains(digits: Splits) -> None:
    """A device that holds two members at most: the stack of five is halved until it fits."""
    configs = [{**BASE, "epochs": 1, "lr": 0.01 * (i + 1)} for i in range(5)]
    cpu = torch.device("cpu")
    tried: list[list[int]] = []

    def small_device(chunk: Any) -> Any:
        tried.append(list(chunk))
        if len(chunk) > 2:
            raise torch.OutOfMemoryError("out of memory (a device for two members)")
        return run_chunk(chunk, configs, [0] * 5, digits, "accuracy", cpu, None, None, None)

    results = split_on_oom([list(range(5))], small_device, cpu)
    assert tried == [[0, 1, 2, 3, 4], [0, 1], [2, 3, 4], [2], [3, 4]]
    assert sorted(results) == list(range(5)) and all(r.epochs == 1 and r.diverged is None for r in results.values())
    alone = fit(configs[3], digits, seed=0).history[-1]["val_loss"]
    assert abs(results[3].history[-1]["val_loss"] - alone) <= 1e-3 * abs(alone)

    def no_room(chunk: Any) -> Any:
        tried.append(list(chunk))
        raise torch.OutOfMemoryError("out of memory")

    tried.clear()
    with pytest.raises(torch.OutOfMemoryError):  # a single configuration that does not fit is not hidden
        split_on_oom([[0, 1]], no_room, cpu)
    assert tried == [[0, 1], [0]]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_stack_matches_its_memory_estimate(digits: Splits) -> None:
    from nntune.train.loop import resolve_params

    hp = resolve_params({**BASE, "units": 256, "epochs": 1}, "classification")
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    fit_stack([hp] * 8, digits, device="cuda")
    peak = torch.cuda.max_memory_allocated() - before
    assert peak <= 8 * estimate_member_bytes(hp, digits) + 64 * 1024**2


def test_a_member_checkpoint_resumes_in_fit(digits: Splits, tmp_path: Path) -> None:
    stack = Stack(BASE, digits, capacity=1)
    slot = stack.add({**BASE, "lr": 0.05}, seed=3)
    stack.run_epoch()
    stack.save_member(slot, tmp_path / "member.pt")
    weights = stack.net.member_state(slot)
    resumed = fit({**BASE, "lr": 0.05, "epochs": 2}, digits, seed=3, resume_from=tmp_path / "member.pt")
    assert [r["epoch"] for r in resumed.history] == [2] and resumed.iterations == 2 * len(stack.starts)
    first = fit({**BASE, "lr": 0.05, "epochs": 1}, digits, seed=3)
    assert torch.allclose(weights["fc1.weight"], first.model.state_dict()["fc1.weight"], atol=1e-5)


def test_the_callers_global_generator_is_left_alone(digits: Splits) -> None:
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    fit_stack([{**BASE, "epochs": 1, "dropout": 0.2}], digits, seeds=[4])
    assert torch.equal(torch.rand(3), expected)


def test_each_result_is_its_own_model_with_the_members_dropout(digits: Splits) -> None:
    stack = Stack(BASE, digits, capacity=2, auto_compact=False)
    plain = stack.add(BASE, seed=0)
    retuned = stack.add(BASE, seed=1)
    stack.set_params(retuned, {**BASE, "dropout": 0.3})  # dropout now on: its model gains Dropout layers
    stack.run_epoch()
    first, again = stack.member_model(plain, best=False), stack.member_model(plain, best=False)
    assert first is not again
    with torch.no_grad():
        next(first.parameters()).add_(1.0)  # one result changed by its caller leaves the other alone
    assert all(torch.equal(a, b) for a, b in zip(again.state_dict().values(), stack.net.member_state(plain).values()))
    rates = [m.p for m in stack.member_model(retuned).modules() if isinstance(m, torch.nn.Dropout)]
    assert rates and all(p == 0.3 for p in rates)
    assert not any(isinstance(m, torch.nn.Dropout) for m in first.modules())


@pytest.mark.parametrize("change", [
    {"epochs": 5},  # under a cosine schedule: its period shrinks to the new end
    {"lr_schedule": "step"},  # a new kind starts afresh at the base rate
    {"epochs": 6, "lr": 0.1, "momentum": 0.9, "weight_decay": 1e-3},
])
def test_a_change_taken_at_an_epoch_boundary_trains_as_fit_takes_it(change: dict[str, Any], digits: Splits) -> None:
    """``nntune trial set`` on a member: the same run as on a trial that fit trains alone."""
    config = {**BASE, "lr": 0.05, "momentum": 0.8, "weight_decay": 1e-4, "epochs": 8, "lr_schedule": "cosine",
              "warmup_epochs": 1}
    solo = fit(config, digits, seed=0, changes=lambda epoch, hp: dict(change) if epoch == 2 else {})
    stack = Stack(config, digits, capacity=1)
    slot = stack.add(config, seed=0)
    stack.run_epoch()
    stack.run_epoch()
    stack.change_params(slot, change)
    (result,) = stack.run()
    assert [r["lr"] for r in result.history] == pytest.approx([r["lr"] for r in solo.history], rel=1e-9)
    assert curves(result.history) == pytest.approx(curves(solo.history), rel=1e-4)
