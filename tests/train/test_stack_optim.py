"""The fused optimizers against torch.optim: K members, K separate optimizers, 50 steps."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from nntune.train.optim import OPTIM_DEFAULTS, build_optimizer, decoupled_step
from nntune.train.stack_key import OPTIMIZER_FAMILY
from nntune.train.stack_optim import NEUTRAL, StackedOptimizer, member_hyperparams

MEMBERS: dict[str, list[dict[str, Any]]] = {
    "sgd": [
        {"optimizer": "sgd", "lr": 0.05, "weight_decay": 0.01},
        {"optimizer": "momentum", "lr": 0.02, "momentum": 0.8, "grad_clip": 0.5},
        {"optimizer": "nesterov", "lr": 0.03, "momentum": 0.95, "weight_decay": 0.02, "weight_decay_mode": "decoupled"},
    ],
    "adam": [
        {"optimizer": "adam", "lr": 1e-2, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.01},
        {"optimizer": "adamw", "lr": 3e-3, "weight_decay": 0.1, "eps": 1e-6},
        {"optimizer": "adam", "lr": 2e-2, "beta2": 0.9, "grad_clip": 0.3, "weight_decay": 0.05,
         "weight_decay_mode": "decoupled"},
    ],
    "rmsprop": [
        {"optimizer": "rmsprop", "lr": 1e-2, "rho": 0.9},
        {"optimizer": "rmsprop", "lr": 3e-3, "rho": 0.99, "weight_decay": 0.01, "eps": 1e-6},
        {"optimizer": "rmsprop", "lr": 5e-3, "rho": 0.95, "grad_clip": 0.2},
    ],
    "adagrad": [
        {"optimizer": "adagrad", "lr": 0.1},
        {"optimizer": "adagrad", "lr": 0.05, "weight_decay": 0.02, "eps": 1e-6},
        {"optimizer": "adagrad", "lr": 0.2, "grad_clip": 0.4, "weight_decay": 0.01, "weight_decay_mode": "decoupled"},
    ],
}


@pytest.mark.parametrize("family", sorted(MEMBERS))
def test_fused_optimizer_equals_separate_torch_optimizers_after_50_steps(family: str) -> None:
    members = [{**OPTIM_DEFAULTS, **m} for m in MEMBERS[family]]
    assert {OPTIMIZER_FAMILY[m["optimizer"]] for m in members} == {family}
    torch.manual_seed(0)
    solos = [nn.Linear(5, 4) for _ in members]
    solo_opts = [build_optimizer(model, hp) for model, hp in zip(solos, members)]
    stacked = [torch.stack([getattr(m, n).detach() for m in solos]).clone().requires_grad_(True) for n in ("weight", "bias")]
    fused = StackedOptimizer(stacked, [True, False], family)
    for k, (opt, hp) in enumerate(zip(solo_opts, members)):
        fused.set_member(k, member_hyperparams(opt, hp.get("grad_clip", 0.0)))
    gen = torch.Generator().manual_seed(1)
    for _ in range(50):
        grads = [torch.randn(len(members), *p.shape[1:], generator=gen) for p in stacked]
        for k, (model, opt, hp) in enumerate(zip(solos, solo_opts, members)):
            model.weight.grad, model.bias.grad = grads[0][k].clone(), grads[1][k].clone()
            if hp.get("grad_clip"):
                nn.utils.clip_grad_norm_(model.parameters(), hp["grad_clip"])
            decoupled_step(opt)
            opt.step()
        for p, g in zip(stacked, grads):
            p.grad = g.clone()
        fused.clip_grad_norms()
        fused.step()
    for k, model in enumerate(solos):
        torch.testing.assert_close(stacked[0][k].detach(), model.weight.detach(), rtol=0, atol=1e-5)
        torch.testing.assert_close(stacked[1][k].detach(), model.bias.detach(), rtol=0, atol=1e-5)
        assert not torch.equal(model.weight.detach(), solos[(k + 1) % len(solos)].weight.detach())


def test_a_free_slot_stays_unchanged_and_a_reset_slot_restarts() -> None:
    p = torch.ones(2, 3, requires_grad=True)
    fused = StackedOptimizer([p], [True], "adam")
    fused.set_member(0, {"lr": 0.1, "eps": 0.0})
    p.grad = torch.zeros(2, 3)
    p.grad[0] = 1.0
    fused.step()
    assert torch.equal(p[1].detach(), torch.ones(3)) and bool((p[0] < 1).all())
    fused.reset_member(0)
    assert fused.steps[0] == 0 and float(fused.state[0]["exp_avg"][0].abs().sum()) == 0


def test_members_are_added_and_changed_without_reading_the_device() -> None:
    # On the meta device nothing can be read back: a hyperparameter check that asked the
    # device (what a CUDA stack would wait on, member after member) raises here.
    params = [torch.zeros(4, 3, 2, device="meta", requires_grad=True), torch.zeros(4, 3, device="meta")]
    opt = StackedOptimizer(params, [True, False], "sgd")
    opt.set_member(1, {"lr": 0.1, "momentum": 0.9, "grad_clip": 1.0, "coupled_wd": 1e-4})
    opt.set_lr(1, 0.05)
    opt.copy_member(1, 2)
    opt.reset_member(3)
    opt.clear_member(1)
    assert opt.uses == {"grad_clip": True, "decoupled_wd": False, "coupled_wd": True, "nesterov": False}  # member 2's
    assert opt.h["lr"].device.type == "cpu" and float(opt.h["lr"][2]) == pytest.approx(0.05)
    assert opt._device_h()["lr"].device.type == "meta"  # the device's copy, made when a step needs it
    kept = [torch.zeros(2, 3, 2, device="meta", requires_grad=True), torch.zeros(2, 3, device="meta")]
    opt.reindex(torch.tensor([2, -1]), kept)  # compaction: slot 2 first, then a fresh one
    assert opt.h["lr"].tolist() == pytest.approx([0.05, NEUTRAL["lr"]]) and opt.state[0]["momentum_buffer"].shape[0] == 2


def test_the_device_copy_of_the_hyperparameters_follows_every_change() -> None:
    p = torch.ones(2, 3, requires_grad=True)
    opt = StackedOptimizer([p], [False], "sgd")
    for slot, lr in ((0, 0.1), (1, 0.2)):
        opt.set_member(slot, {"lr": lr, "momentum": 0.0})
    p.grad = torch.ones(2, 3)
    opt.step()
    opt.set_lr(1, 0.4)
    p.grad = torch.ones(2, 3)
    opt.step()
    assert p.detach()[:, 0].tolist() == pytest.approx([1 - 0.1 - 0.1, 1 - 0.2 - 0.4])
