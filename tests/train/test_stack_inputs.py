"""What a stack takes from its caller: seeds and population sizes as numpy gives them,
values refused in one line before anything changes, and changes to a running member that
end it where ``fit`` would end it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.train.loop import fit
from nntune.train.optim import current_lr
from nntune.train.splits import Splits
from nntune.train.stack import Stack
from nntune.train.stack_run import fit_stack, run_chunk, split_on_oom

BASE: dict[str, Any] = {"layers": 1, "units": 8, "batch_size": 200, "optimizer": "adam", "lr": 0.01, "epochs": 2}


def test_numpy_seeds_are_taken_as_fit_takes_them(digits: Splits) -> None:
    stacked = fit_stack([BASE, BASE], digits, seeds=np.arange(3, 5))
    for seed, result in zip((3, 4), stacked):
        assert result.history[-1]["val_loss"] == pytest.approx(fit(BASE, digits, seed=seed).history[-1]["val_loss"],
                                                               rel=1e-4)


@pytest.mark.parametrize("seed", [0.5, None, -1, 2**64, True])
def test_a_seed_that_is_not_a_generator_seed_is_refused_naming_it(digits: Splits, seed: Any) -> None:
    with pytest.raises(ConfigError, match="^seed: must be an integer"):
        fit_stack([BASE], digits, seeds=[seed])


def test_a_numpy_population_cuts_stacks_and_a_fractional_one_is_refused(digits: Splits) -> None:
    configs = [{**BASE, "epochs": 1, "lr": 0.01 * (i + 1)} for i in range(3)]
    times = [r.history[-1]["epoch_time"] for r in fit_stack(configs, digits, population=np.int64(2), shards=1)]
    assert times[0] == times[1] != times[2]  # a stack's time is shared out among its members: two stacks
    with pytest.raises(ConfigError, match="^population: must be an integer >= 1 or 'auto', got 2.5$"):
        fit_stack(configs, digits, population=2.5)


@pytest.mark.parametrize(("change", "field"), [({"optimizer": "lbfgs"}, "optimizer"), ({"optimizer": "Adam"}, "optimizer"),
                                               ({"backbone_lr_mult": "x"}, "backbone_lr_mult")])
def test_an_unknown_optimizer_with_its_own_rate_is_refused_as_fit_refuses_it(
        digits: Splits, change: dict[str, Any], field: str) -> None:
    config = {**BASE, **change}
    with pytest.raises(ConfigError) as solo:
        fit(config, digits)
    with pytest.raises(ConfigError) as stacked:
        fit_stack([config], digits)
    assert str(stacked.value) == str(solo.value) and str(solo.value).startswith(f"{field}: ")


@pytest.mark.parametrize("bad", [{"grad_clip": -1}, {"l1": -1}, {"lr": -1}, {"init": "normal", "init_std": -1},
                                 {"lr_schedule": "plateau", "lr_factor": 2.0}])
def test_a_refused_member_leaves_no_member_weights_or_slots_behind(digits: Splits, bad: dict[str, Any]) -> None:
    stack = Stack(BASE, digits, capacity=1)
    with pytest.raises((ConfigError, ValueError)):
        stack.add({**BASE, **bad}, key="bad")
    assert stack.members == {} and stack.capacity == 1
    assert all(float(t.abs().sum()) == 0 for t in stack.net.member_state(0).values())
    assert stack.run() == []


@pytest.mark.parametrize("change", [{"grad_clip": -1}, {"dropout": 2.0}, {"lr": -1},
                                    {"lr_schedule": "plateau", "lr_factor": 1.5, "warmup_epochs": 1}])
def test_a_refused_change_leaves_the_member_as_it_was(digits: Splits, change: dict[str, Any]) -> None:
    stack = Stack(BASE, digits, capacity=1)
    slot = stack.add({**BASE, "epochs": 3})
    stack.run_epoch()
    member = stack.members[slot]
    before = (dict(member.hp), current_lr(member.clock), stack.opt.h["lr"].tolist(), stack.opt.h["grad_clip"].tolist())
    with pytest.raises((ConfigError, ValueError)):
        stack.change_params(slot, change)
    assert (dict(member.hp), current_lr(member.clock), stack.opt.h["lr"].tolist(),
            stack.opt.h["grad_clip"].tolist()) == before
    with pytest.raises((ConfigError, ValueError)):
        stack.set_params(slot, {**member.hp, **change})
    assert (dict(member.hp), current_lr(member.clock)) == before[:2]


@pytest.mark.parametrize(("change", "stopped_early", "epochs"), [
    ({"epochs": 2}, False, 3),
    # Patience 0 after an improving epoch 3: epoch 4 cannot improve by 5.0, and ends the run.
    ({"early_stopping": True, "patience": 0, "min_delta": 5.0}, True, 4)])
def test_a_change_that_ends_a_member_ends_it_as_in_fit(
        digits: Splits, change: dict[str, Any], stopped_early: bool, epochs: int) -> None:
    config = {**BASE, "epochs": 5}
    solo = fit(config, digits, seed=1, changes=lambda epoch, hp: change if epoch == 3 else {})
    stack = Stack(config, digits, capacity=2, auto_compact=False)
    slot = stack.add(config, seed=1, key="changed")
    stack.add({**config, "lr": 0.02}, seed=2, key="other")
    for _ in range(3):
        assert stack.run_epoch() == []
    stack.change_params(slot, change)
    ended = stack.run_epoch()
    assert [r.key for r in ended] == ["changed"] and sorted(stack.members) == [1]
    result = ended[0]
    assert (result.epochs, len(result.history), result.stopped_early) == (solo.epochs, epochs, stopped_early)
    assert solo.epochs == epochs and solo.stopped_early is stopped_early
    assert stack.members[1].epoch == 4  # the other member trained on


def test_set_params_below_the_epochs_done_ends_the_member_as_a_resumed_fit_ends(digits: Splits) -> None:
    stack = Stack(BASE, digits, capacity=1)
    slot = stack.add({**BASE, "epochs": 4})
    stack.run_epoch()
    stack.run_epoch()
    stack.set_params(slot, {**BASE, "epochs": 1})
    (result,) = stack.run_epoch()
    assert (result.epochs, len(result.history), result.stopped_early) == (2, 2, False)


def test_a_slot_without_a_member_is_refused_naming_the_slot(digits: Splits, tmp_path: Path) -> None:
    stack = Stack(BASE, digits, capacity=2, auto_compact=False)
    stack.add(BASE)
    calls = [lambda: stack.remove(1), lambda: stack.copy(0, 1), lambda: stack.copy(1, 0),
             lambda: stack.set_params(1, BASE), lambda: stack.change_params(1, {"lr": 0.1}),
             lambda: stack.member_model(1), lambda: stack.save_member(1, tmp_path / "m.pt"), lambda: stack.remove(7)]
    for call in calls:
        with pytest.raises(ConfigError, match=r"^slot: no member in slot \d; members are in slots \[0\]$"):
            call()
    assert sorted(stack.members) == [0] and not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize("capacity", [0, -1, 2.5, True, "2"])
def test_a_capacity_that_is_not_a_count_is_refused_naming_it(digits: Splits, capacity: Any) -> None:
    with pytest.raises(ConfigError, match="^capacity: must be an integer >= 1, got "):
        Stack(BASE, digits, capacity=capacity)


def test_numpy_counts_are_taken_for_capacity_and_shards(digits: Splits) -> None:
    assert Stack(BASE, digits, capacity=np.int64(3)).capacity == 3
    one, two = (fit_stack([BASE, {**BASE, "lr": 0.02}], digits, shards=shards) for shards in (1, np.int64(2)))
    assert [[h["val_loss"] for h in r.history] for r in one] == [[h["val_loss"] for h in r.history] for r in two]


def test_a_stack_the_cpu_allocator_refuses_is_split_as_an_out_of_memory_error_is(digits: Splits) -> None:
    configs = [{**BASE, "epochs": 1, "lr": 0.01 * (i + 1)} for i in range(3)]
    tried: list[list[int]] = []

    def room_for_one(chunk: Any) -> Any:
        tried.append(list(chunk))
        if len(chunk) > 1:
            torch.empty(len(chunk) * 10**14)  # far beyond any machine's memory: the allocator refuses it
        return run_chunk(chunk, configs, [0] * 3, digits, "accuracy", torch.device("cpu"), None, None, None)

    results = split_on_oom([[0, 1, 2]], room_for_one, torch.device("cpu"))
    assert tried == [[0, 1, 2], [0], [1, 2], [1], [2]] and sorted(results) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="not an allocation"):  # any other error is the caller's
        split_on_oom([[0, 1]], lambda chunk: (_ for _ in ()).throw(RuntimeError("not an allocation")),
                     torch.device("cpu"))


def test_configurations_that_build_the_same_model_share_a_stack(digits: Splits, digits_images: Splits) -> None:
    stack = Stack(BASE, digits, capacity=2)
    stack.add({**BASE, "units": [8]}, seed=1, key="list")
    stack.add({**BASE, "layers": 1, "units": 8}, seed=2, key="int")
    results = {r.key: r for r in stack.run()}
    alone = fit({**BASE, "units": [8]}, digits, seed=1).history[-1]["val_loss"]
    assert results["list"].history[-1]["val_loss"] == pytest.approx(alone, rel=1e-4)
    assert Stack({**BASE, "layers": 0, "units": 8}, digits).key == Stack({**BASE, "layers": 0, "units": 64}, digits).key
    cnn = {**BASE, "model": "cnn", "conv_layers": 2, "filters": 3, "epochs": 1}
    same = [{**cnn, "layers": 1, "kernel_size": 3, "stride": [1, 1]}, {**cnn, "layers": 4, "kernel_size": [3, 3]}]
    times = [r.history[-1]["epoch_time"] for r in fit_stack(same, digits_images, shards=1)]
    assert times[0] == times[1]  # one stack: its time shared out among its members
    with pytest.raises(ConfigError, match="^kernel_size: differs from the stack's structure"):
        Stack(cnn, digits_images).add({**cnn, "kernel_size": [3, 5]})


def test_a_stop_left_pending_by_a_change_is_dropped_by_set_params_and_copy(digits: Splits) -> None:
    config = {**BASE, "epochs": 4}
    stack = Stack(config, digits, capacity=2, auto_compact=False)
    a, b = stack.add(config, seed=1), stack.add(config, seed=2)
    stack.run_epoch()
    for slot in (a, b):  # epoch 2 cannot improve by 5.0 on epoch 1: an epoch without improvement
        stack.change_params(slot, {"early_stopping": True, "min_delta": 5.0})
    stack.run_epoch()
    for slot in (a, b):  # patience 0 after an epoch without improvement: a stop is pending
        stack.change_params(slot, {"patience": 0})
    assert all(stack.members[slot].stopped_early for slot in (a, b))
    stack.set_params(a, config)
    stack.copy(a, b)
    assert stack.run_epoch() == [] and sorted(stack.members) == [a, b]


@pytest.mark.parametrize("bad", [{"lr": -1}, {"init": "foo"}, {"grad_clip": -1}, {"dropout": 1.0},
                                 {"early_stopping": True, "patience": "x"}])
def test_a_refused_configuration_stops_fit_stack_before_any_stack_trains(digits: Splits, bad: dict[str, Any]) -> None:
    trained: list[tuple[Any, int]] = []
    configs = [{**BASE, "units": 8}, {**BASE, "units": 16, **bad}]  # two structures: two stacks, the bad one last
    with pytest.raises((ConfigError, ValueError)):
        fit_stack(configs, digits, shards=1, report=lambda key, epoch, record: trained.append((key, epoch)) or False)
    assert trained == []
