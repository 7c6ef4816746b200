"""``population: auto``'s size rule, the sizes probed, and the probe on real stacks."""

import math

import pytest
import torch

from nntune.train import load_splits
from nntune.train.stack import Stack
from nntune.train.stack_size import AutoSize, pick_population, probe_population, probe_sizes, step_seconds


def test_the_h200_timings_pick_128_members():
    # benchmarks/stacked.py on an H200: seconds for K configurations (one stack) at K = 32, 128, 256.
    mlp = [(32, 0.66), (128, 1.04), (256, 2.82)]  # 2 x 128 MLPs, digits, 10 epochs
    cnn = [(32, 0.58), (128, 1.23), (256, 2.63)]  # CNNs of 8, 16 filters, mnist_5k, 2 epochs
    assert pick_population(mlp) == 128 and pick_population(cnn) == 128
    # 32 -> 128 is two doublings: the time per member must fall to 0.85^2 = 0.72 of 32's or below.
    assert pick_population([(32, 0.66), (128, 0.66 * 4 * 0.73)]) == 32
    assert pick_population([(32, 0.66), (128, 0.66 * 4 * 0.72)]) == 128


def test_a_device_that_is_idle_grows_the_stack_and_a_busy_one_does_not():
    assert pick_population([(1, 1.0), (2, 1.0), (4, 1.0), (8, 1.0)]) == 8  # each member for free
    assert pick_population([(1, 1.0), (2, 2.0), (4, 4.0)]) == 1  # the device already busy with one
    assert pick_population([(1, 1.0), (2, 1.72), (4, 2.0)]) == 1  # 14% per member: not enough
    assert pick_population([(1, 1.0), (2, 1.70)]) == 2  # 15%
    assert pick_population([(1, 1.0), (2, 1.70)], gain=0.5) == 1
    # The first size that does not improve enough ends it: a gain after a flat step is noise.
    assert pick_population([(1, 1.0), (2, 1.0), (4, 4.0), (8, 4.1)]) == 2
    assert pick_population([(4, 1.0), (1, 0.5), (2, 0.6)]) == 4  # order of the timings does not matter
    assert pick_population([(2, 5.0), (1, 1.0), (2, 1.0)]) == 2  # the fastest timing of a size counts
    assert pick_population([(1, 1.0), (6, 3.0)]) == 6  # sizes need not be powers of two
    assert pick_population([(3, 2.0)]) == 3


@pytest.mark.parametrize("timings, problem", [
    ([], "no timings"), ([(0, 1.0)], "integer >= 1"), ([(2.0, 1.0)], "integer >= 1"),
    ([(1, 0.0)], "positive number"), ([(1, math.nan)], "positive number"), ([(1, -1.0)], "positive number"),
])
def test_timings_it_cannot_choose_from_are_refused(timings, problem):
    with pytest.raises(ValueError, match=problem):
        pick_population(timings)
    with pytest.raises(ValueError, match="gain"):
        pick_population([(1, 1.0)], gain=1.0)


def test_sizes_double_up_to_the_bound():
    assert probe_sizes(1) == [1] and probe_sizes(2) == [1, 2] and probe_sizes(4) == [1, 2, 4]
    assert probe_sizes(6) == [1, 2, 4, 6]
    assert probe_sizes(256) == [1, 2, 4, 8, 16, 32, 64, 128, 256]


def test_the_probe_stops_at_the_first_size_that_does_not_pay_and_at_memory():
    seconds = {1: 1.0, 2: 1.0, 4: 1.1, 8: 2.2, 16: 4.4, 32: 8.8}
    built = []

    def make(k):
        built.append(k)
        if k > 16:
            raise torch.OutOfMemoryError("out of memory")
        return k
    sized = probe_population(make, 32, time_step=seconds.__getitem__)
    assert sized == AutoSize(4, 32, [(1, 1.0), (2, 1.0), (4, 1.1), (8, 2.2)])
    assert built == [1, 2, 4, 8]  # 16 and 32 were never built
    flat = probe_population(make, 32, time_step=lambda k: 1.0)
    assert flat.k == 16 and built[-2:] == [16, 32]  # 32 ran out of memory: the sizes before it count
    assert flat.to_json() == {"chosen": 16, "bound": 32, "bound_by": "", "rule": "timed", "gain": 0.15,
                              "step_seconds": [[1, 1.0], [2, 1.0], [4, 1.0], [8, 1.0], [16, 1.0]]}
    with pytest.raises(torch.OutOfMemoryError):  # not even one member fits: nothing to choose
        probe_population(lambda k: (_ for _ in ()).throw(torch.OutOfMemoryError("oom")), 4,
                         time_step=lambda k: 1.0)
    assert AutoSize(4, 4).to_json()["rule"] == "bound"


def test_a_step_of_a_real_stack_is_timed_on_the_injected_clock():
    splits = load_splits("digits", seed=0)
    stack = Stack({"layers": 1, "units": 16, "batch_size": 64, "epochs": 1}, splits, capacity=3)
    stack.add({"layers": 1, "units": 16, "batch_size": 64, "epochs": 1, "lr": 0.1})
    before = {n: t.detach().clone() for n, t in stack.net.params.items()}
    ticks = iter([10.0, 13.0, 20.0, 24.0, 30.0, 32.0])  # the warm-up steps are not timed
    assert step_seconds(stack, warmup=2, steps=3, clock=lambda: next(ticks)) == 2.0  # the fastest timed step
    assert any(not torch.equal(before[n], t) for n, t in stack.net.params.items())  # it trained
    assert step_seconds(stack, warmup=0, steps=1) > 0
