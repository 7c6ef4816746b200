"""A model of the user's own that declares a name only built-in models read (``padding``)
takes the values its builder takes (``padding: reflect``): in a config, in every trial of
``nntune tune`` and in ``fit``; a name it does not declare gets the ``**kwargs`` hint in
``fit`` as in a config."""

import json
import textwrap
from pathlib import Path

import pytest

from nntune.config import parse_config
from nntune.exceptions import ConfigError
from nntune.train import fit, load_splits

NET = textwrap.dedent("""
    from torch import nn

    class Net(nn.Module):
        def __init__(self, input_shape, n_outputs, *, padding="zeros", kernel_size=3):
            super().__init__()
            self.conv = nn.Conv1d(1, 4, kernel_size, padding=kernel_size // 2, padding_mode=padding)
            self.head = nn.LazyLinear(n_outputs)

        def forward(self, x):
            return self.head(self.conv(x.unsqueeze(1)).flatten(1))

    def loose(input_shape, n_outputs, *, hidden=8, **kwargs):
        return nn.Linear(input_shape[0], n_outputs)
""")


@pytest.fixture
def models(own_module) -> Path:
    return own_module("padnets", NET)


def config(tmp_path: Path, model: str, fixed: dict, space: dict | None = None) -> dict:
    return {"study": "pad", "storage": f"sqlite:///{tmp_path / 's.db'}",
            "task": {"data": "digits", "model": model, "metric": "accuracy"},
            "fixed": {"epochs": 1, "batch_size": 256, **fixed}, "space": space or {}}


def test_fit_takes_the_own_models_padding(models):
    result = fit({"model": "padnets:Net", "epochs": 1, "padding": "reflect"}, load_splits("digits", seed=0))
    assert result.model.conv.padding_mode == "reflect"


def test_fit_says_how_to_declare_a_name_a_kwargs_builder_would_not_get(models):
    with pytest.raises(ConfigError, match=r"declare it \(def loose\(input_shape, n_outputs, \*, width=\.\.\.\)\)"):
        fit({"model": "padnets:loose", "epochs": 1, "width": 3}, load_splits("digits", seed=0))


def test_the_config_leaves_the_own_models_values_to_its_builder(models):
    parse_config(config(models, "padnets:Net", {"padding": "reflect"}))
    parse_config(config(models, "padnets:Net", {}, {"padding": {"type": "choice", "values": ["reflect", "zeros"]}}))
    with pytest.raises(ConfigError, match="fixed.padding: must be an integer"):  # a built-in model's padding
        parse_config(config(models, "cnn", {"padding": "reflect"}))


def test_every_trial_trains_with_the_own_models_padding(models, call_cli):
    import yaml

    path = models / "pad.yaml"
    path.write_text(yaml.safe_dump(config(models, "padnets:Net", {},
                                          {"padding": {"type": "choice", "values": ["reflect", "circular"]}})))
    code, out, err = call_cli("tune", str(path), "--trials", "2", "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["trials"]["complete"] == 2
