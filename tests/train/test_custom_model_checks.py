"""A model of the user's own that cannot be trained is refused in one line before any study
is written (a constructor that raises, a forward that fails or answers a tuple, a dict or
the wrong number of outputs); the trainer's names it declares get the trainer's defaults;
and transfer learning finds its output layer, whatever it is called."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
import yaml
from torch import nn

from nntune.builtin import load_task_splits
from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.runner_build import check_model_builds
from nntune.train import build_model
from nntune.train.custom_model import build_custom, check_forward
from nntune.train.models import head_name
from nntune.train.optim import build_optimizer, param_groups

NETS = textwrap.dedent("""
    import torch
    from torch import nn

    class Broken(nn.Module):
        def __init__(self, input_shape, n_outputs, *, hidden=8):
            super().__init__()
            raise ValueError("hidden must be even\\nsecond line")

    class Linear(nn.Module):
        def __init__(self, input_shape, n_outputs, *, outputs=None, answer="tensor"):
            super().__init__()
            self.fc = nn.Linear(input_shape[0], outputs or n_outputs)
            self.answer = answer

        def forward(self, x):
            y = self.fc(x)
            return {"tensor": y, "tuple": (y, x), "dict": {"logits": y}}[self.answer]

    class Crashes(nn.Module):
        def __init__(self, input_shape, n_outputs):
            super().__init__()
            self.fc = nn.Linear(784, n_outputs)  # written for MNIST's 784 pixels

        def forward(self, x):
            return self.fc(x)

    class Declares(nn.Module):
        def __init__(self, input_shape, n_outputs, dropout, activation):
            super().__init__()
            self.seen = (dropout, activation)
            self.fc = nn.Linear(input_shape[0], n_outputs)

        def forward(self, x):
            return self.fc(x)

    class NoHead(nn.Module):
        def __init__(self, input_shape, n_outputs):
            super().__init__()
            self.fc1 = nn.Linear(input_shape[0], 16)
            self.bn = nn.BatchNorm1d(16)
            self.out = nn.Linear(16, n_outputs)

        def forward(self, x):
            return self.out(torch.relu(self.bn(self.fc1(x))))

    class Lazy(nn.Module):
        def __init__(self, input_shape, n_outputs):
            super().__init__()
            self.body = nn.Sequential(nn.Flatten(), nn.LazyLinear(16), nn.ReLU())
            self.head = nn.LazyLinear(n_outputs)

        def forward(self, x):
            return self.head(self.body(x))

    def sequential(input_shape, n_outputs):
        return nn.Sequential(nn.Linear(input_shape[0], 16), nn.ReLU(), nn.Linear(16, n_outputs))
