"""Every bundled-data example runs from the CLI (shortened with --set, otherwise as shipped)."""

import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FASHION = Path("/usr/share/datasets/fashion-mnist")

# Each example is run for 3 trials; the overrides only shorten training.
CASES = {
    "digits-mlp": ["--set", "fixed.epochs=3"],
    "breast-cancer-recall": ["--set", "fixed.epochs=5"],
    "diabetes-rmse": ["--set", "fixed.epochs=5"],
    "mnist-cnn": ["--set", "fixed.epochs=1", "--set", "task.train_size=1000"],
    "fashion-mnist-cnn": ["--set", "fixed.epochs=1", "--set", "task.train_size=1000"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs(name, call_cli, tmp_path):
    if name.startswith("fashion") and not FASHION.is_dir():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    code, out, err = call_cli("tune", str(EXAMPLES / f"{name}.yaml"), "--trials", "3", "--json",
                              "--storage", f"sqlite:///{tmp_path / 'ex.db'}", *CASES[name])
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert sum(summary["trials"].values()) == 3
    assert summary["best"] is not None and summary["test"], summary
    metric = {"breast-cancer-recall": "recall", "diabetes-rmse": "rmse"}.get(name, "accuracy")
    assert metric in summary["test"]


def test_every_example_is_covered_or_needs_local_files():
    shipped = {p.stem for p in EXAMPLES.glob("*.yaml")}
    assert shipped - set(CASES) <= {"cifar10-resnet50"}


def test_set_overrides_and_bad_set(call_cli, tmp_path):
    code, _, err = call_cli("tune", "--set", "fixed.epochs", "--dry-run")
    assert code == 2 and "--set: expected KEY.PATH=VALUE" in err
    code, _, err = call_cli("tune", "--set", "search.trials=[1", "--dry-run")
    assert code == 2 and err.count("\n") == 1
    code, out, err = call_cli("tune", "--set", "space={lr: {type: float, low: 0.001, high: 0.1, log: true}}",
                              "--set", "fixed.units=[32, 16]", "--set", "fixed.layers=2",
                              "--dry-run", "--storage", f"sqlite:///{tmp_path / 'x.db'}")
    assert code == 0, err
    assert "(-1, 32)" in out and "(-1, 16)" in out
