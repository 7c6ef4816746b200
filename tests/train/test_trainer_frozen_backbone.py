"""A frozen backbone computes the same function all along: its batch norms keep their
running statistics (as Keras's ``trainable = False``), while a trained one learns them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from nntune.train.loop import fit
from nntune.train.splits import Splits

Params = Callable[..., dict[str, Any]]


def batch_norms(model: nn.Module) -> list[nn.BatchNorm1d]:
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)]


def test_a_frozen_backbone_s_batch_norms_keep_their_statistics(digits: Splits, fast: Params) -> None:
    run = fit(fast(layers=2, batchnorm=True, freeze_backbone=True, epochs=2), digits)
    norms = batch_norms(run.model)
    assert norms and all(not bn.weight.requires_grad for bn in norms)
    for bn in norms:  # still as built: mean 0, variance 1, no batch counted
        assert int(bn.num_batches_tracked) == 0
        assert torch.equal(bn.running_mean, torch.zeros_like(bn.running_mean))
        assert torch.equal(bn.running_var, torch.ones_like(bn.running_var))
    assert not run.model.training  # fit still hands back a model in evaluation mode


def test_a_trained_backbone_s_batch_norms_learn_their_statistics(digits: Splits, fast: Params) -> None:
    run = fit(fast(layers=2, batchnorm=True, epochs=1), digits)
    assert all(int(bn.num_batches_tracked) > 0 for bn in batch_norms(run.model))
