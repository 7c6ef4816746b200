"""batch_size: auto, the notes' doubling rule."""

import itertools

import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.train.batch_probe import Tried, choose, probe, sizes, step_bytes


def test_sizes_double_up_to_the_limit():
    assert sizes() == [64, 128, 256, 512, 1024]
    assert sizes(128, 600) == [128, 256, 512]
    with pytest.raises(ConfigError, match="batch_size"):
        sizes(0, 10)


def test_the_rule_keeps_doubling_while_throughput_grows_and_it_fits():
    assert choose([Tried(64, 1000.0), Tried(128, 1900.0), Tried(256, 3000.0), Tried(512, 3050.0)]) == 256
    assert choose([Tried(64, 1000.0), Tried(128, 2000.0), Tried(256, None, "out of GPU memory")]) == 128
    assert choose([Tried(64, 1000.0), Tried(128, 900.0), Tried(256, 5000.0)]) == 64  # stops at the first miss
    assert choose([Tried(64, None, "over budget")]) == 64


def fake_clock(durations):
    """Returns 0 at each timer start and the size's duration at its end."""
    values = itertools.chain.from_iterable((0.0, d) for d in durations)
    return lambda: next(values)


def test_probe_times_real_steps_on_an_injected_clock():
    x, y = torch.randn(2048, 10), torch.randint(0, 3, (2048,))
    build = lambda: torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))  # noqa: E731
    # samples/s = size * 3 steps / seconds: 64 -> 1000, 128 -> 2000, 256 -> 3000, 512 -> 3050
    seconds = [64 * 3 / 1000, 128 * 3 / 2000, 256 * 3 / 3000, 512 * 3 / 3050]
    result = probe(build, x, y, classification=True, device=torch.device("cpu"), clock=fake_clock(seconds))
    assert [t.batch_size for t in result.tried] == [64, 128, 256, 512]
    assert [round(t.samples_per_second) for t in result.tried] == [1000, 2000, 3000, 3050]
    assert result.chosen == 256
    assert "chose 256" in result.describe() and "3,000 samples/s" in result.describe()


def test_the_cpu_memory_budget_stops_the_doubling():
    x, y = torch.randn(4096, 100), torch.randint(0, 3, (4096,))
    build = lambda: torch.nn.Sequential(torch.nn.Linear(100, 1000), torch.nn.ReLU(), torch.nn.Linear(1000, 3))  # noqa: E731
    need_128 = step_bytes(build(), x, 128)
    assert step_bytes(build(), x, 256) > need_128 > step_bytes(build(), x, 64)
    result = probe(build, x, y, classification=True, device=torch.device("cpu"), cpu_budget=need_128,
                   clock=fake_clock([0.01, 0.005, 0.0]))
    assert [t.batch_size for t in result.tried] == [64, 128, 256]
    assert result.tried[-1].samples_per_second is None and "budget" in result.tried[-1].reason
    assert result.chosen == 128


def test_a_batch_norm_model_is_measured_and_left_in_training_mode():
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2))
    assert step_bytes(model, torch.randn(16, 4), 32) > 0
    assert model.training
