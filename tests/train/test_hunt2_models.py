"""Model, optimizer and augmentation settings at the edges of their ranges train as
documented, and a model of the user's own that the loss cannot train is refused in one line."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.train.augment import make_augment
from nntune.train.custom_model import build_custom, check_forward
from nntune.train.loop import fit
from nntune.train.models import build_model
from nntune.train.optim import build_optimizer
from nntune.train.splits import Splits

Params = Callable[..., dict[str, Any]]


def test_a_backbone_rate_of_zero_trains_the_head_alone_and_resumes(digits: Splits, fast: Params,
                                                                   tmp_path: Path) -> None:
    # backbone_lr_mult: 0 is in range (a number >= 0): the backbone keeps its weights, the
    # head learns at the full rate, which every epoch's record gives as its lr.
    params = fast(layers=1, backbone_lr_mult=0.0, epochs=2, lr_schedule="cosine", weight_decay=1e-3)
    first = fit({**params, "epochs": 1}, digits, checkpoint_path=tmp_path / "run.pt")
    assert [r["lr"] for r in first.history] == [pytest.approx(1e-2)]
    backbone = first.model.fc1.weight.detach().clone()
    resumed = fit(params, digits, resume_from=tmp_path / "run.pt")
    assert [r["epoch"] for r in resumed.history] == [2]
    assert torch.equal(resumed.model.fc1.weight, backbone)


def test_a_cosine_schedule_never_climbs_to_an_lr_min_above_the_rate(digits: Splits, fast: Params) -> None:
    # "cosine (down to lr_min)": an lr a search drew below a fixed lr_min stays where it is,
    # where torch's annealing would raise it towards lr_min epoch by epoch.
    low = fit(fast(lr=1e-3, lr_min=1e-2, lr_schedule="cosine", epochs=3, warmup_epochs=1), digits)
    assert [r["lr"] for r in low.history] == pytest.approx([5e-4, 1e-3, 1e-3])
    high = fit(fast(lr=1e-1, lr_min=1e-2, lr_schedule="cosine", epochs=3, optimizer="sgd"), digits)
    assert [r["lr"] for r in high.history] == pytest.approx([1e-1, 7.75e-2, 3.25e-2])


NETS = textwrap.dedent("""
    import torch
    from torch import nn

    class Labels(nn.Module):  # answers class labels, not logits
        def __init__(self, input_shape, n_outputs):
            super().__init__()
            self.fc = nn.Linear(input_shape[0], n_outputs)

        def forward(self, x):
            return self.fc(x).argmax(1, keepdim=True).expand(-1, self.fc.out_features)

    class OwnDropout(nn.Module):  # a rate of its own, and `dropout` for its input only
        def __init__(self, input_shape, n_outputs, *, dropout=0.1):
            super().__init__()
            self.drop_in = nn.Dropout(dropout)
            self.body = nn.Sequential(nn.Linear(input_shape[0], 16), nn.ReLU(), nn.Dropout(0.5))
            self.head = nn.Linear(16, n_outputs)

        def forward(self, x):
            return self.head(self.body(self.drop_in(x)))

    class Auxiliary(nn.Module):  # auxiliary logits while training, as torchvision's GoogLeNet
        def __init__(self, input_shape, n_outputs):
            super().__init__()
            self.bn = nn.BatchNorm1d(input_shape[0])
            self.head = nn.Linear(input_shape[0], n_outputs)

        def forward(self, x):
            y = self.head(nn.functional.dropout(self.bn(x), 0.5, self.training))
            return (y, y) if self.training else y

    class Fixed(nn.Module):  # no parameter at all
        def __init__(self, input_shape, n_outputs):
            super().__init__()
            self.n_outputs = n_outputs

        def forward(self, x):
            return torch.zeros(x.shape[0], self.n_outputs)
