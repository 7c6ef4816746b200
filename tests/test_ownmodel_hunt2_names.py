"""The names a model of the user's own declares: values the built-in models do not offer
(``activation: silu``) are its builder's business, a ``**kwargs`` builder is told how to
declare a name, and fixed per-layer lists beside a searched depth are built at every depth
before the study starts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

NETS = textwrap.dedent("""
    from torch import nn

    class Act(nn.Module):
        def __init__(self, input_shape, n_outputs, *, activation="relu", hidden=8):
            super().__init__()
            self.fc = nn.Linear(input_shape[0], hidden)
            self.act = {"relu": nn.ReLU(), "silu": nn.SiLU(), "mish": nn.Mish()}[activation]
            self.out = nn.Linear(hidden, n_outputs)

        def forward(self, x):
            return self.out(self.act(self.fc(x)))

    def Kw(input_shape, n_outputs, **hp):
        return nn.Linear(input_shape[0], n_outputs)
""")
QUICK = ("--storage", "memory", "--trials", "1", "--set", "fixed.epochs=1", "--set", "search.checkpoint_dir=runs")


@pytest.fixture
def nets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nets.py").write_text(NETS)
    return tmp_path


def write(path: Path, text: str) -> str:
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_own_model_takes_an_activation_the_built_in_ones_lack(nets: Path, call_cli) -> None:
    code, out, err = call_cli("tune", *QUICK, "--set", "task.model=nets.py:Act", "--set", "fixed.activation=silu")
    assert code == 0, err
    assert "1 complete" in out or "best trial 0" in out


def test_own_model_searches_activations_the_built_in_ones_lack(nets: Path, call_cli) -> None:
    config = write(nets / "c.yaml", """
        task: {model: "nets.py:Act"}
        space: {activation: {type: choice, values: [silu, mish]}}
    """)
    code, _, err = call_cli("tune", config, *QUICK)
    assert code == 0, err


def test_built_in_model_beside_own_one_still_checks_activation(nets: Path, call_cli) -> None:
    config = write(nets / "c.yaml", """
        space: {model: {type: choice, values: [mlp, "nets.py:Act"]}}
        fixed: {activation: silu}
    """)
    code, _, err = call_cli("tune", config, *QUICK)
    assert code == 2
    assert "fixed.activation: unknown activation 'silu'" in err


def test_kwargs_builder_is_told_to_declare_the_name(nets: Path, call_cli) -> None:
    code, _, err = call_cli("tune", *QUICK, "--set", "task.model=nets.py:Kw", "--set", "fixed.width=3")
    assert code == 2
    assert "fixed.width: unknown hyperparameter" in err
    assert "def Kw(input_shape, n_outputs, *, width=...)" in err
    assert len(err.strip().splitlines()) == 1


def test_kwargs_builder_keeps_the_did_you_mean_of_a_trainer_name(nets: Path, call_cli) -> None:
    code, _, err = call_cli("tune", *QUICK, "--set", "task.model=nets.py:Kw", "--set", "fixed.optimiser=adam")
    assert code == 2
    assert "did you mean 'optimizer'?" in err and "**kwargs" not in err


def test_units_list_beside_searched_layers_refused_before_the_study(nets: Path, call_cli) -> None:
    config = write(nets / "c.yaml", """
        space: {layers: {type: int, low: 1, high: 3}}
        fixed: {units: [16, 8]}
    """)
    code, out, err = call_cli("tune", config, *QUICK)
    assert code == 2
    assert err.strip().endswith("fixed.units: at layers=1 (space.layers): need 1 positive integers "
                                "(one per hidden layer), got [16, 8]")
    assert "trial" not in out


def test_kernel_list_beside_searched_conv_layers_refused_before_the_study(nets: Path, call_cli) -> None:
    config = write(nets / "c.yaml", """
        task: {model: cnn, data: mnist_5k, train_size: 200}
        space: {conv_layers: {type: choice, values: [1, 2]}}
        fixed: {kernel_size: [5, 3], filters: 2, units: 8}
    """)
    code, _, err = call_cli("tune", config, *QUICK)
    assert code == 2
    assert "fixed.kernel_size: at conv_layers=1 (space.conv_layers): need one integer >= 1, or a list of 1" in err


def test_units_list_fitting_every_searched_depth_runs(nets: Path, call_cli) -> None:
    config = write(nets / "c.yaml", """
        space: {layers: {type: choice, values: [2]}}
        fixed: {units: [16, 8]}
    """)
    code, _, err = call_cli("tune", config, *QUICK)
    assert code == 0, err


def test_deepest_searched_cnn_that_leaves_no_pixel_refused_before_the_study(nets: Path, call_cli) -> None:
    config = write(nets / "c.yaml", """
        task: {model: cnn, data: mnist_5k, train_size: 200}
        space: {conv_layers: {type: choice, values: [1, 2, 4]}}
        fixed: {kernel_size: 5, padding: valid, filters: 2, units: 8}
    """)
    code, _, err = call_cli("tune", config, *QUICK)
    assert code == 2
    assert "space.conv_layers: at conv_layers=4: block 3's 5x5 kernel is larger than its 4x4 input" in err
