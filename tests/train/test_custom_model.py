"""A model of the user's own (``model: module:Name``), trained by nntune's loop: built with
the hyperparameters it declares, initialized, recorded and diagnosed like a built-in one,
searched from a config, and refused in one line when it cannot be used."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.runner_build import trainable_subspace
from nntune.train import fit, load_splits
from nntune.train.custom_model import build_custom, load_builder, own_parameters

NET = textwrap.dedent("""
    from torch import nn

    class Net(nn.Module):
        def __init__(self, input_shape, n_outputs, *, hidden=32, depth=1, dropout=0.0):
            super().__init__()
            layers, width = [], input_shape[0]
            for _ in range(depth):
                layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
                width = hidden
            self.body = nn.Sequential(*layers)
            self.head = nn.Linear(width, n_outputs)

        def forward(self, x):
            return self.head(self.body(x))

    def needs_width(input_shape, n_outputs, width):
        return nn.Linear(input_shape[0], n_outputs)

    def not_a_module(input_shape, n_outputs):
        return "a model"

    def one_argument(input_shape):
        return nn.Identity()
""")


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "mynets.py").write_text(NET)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the folder nntune adds goes with the test
    yield tmp_path
    sys.modules.pop("mynets", None)  # the next test's mynets is another file (builders are cached by folder)


def test_a_module_and_a_file_name_the_same_model(models: Path) -> None:
    for name in ("mynets:Net", "mynets.py:Net", f"{models / 'mynets.py'}:Net"):
        builder = load_builder(name)
        assert own_parameters(builder) == {"hidden": 32, "depth": 1, "dropout": 0.0}
        model = build_custom(name, {"hidden": 8, "depth": 2, "units": 999}, (64,), 10)
        assert [m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear)] == [8, 8, 10]


def test_fit_trains_it_with_every_record_and_the_trainers_init(models: Path) -> None:
    splits = load_splits("digits", seed=0)
    params = {"model": "mynets:Net", "hidden": 48, "depth": 2, "epochs": 4, "optimizer": "adam", "lr": 3e-3}
    first, again = fit(params, splits, seed=1), fit(params, splits, seed=1)
    last = first.history[-1]
    assert last["val_accuracy"] > 0.85 and [h["val_loss"] for h in first.history] == [h["val_loss"] for h in again.history]
    assert [layer["name"] for layer in last["layers"]] == ["body.0", "body.3", "head"]
    assert all(layer["grad_norm"] > 0 for layer in last["layers"])
    # The trainer's init reaches its layers too: all-zero weights never break their symmetry
    # (the notes' lesson), so only the output bias learns.
    zeros = fit({**params, "init": "zeros", "epochs": 1}, splits, seed=1).model
    with torch.no_grad():
        assert float(zeros.body[0].weight.abs().sum()) == 0.0 == float(zeros.head.weight.abs().sum())
        assert float(zeros.head.bias.abs().sum()) > 0.0


def test_the_contract_is_checked_in_one_line(models: Path) -> None:
    with pytest.raises(ConfigError, match=r"'mynets:needs_width' needs width; give it in fixed or space"):
        build_custom("mynets:needs_width", {}, (64,), 10)
    with pytest.raises(ConfigError, match="returned str, not a torch.nn.Module"):
        build_custom("mynets:not_a_module", {}, (64,), 10)
    with pytest.raises(ConfigError, match=r"must take \(input_shape, n_outputs, \*\*hyperparameters\)"):
        load_builder("mynets:one_argument")
    with pytest.raises(ConfigError, match="mynets has no function or class named Nope"):
        load_builder("mynets:Nope")
    with pytest.raises(ConfigError, match="cannot import nosuchmodule"):
        load_builder("nosuchmodule:Net")
    (models / "broken.py").write_text("import nosuchthing\n")
    with pytest.raises(ConfigError, match="broken.py fails to import: ModuleNotFoundError"):
        load_builder("broken.py:Net")


def config(**space: dict) -> dict:
    return {"task": {"data": "digits", "model": "mynets:Net"},
            "space": {"lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True}, **space},
            "fixed": {"epochs": 2}}


def test_a_config_searches_the_models_own_hyperparameters(models: Path) -> None:
    cfg = parse_config(config(hidden={"type": "int", "low": 8, "high": 64}, depth={"type": "int", "low": 1, "high": 3}))
    assert set(cfg.build_space().params) == {"lr", "hidden", "depth"}
    assert list(trainable_subspace(cfg.build_space()).params) == ["lr"]  # PBT never reshapes a model
    with pytest.raises(ConfigError, match=r"^space.hiden: unknown hyperparameter \(nor one your model takes: "
                                          r"depth, dropout, hidden\); did you mean 'hidden'\?$"):
        parse_config(config(hiden={"type": "int", "low": 8, "high": 64}))
    with pytest.raises(ConfigError, match=r"^task.model: .*'mynets:Nope': mynets has no function or class named Nope"):
        parse_config({**config(), "task": {"data": "digits", "model": "mynets:Nope"}})
    with pytest.raises(ConfigError, match=r"^space.model.values: .*cannot import nope"):
        parse_config(config(model={"type": "choice", "values": ["mlp", "nope:Net"]}))
    with pytest.raises(ConfigError, match="population executor stacks mlp and cnn models"):
        parse_config({**config(), "search": {"executor": "population"}})


@pytest.mark.slow
def test_nntune_tune_runs_it_on_two_workers_with_the_sealed_test(models: Path, call_cli) -> None:
    import os

    import yaml

    from nntune.storage import SQLStorage

    raw = {**config(hidden={"type": "int", "low": 8, "high": 64}), "study": "own",
           "storage": f"sqlite:///{models / 'own.db'}", "search": {"trials": 4, "workers": 2, "sampler": "random"}}
    (models / "own.yaml").write_text(yaml.safe_dump(raw))
    # In this process (the executable's main, without a start of torch of its own), in the
    # models folder: the two workers are real processes that import mynets there themselves.
    code, out, err = call_cli("tune", str(models / "own.yaml"), "--json")
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["trials"]["complete"] == 4 and set(summary["best"]["params"]) == {"lr", "hidden"}
    assert summary["test"]["accuracy"] > 0.5
    store = SQLStorage(f"sqlite:///{models / 'own.db'}")
    trials = store.get_trials(store.load_study("own").id)
    assert os.getpid() not in {t.system_attrs["worker"]["pid"] for t in trials}  # run by the workers


def test_an_edited_model_file_is_read_again(models: Path) -> None:
    import os
    import time

    path = models / "edited.py"
    path.write_text("from torch import nn\ndef build(input_shape, n_outputs, *, width=4):\n"
                    "    return nn.Linear(input_shape[0], n_outputs)\n")
    assert own_parameters(load_builder("edited.py:build")) == {"width": 4}
    path.write_text("from torch import nn\ndef build(input_shape, n_outputs, *, depth=2):\n"
                    "    return nn.Linear(input_shape[0], n_outputs)\n")
    later = time.time() + 5
    os.utime(path, (later, later))  # a new modification time, however coarse the file system's clock
    assert own_parameters(load_builder("edited.py:build")) == {"depth": 2}
