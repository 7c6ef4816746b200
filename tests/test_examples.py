"""Every bundled-data example runs from the CLI (shortened with --set, otherwise as shipped)."""

import json
from pathlib import Path

import pytest

from _files import write_cifar

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FASHION = Path("/usr/share/datasets/fashion-mnist")

# Each example is run for 3 trials; the overrides only shorten training.
CASES = {
    "digits-mlp": ["--set", "fixed.epochs=3"],
    "breast-cancer-recall": ["--set", "fixed.epochs=5"],
    "diabetes-rmse": ["--set", "fixed.epochs=5"],
    "mnist-cnn": ["--set", "fixed.epochs=1", "--set", "task.train_size=1000"],
    # A smaller validation cut as well: predicting 12,000 images after each epoch was most of the run.
    "fashion-mnist-cnn": ["--set", "fixed.epochs=1", "--set", "task.train_size=1000", "--set", "task.split=[0.97,0.03]"],
    "digits-pareto": ["--set", "fixed.epochs=3"],
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
    if name == "digits-pareto":  # two objectives: a Pareto front, each trial of it looked at once
        assert summary["front"] and all("accuracy" in f["test"] for f in summary["front"]), summary
        return
    assert summary["best"] is not None and summary["test"], summary
    metric = {"breast-cancer-recall": "recall", "diabetes-rmse": "rmse"}.get(name, "accuracy")
    assert metric in summary["test"]


def test_every_example_is_covered_or_needs_local_files():
    shipped = {p.stem for p in EXAMPLES.glob("*.yaml")}
    assert shipped - set(CASES) == {"cifar10-resnet50"}  # tested below on generated files


def test_cifar10_resnet50_names_each_missing_local_file(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    example = str(EXAMPLES / "cifar10-resnet50.yaml")
    code, _, err = call_cli("tune", example, "--storage", "memory")
    assert code == 2 and err.count("\n") == 1
    assert "fixed.pretrained_weights" in err and "weights/resnet50-imagenet.pth" in err
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "resnet50-imagenet.pth").write_bytes(b"")
    code, _, err = call_cli("tune", example, "--storage", "memory")
    assert code == 2 and "task.data.path" in err and "data/cifar-10-batches-py" in err


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::nntune.train.data.SplitDistributionWarning")  # 24 random images
def test_cifar10_resnet50_example_runs_on_generated_files(call_cli, tmp_path, monkeypatch):
    """The example as shipped (ResNet-50, 224x224 crops, ImageNet normalization, the
    baseline enqueued first) on a tiny generated CIFAR-10 directory, with randomly
    initialized weights standing in for ImageNet's; only epochs and batch size shrink."""
    import torch
    import torchvision

    monkeypatch.chdir(tmp_path)
    write_cifar(tmp_path / "data" / "cifar-10-batches-py", per_batch=4)
    (tmp_path / "weights").mkdir()
    torch.save(torchvision.models.resnet50().state_dict(), tmp_path / "weights" / "resnet50-imagenet.pth")
    code, out, err = call_cli("tune", str(EXAMPLES / "cifar10-resnet50.yaml"), "--trials", "1", "--json",
                              "--storage", f"sqlite:///{tmp_path / 'ex.db'}", "--set", "fixed.epochs=1",
                              "--set", "fixed.batch_size=6", "--set", "task.split=[0.7, 0.3]")
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["trials"]["complete"] == 1, summary
    assert summary["best"]["params"] == {"lr": 1.0e-3, "optimizer": "sgd", "backbone_lr_mult": 1.0}
    assert 0.0 <= summary["test"]["accuracy"] <= 1.0
    # The dry run of the study just tuned: with the same overrides, or it would be refused as
    # the real run would (another split or epochs than the study was tuned with).
    code, out, err = call_cli("tune", str(EXAMPLES / "cifar10-resnet50.yaml"), "--dry-run",
                              "--storage", f"sqlite:///{tmp_path / 'ex.db'}", "--set", "fixed.epochs=1",
                              "--set", "fixed.batch_size=6", "--set", "task.split=[0.7, 0.3]")
    assert code == 0, err
    assert "224" in out  # the model summary shows the resized input


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


def test_the_cifar10_resnet50_header_commands_make_the_files_it_reads(tmp_path):
    """The header's two commands, run in an empty folder as written (the archive beside
    them; a small network's state dict for ImageNet's, which needs the internet), leave the
    data and weights where the config looks for them."""
    import re
    import subprocess
    import sys
    import tarfile

    import yaml

    text = (EXAMPLES / "cifar10-resnet50.yaml").read_text()
    header = "\n".join(line.removeprefix("#").strip() for line in text.splitlines() if line.startswith("#"))
    unpack = re.search(r"^mkdir -p data && tar .*$", header, flags=re.M).group(0)
    save = re.search(r'^mkdir -p weights && python -c ".*?"$', header, flags=re.M | re.S).group(0)
    write_cifar(tmp_path / "src" / "cifar-10-batches-py", per_batch=2)
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    save = save.replace("python -c", f"{sys.executable} -c").replace("import torch, torchvision;", "import torch;")
    save = save.replace("torchvision.models.resnet50(\nweights='IMAGENET1K_V1')", "torch.nn.Linear(1, 1)")
    assert "nn.Linear" in save and "torchvision" not in save
    for command in (unpack, save):
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    config = yaml.safe_load(text)
    assert (tmp_path / config["task"]["data"]["path"] / "data_batch_5").is_file()
    assert (tmp_path / config["fixed"]["pretrained_weights"]).is_file()