""")


@pytest.fixture
def nets(own_module) -> Path:
    return own_module("checknets", NETS)


def test_a_constructor_that_raises_is_one_line_naming_its_values(nets: Path) -> None:
    with pytest.raises(ConfigError, match=r"^model: 'checknets:Broken' fails to build with hidden=3: "
                                          r"ValueError: hidden must be even$"):
        build_custom("checknets:Broken", {"hidden": 3}, (64,), 10)
    with pytest.raises(ConfigError, match=r"^model: 'checknets:Broken' fails to build: ValueError"):
        build_custom("checknets:Broken", {}, (64,), 10)


@pytest.mark.parametrize(("params", "problem"), [
    ({"answer": "tuple"}, r"returns a tuple; its forward must return one tensor of shape \(batch, 10\) \(the logits\)"),
    ({"answer": "dict"}, r"returns a dict; its forward must return one tensor of shape \(batch, 10\) \(the logits\)"),
    ({"outputs": 3}, r"returns shape \(2, 3\) for a batch of 2; the task needs one tensor of shape \(batch, 10\)"),
])
def test_an_output_the_loss_cannot_take_is_refused(nets: Path, params: dict, problem: str) -> None:
    model = build_custom("checknets:Linear", params, (64,), 10)
    with pytest.raises(ConfigError, match=rf"^model: 'checknets:Linear' {problem}$"):
        check_forward(model, "checknets:Linear", (64,), 10)


def test_a_forward_that_fails_names_the_batch_and_keeps_the_mode(nets: Path) -> None:
    model = build_custom("checknets:Crashes", {}, (64,), 10)
    with pytest.raises(ConfigError, match=r"^model: 'checknets:Crashes' fails on a batch of shape \(2, 64\): "
                                          r"RuntimeError: mat1 and mat2 shapes cannot be multiplied"):
        check_forward(model, "checknets:Crashes", (64,), 10)
    assert model.training


def test_good_outputs_pass_and_batch_norm_statistics_stay_untouched(nets: Path) -> None:
    check_forward(build_custom("checknets:Linear", {}, (4,), 1), "checknets:Linear", (4,), 1)  # (batch, 1)
    check_forward(nn.Sequential(nn.Linear(4, 1), nn.Flatten(0)), "flat", (4,), 1)  # a regression's (batch,)
    model = build_custom("checknets:NoHead", {}, (64,), 10)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    check_forward(model, "checknets:NoHead", (64,), 10)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def write_config(folder: Path, model: str) -> Path:
    raw = {"study": "own", "storage": f"sqlite:///{folder / 'own.db'}",
           "task": {"data": "digits", "model": model},
           "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-1, "log": True}},
           "fixed": {"epochs": 1}, "search": {"trials": 1}}
    path = folder / "own.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_the_build_check_before_the_study_runs_the_forward(nets: Path) -> None:
    cfg = parse_config({"task": {"data": "digits", "model": "checknets:Linear"},
                        "space": {"outputs": {"type": "choice", "values": [3]}}})
    with pytest.raises(ConfigError, match=r"^task.model: 'checknets:Linear' returns shape \(2, 3\)"):
        check_model_builds(cfg, cfg.build_space(), load_task_splits(cfg))


@pytest.mark.parametrize(("model", "problem"), [
    ("checknets:Broken", "fails to build: ValueError: hidden must be even"),
    ("checknets:Linear", None),
])
def test_tune_refuses_in_one_line_and_writes_no_study(nets: Path, call_cli, model: str, problem: str | None) -> None:
    path = write_config(nets, model)
    if problem is None:  # a tuple answer, chosen by a fixed value
        path.write_text(path.read_text().replace("epochs: 1", "epochs: 1\n  answer: tuple"))
        problem = "returns a tuple"
    code, _, err = call_cli("tune", str(path))
    assert code == 2 and len(err.strip().splitlines()) == 1 and problem in err and "task.model:" in err
    assert not (nets / "own.db").exists()


def test_trainer_names_it_declares_get_the_trainers_defaults(nets: Path) -> None:
    model = build_model({"model": "checknets:Declares"}, (64,), 10)
    assert model.seen == (0.0, "relu")
    cfg = parse_config({"task": {"data": "digits", "model": "checknets:Declares"}, "fixed": {"epochs": 1}})
    check_model_builds(cfg, cfg.build_space(), load_task_splits(cfg))  # was: "needs dropout, activation"


@pytest.mark.parametrize(("name", "head"), [("checknets:NoHead", "out"), ("checknets:sequential", "2")])
def test_transfer_learning_finds_an_output_layer_of_another_name(nets: Path, name: str, head: str) -> None:
    model = build_model({"model": name}, (64,), 10)
    assert head_name(model) == head
    build_optimizer(model, {"freeze_backbone": True, "optimizer": "adam"})  # was: no trainable parameters left
    assert [n for n, p in model.named_parameters() if p.requires_grad] == [f"{head}.weight", f"{head}.bias"]
    slow = param_groups(build_model({"model": name}, (64,), 10), {"backbone_lr_mult": 0.1})
    assert sorted((g["lr_mult"], len(g["params"])) for g in slow)[-1] == (1.0, 2)  # the head alone at full rate


def test_built_in_heads_keep_their_names() -> None:
    assert head_name(build_model({"model": "mlp"}, (8,), 3)) == "head"
    assert head_name(build_model({"model": "cnn"}, (1, 8, 8), 3)) == "head"
    assert head_name(build_model({"model": "resnet18", "dropout": 0.2}, (3, 16, 16), 3)) == "fc"


def test_a_module_shadowed_by_an_installed_one_says_which_was_read(nets: Path) -> None:
    (nets / "json.py").write_text(NETS)  # the standard library's json comes first on the path
    with pytest.raises(ConfigError, match=r"^model: 'json:Linear': json has no function or class named Linear "
                                          r"\(read from .*json.__init__\.py\)$"):
        build_custom("json:Linear", {}, (64,), 10)


def test_lazy_modules_take_their_shapes_before_the_trainer_sees_them(nets: Path) -> None:
    from nntune.train import fit, load_splits
    from nntune.train.models import summarize

    model = build_model({"model": "checknets:Lazy"}, (64,), 10)
    assert model.head.weight.shape == (10, 16) and summarize(model, (64,))[-1]["params"] == 64 * 16 + 16 + 16 * 10 + 10
    splits = load_splits("digits", seed=0)
    result = fit({"model": "checknets:Lazy", "epochs": 1, "optimizer": "adam", "lr": 1e-2}, splits, seed=0)
    assert result.history[-1]["val_accuracy"] > 0.5  # was: "Attempted to use an uninitialized parameter"
