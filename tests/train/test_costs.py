"""A trained model's costs: trainable parameters and the median latency of one input."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from nntune.train.costs import count_parameters, measure_latency_ms, model_costs


def test_only_trainable_parameters_are_counted():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert count_parameters(model) == 4 * 3 + 3 + 3 * 2 + 2
    for p in model[0].parameters():
        p.requires_grad_(False)  # a frozen backbone
    assert count_parameters(model) == 3 * 2 + 2


def test_latency_is_the_median_of_the_timed_passes_after_warm_up():
    # Each pass reads the clock twice; the warm-up passes (here 10 s and 20 s) are not counted,
    # and the median ignores one pass slowed by another process (100 s).
    spans = [10.0, 20.0, 0.002, 0.003, 100.0, 0.001, 0.002]
    ticks = itertools.chain.from_iterable((0.0, s) for s in spans)
    model = nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.5))
    model.train()
    ms = measure_latency_ms(model, torch.zeros(1, 4), warmup=2, repeats=5, clock=lambda: next(ticks))
    assert ms == pytest.approx(2.0)
    assert model.training  # its mode is restored


def test_latency_of_a_real_model_is_positive_and_only_the_asked_costs_are_measured():
    model = nn.Linear(8, 3)
    assert model_costs(model, torch.zeros(1, 8), frozenset({"params"})) == {"params": 27.0}
    both = model_costs(model, torch.zeros(1, 8), frozenset({"params", "latency_ms"}))
    assert set(both) == {"params", "latency_ms"} and both["latency_ms"] > 0


def test_no_timed_pass_is_an_error():
    with pytest.raises(ValueError, match="repeats"):
        measure_latency_ms(nn.Linear(2, 1), torch.zeros(1, 2), repeats=0)
