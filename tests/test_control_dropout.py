"""A new dropout rate for a model with no Dropout layer (a model of the user's own without
one, an mlp without hidden layers) is refused in one line as it is asked, nothing written,
as a setting the optimizer does not read is: taken, it was recorded as applied and changed
nothing."""

from pathlib import Path
from typing import Any

import pytest
from torch import nn

from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.panda import open_babysit_study, queue_fork, queue_new, train_queued
from nntune.train.basics import resolve_params
from nntune.train.models import build_model, takes_dropout
from nntune.trial import TrialState

PLAIN = """
from torch import nn

class Net(nn.Module):
    def __init__(self, input_shape, n_outputs, *, hidden=16):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(input_shape[0], hidden), nn.ReLU())
        self.head = nn.Linear(hidden, n_outputs)

    def forward(self, x):
        return self.head(self.body(x))
"""

# Builds its Dropout layer only for a positive rate: a fork given one is built with it.
DECLARED = """
from torch import nn

def Net(input_shape, n_outputs, *, dropout=0.0):
    drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
    return nn.Sequential(nn.Linear(input_shape[0], 16), nn.ReLU(), drop, nn.Linear(16, n_outputs))
"""


def config(tmp_path: Path, model: str, **fixed: Any):
    return parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": model, "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "fixed": {"epochs": 2, "batch_size": 128, "lr": 0.01, **fixed},
    })


def test_only_models_with_a_place_for_dropout_take_it(own_module):
    own_module("plainnet", PLAIN)

    def built(**params: Any) -> nn.Module:
        return build_model(resolve_params(params, "classification"), (64,), 10)

    assert takes_dropout(built(model="mlp", layers=1)) and takes_dropout(built(model="mlp", layers=1, dropout=0.2))
    assert not takes_dropout(built(model="mlp", layers=0))
    assert not takes_dropout(built(model="plainnet:Net"))
    assert takes_dropout(build_model(resolve_params({"model": "cnn"}, "classification"), (1, 8, 8), 10))


def test_a_babysat_model_of_ones_own_without_dropout_refuses_a_rate(tmp_path, own_module, call_cli):
    own_module("plainnet", PLAIN)
    cfg = config(tmp_path, "plainnet:Net")
    study = open_babysit_study(cfg)
    said: list[tuple[int, str, str]] = []

    def ask(trial, epoch, record):
        if epoch == 1:  # from another terminal while it trains
            said.append(call_cli("trial", "set", "dropout=0.3", "--study", "panda", "--trial", str(trial.number),
                                 "--storage", cfg.storage))

    done = train_queued(study, cfg, queue_new(study, cfg), on_epoch=ask).trial
    code, out, err = said[0]
    assert code == 2 and out == "" and err == (
        "nntune: error: dropout: the trial's model plainnet:Net has no Dropout layer, so a new rate would change "
        "nothing (give the model nn.Dropout layers to change their rate)\n")
    assert done.state == TrialState.COMPLETE and study.storage.get_param_changes(study.id) == []
    with pytest.raises(ConfigError, match="^dropout: the trial's model plainnet:Net has no Dropout layer"):
        queue_fork(study, cfg, done.number, 1, {"dropout": 0.3})
    fork = queue_fork(study, cfg, done.number, 1, {"lr": 0.001})  # what it does take
    with pytest.raises(ConfigError, match="^dropout: the trial's model plainnet:Net"):
        study.set_trial_params(fork, {"dropout": 0.3})  # waiting: built as its parent was
    assert [c.param for c in study.storage.get_param_changes(study.id)] == ["lr"]


def test_an_mlp_without_hidden_layers_refuses_a_rate_and_one_with_them_takes_it(tmp_path):
    cfg = config(tmp_path, "mlp", layers=0)
    study = open_babysit_study(cfg)
    done = train_queued(study, cfg, queue_new(study, cfg)).trial
    with pytest.raises(ConfigError, match="^dropout: the trial's mlp has no hidden layer for dropout to follow"):
        queue_fork(study, cfg, done.number, 1, {"dropout": 0.3})
    deep = config(tmp_path, "mlp", layers=1)
    kept = train_queued(study, deep, queue_new(study, deep)).trial
    assert "no_dropout" not in kept.system_attrs
    fork = queue_fork(study, deep, kept.number, 1, {"dropout": 0.3})
    assert [c.param for c in study.set_trial_params(fork, {"dropout": 0.4})] == ["dropout"]


def test_a_builder_that_declares_dropout_is_built_again_with_a_forks_rate(tmp_path, own_module):
    own_module("declarednet", DECLARED)
    cfg = config(tmp_path, "declarednet:Net")
    study = open_babysit_study(cfg)
    done = train_queued(study, cfg, queue_new(study, cfg)).trial
    assert done.system_attrs["no_dropout"] is True  # built with 0.0: no layer
    fork = queue_fork(study, cfg, done.number, 1, {"dropout": 0.3})
    trained = train_queued(study, cfg, fork).trial
    assert trained.state == TrialState.COMPLETE and "no_dropout" not in trained.system_attrs
