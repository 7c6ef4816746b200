"""The stacked network's kernels against their plain forms, and the settings that change
how its convolutions run but not what they compute."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.splits import Splits
from nntune.train.stack import Stack
from nntune.train.stack_models import StackedLinear, cudnn_benchmark, stacked_product


def test_stacked_linear_gradients_match_autograd_and_keep_the_weight_layout() -> None:
    gen = torch.Generator().manual_seed(1)
    x, w, b = (torch.randn(*shape, generator=gen, dtype=torch.float64, requires_grad=True)
               for shape in ((3, 5, 4), (3, 6, 4), (3, 6)))
    torch.autograd.gradcheck(StackedLinear.apply, (x, w, b))
    StackedLinear.apply(x, w, b).sum().backward()
    assert w.grad is not None and w.grad.is_contiguous() and w.grad.shape == w.shape


@pytest.mark.parametrize(("m", "inner", "n", "transposed"), [
    (64, 128, 10, True),  # an output layer: few columns, a batch of full registers
    (23, 128, 10, True),
    (64, 128, 87, True),
    (55, 128, 87, False),  # neither side a multiple of 16: as asked
    (64, 128, 128, False),
    (10, 64, 128, False),  # the transposed product is the slower one this way round
    (8, 16, 10, False),
])
def test_stacked_product_equals_bmm_in_either_layout(m: int, inner: int, n: int, transposed: bool) -> None:
    gen = torch.Generator().manual_seed(3)
    a, b = torch.randn(3, m, inner, generator=gen), torch.randn(3, inner, n, generator=gen)
    out = stacked_product(a, b)
    assert out.shape == (3, m, n)
    assert out.is_contiguous() is not transposed or n == 1
    torch.testing.assert_close(out, torch.bmm(a, b), rtol=1e-5, atol=1e-5)


def test_stacked_linear_gradients_keep_the_weight_layout_when_the_product_is_transposed() -> None:
    gen = torch.Generator().manual_seed(4)
    x, w, b = (torch.randn(*shape, generator=gen, dtype=torch.float64, requires_grad=True)
               for shape in ((2, 32, 30), (2, 10, 30), (2, 10)))  # 10 outputs, 30 inputs: both products transposed
    torch.autograd.gradcheck(StackedLinear.apply, (x, w, b))
    StackedLinear.apply(x, w, b).sum().backward()
    assert w.grad is not None and w.grad.is_contiguous()


def test_stacked_linear_with_its_relu_matches_the_two_steps_apart() -> None:
    gen = torch.Generator().manual_seed(2)
    x, w, b = (torch.randn(*shape, generator=gen, dtype=torch.float64, requires_grad=True)
               for shape in ((3, 5, 4), (3, 6, 4), (3, 6)))
    torch.autograd.gradcheck(lambda *t: StackedLinear.apply(*t, True), (x, w, b))
    fused = StackedLinear.apply(x, w, b, True)
    apart = torch.relu(StackedLinear.apply(x, w, b))
    assert torch.equal(fused, apart) and bool((fused == 0).any()) and bool((fused > 0).any())
    grads = [torch.autograd.grad(out.pow(2).sum(), (x, w, b)) for out in (fused, apart)]
    assert all(torch.equal(g, h) for g, h in zip(*grads))


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs CUDA"))])
def test_the_convolutions_layout_changes_no_result(device: str, digits_images: Splits,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # On CUDA in true float32 (see test_stack_fit's float32_on): the two layouts run other
    # cuDNN algorithms, whose roundings differ, and TF32 would make that 0.1-6%.
    if device == "cuda":
        monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    tolerance = 1e-5 if device == "cpu" else 1e-3
    flips = 0 if device == "cpu" else 1 / len(digits_images.y_val)  # a prediction on the edge may flip
    structure = {"model": "cnn", "conv_layers": 2, "filters": 4, "units": 16, "batch_size": 128, "epochs": 2,
                 "optimizer": "momentum"}
    histories, layouts = {}, {}
    for layout in ("channels_last", "nchw"):
        stack = Stack(structure, digits_images, capacity=2, device=device, conv_layout=layout)
        for i, lr in enumerate((0.05, 0.02)):
            stack.add({**structure, "lr": lr}, seed=i)
        xb = stack.net.gather(stack.x_train, torch.arange(8, device=device).view(2, 4))
        layouts[layout] = (xb.is_contiguous(memory_format=torch.channels_last), xb.is_contiguous())
        histories[layout] = {r.key: r.history for r in stack.run()}
    assert layouts == {"channels_last": (True, False), "nchw": (False, True)}
    for key, history in histories["channels_last"].items():
        other = histories["nchw"][key]
        for a, b in zip(history, other, strict=True):
            for name in ("train_loss", "val_loss"):
                assert b[name] == pytest.approx(a[name], rel=tolerance), (key, name)
            assert abs(b["value"] - a["value"]) <= flips + 1e-12, key


@pytest.mark.parametrize("layout", ["channels_last", "nchw"])
def test_validation_of_one_channel_images_runs_in_the_stacks_layout(layout: str, digits_images: Splits) -> None:
    # Validation sends one shared batch through an ungrouped first convolution. A one-channel
    # batch is contiguous in both layouts, so unless it is restrided the convolution answers
    # in NCHW and every layer after it runs there (on the CPU, max pooling 8x slower).
    assert digits_images.x_train.shape[1] == 1
    structure = {"model": "cnn", "conv_layers": 2, "filters": 4, "units": 16, "batch_size": 32, "epochs": 1}
    stack = Stack(structure, digits_images, capacity=3, device="cpu", conv_layout=layout)
    for i in range(3):
        stack.add(structure, seed=i)
    seen: list[tuple[bool, bool]] = []
    pools = [m for _, m in stack.net.ops if isinstance(m, nn.MaxPool2d)]
    assert pools
    handles = [m.register_forward_pre_hook(lambda _, args: seen.append(
        (args[0].is_contiguous(memory_format=torch.channels_last), args[0].is_contiguous()))) for m in pools]
    try:
        shared = stack.predict(stack.x_val)
    finally:
        for handle in handles:
            handle.remove()
    expected = (True, False) if layout == "channels_last" else (False, True)
    assert len(seen) >= len(pools) and all(s == expected for s in seen), seen
    rows = torch.arange(len(stack.x_val)).expand(3, -1)  # every member its own copy of the batch
    with torch.no_grad():
        own = stack.net.forward(stack.net.gather(stack.x_val, rows), train=False)
    assert torch.allclose(shared, own, atol=1e-5)
    # a stack of one member trains on a batch of one channel in all: laid out as any other
    single = Stack(structure, digits_images, capacity=1, device="cpu", conv_layout=layout)
    xb = single.net.gather(single.x_train, torch.arange(4).view(1, 4))
    assert xb.shape[1] == 1 and (xb.stride(1) == 1) == (layout == "channels_last"), xb.stride()


def test_an_unknown_layout_is_refused_by_name(digits_images: Splits) -> None:
    with pytest.raises(ConfigError, match="conv_layout"):
        Stack({"model": "cnn", "conv_layers": 1, "filters": 4}, digits_images, conv_layout="nhwc")


def test_cudnn_benchmark_is_set_on_cuda_only_and_given_back() -> None:
    before = torch.backends.cudnn.benchmark
    cuda = torch.device("cuda")  # the flag is a host setting: no GPU is needed to set it
    try:
        for setting in (True, False):
            torch.backends.cudnn.benchmark = not setting
            with cudnn_benchmark(setting, cuda):
                assert torch.backends.cudnn.benchmark is setting
            assert torch.backends.cudnn.benchmark is not setting
            with pytest.raises(RuntimeError), cudnn_benchmark(setting, cuda):
                raise RuntimeError("a failed epoch")
            assert torch.backends.cudnn.benchmark is not setting
            with cudnn_benchmark(None, cuda), cudnn_benchmark(setting, torch.device("cpu")):
                assert torch.backends.cudnn.benchmark is not setting
    finally:
        torch.backends.cudnn.benchmark = before