""")


@pytest.fixture
def nets(own_module) -> Path:
    return own_module("huntnets", NETS)


def test_a_model_answering_integer_labels_is_refused_in_one_line(nets: Path) -> None:
    # Else every trial fails deep in the loss (log_softmax is not implemented for Long).
    model = build_custom("huntnets:Labels", {}, (64,), 10)
    with pytest.raises(ConfigError, match=r"^model: 'huntnets:Labels' returns int64 values; its forward must "
                                          r"return floating-point logits$"):
        check_forward(model, "huntnets:Labels", (64,), 10)


def test_a_model_without_parameters_is_named_not_freeze_backbone(nets: Path) -> None:
    model = build_custom("huntnets:Fixed", {}, (64,), 10)
    with pytest.raises(ConfigError, match=r"^model: 'huntnets:Fixed' has no trainable parameters"):
        build_optimizer(model, {"model": "huntnets:Fixed"})
    with pytest.raises(ConfigError, match=r"^model: "):
        build_optimizer(model, {"model": "huntnets:Fixed", "freeze_backbone": True})
    frozen = build_model({"model": "mlp", "layers": 1, "units": 4}, (3,), 2)
    for parameter in frozen.parameters():
        parameter.requires_grad_(False)
    with pytest.raises(ConfigError, match=r"^freeze_backbone: no trainable parameters are left$"):
        build_optimizer(frozen, {"freeze_backbone": True})


@pytest.mark.parametrize(("step", "field"), [({"rotation": {"degrees": -10}}, "augment.rotation.degrees"),
                                             ({"color_jitter": {"brightness": -0.5}}, "augment.color_jitter.brightness")])
def test_a_negative_single_number_for_a_symmetric_range_says_so(step: dict[str, Any], field: str) -> None:
    # It was "low 10.0 exceeds high -10.0": a pair the user never wrote.
    with pytest.raises(ConfigError) as err:
        make_augment([step])
    assert err.value.field == field
    assert "must be >= 0" in err.value.problem and "exceeds" not in err.value.problem
    assert make_augment([{"rotation": {"degrees": [-10, 5]}}]) is not None  # a pair may go below zero


def test_a_cnn_refuses_a_list_of_units_saying_it_has_one_dense_layer() -> None:
    with pytest.raises(ConfigError, match=r"^units: a cnn has one hidden dense layer; give one integer >= 1, "
                                          r"got \[64, 32\]$"):
        build_model({"model": "cnn", "units": [64, 32]}, (1, 8, 8), 10)
    assert build_model({"model": "cnn", "units": 24}, (1, 8, 8), 10).fc.out_features == 24


def test_a_resumed_model_of_your_own_keeps_the_dropout_its_builder_gave(nets: Path, digits: Splits,
                                                                          fast: Params) -> None:
    # A resumed run (PBT resumes every perturbed member) set every Dropout module to the
    # trial's dropout, 0 by default: the model's own 0.5 was switched off.
    params = fast(model="huntnets:OwnDropout", epochs=1)
    first = fit(params, digits, checkpoint_path=nets / "run.pt")
    for hp in ({**params, "epochs": 2}, {**params, "epochs": 2, "dropout": 0.2}):
        resumed = fit(hp, digits, resume_from=nets / "run.pt").model
        assert (resumed.drop_in.p, resumed.body[2].p) == (hp.get("dropout", 0.0), 0.5)
    assert first.model.body[2].p == 0.5
    live = fit({**params, "epochs": 2}, digits, changes=lambda epoch, hp: {"dropout": 0.3} if epoch == 1 else {})
    assert (live.model.drop_in.p, live.model.body[2].p) == (0.3, 0.3)  # a change mid-run reaches every module


def test_a_model_answering_otherwise_while_training_is_refused_before_the_study(nets: Path) -> None:
    # Its eval answer fits, so every trial failed in the loss on the training answer's tuple.
    model = build_custom("huntnets:Auxiliary", {}, (64,), 10)
    model.bn.running_mean.fill_(0.25)
    rng = torch.get_rng_state()
    with pytest.raises(ConfigError, match=r"^model: 'huntnets:Auxiliary' returns a tuple in training mode; its "
                                          r"forward must return one tensor of shape \(batch, 10\) \(the logits\)$"):
        check_forward(model, "huntnets:Auxiliary", (64,), 10)
    assert model.training and torch.equal(torch.get_rng_state(), rng)
    assert torch.equal(model.bn.running_mean, torch.full((64,), 0.25)) and int(model.bn.num_batches_tracked) == 0


@pytest.mark.parametrize("value", [(64, 32), []])
def test_a_per_layer_name_given_no_list_says_a_list_is_what_it_takes(value: Any) -> None:
    # It said "must be an integer >= 1, got (64, 32)", as if no list were accepted.
    with pytest.raises(ConfigError, match=r"^fixed.units: must be an integer >= 1 or a non-empty list of them "
                                          r"\(one per layer\), got "):
        parse_config({"task": {"data": "digits"}, "fixed": {"units": value}})
