"""A model whose outputs on the test split are NaN or infinite: ``evaluate`` says so in one
line instead of scikit-learn's crash (regression) or an argmax over NaN logits scoring a
class nobody predicted (classification), and ``nntune tune`` keeps its search and says why
the test look has no metrics."""

import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from nntune.exceptions import NonFiniteOutputs
from nntune.train import evaluate

# A network that is finite on the training and validation splits and breaks on the test
# split alone: of digits split 60/25/15 only the test pass evaluates 270 rows at once.
NETS = textwrap.dedent("""
    import torch
    from torch import nn

    class BreaksOnTest(nn.Module):
        def __init__(self, input_shape, n_outputs):
            super().__init__()
            self.head = nn.Linear(input_shape[0], n_outputs)

        def forward(self, x):
            out = self.head(x)
            if not self.training and len(x) == 270:
                out = out.clone()
                out[:3] = float("nan")
            return out
""")


class Scaled(nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 3)
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lin(x)
        out[1:3] = out[1:3] * self.factor
        return out


def test_evaluate_names_the_samples_whose_outputs_are_not_finite() -> None:
    x, y = torch.randn(5, 2), torch.tensor([0, 1, 2, 0, 1])
    with pytest.raises(NonFiniteOutputs, match=r"NaN or infinite for 2 of 5 samples"):
        evaluate(Scaled(float("nan")), x, y, task_type="classification", metrics=["accuracy"], n_classes=3)
    regression = nn.Sequential(Scaled(float("inf")), nn.Linear(3, 1))
    with pytest.raises(NonFiniteOutputs, match=r"for 2 of 5 samples"):
        evaluate(regression, x, torch.randn(5), task_type="regression", metrics=["mae", "rmse"])
    scored = evaluate(Scaled(1.0), x, y, task_type="classification", metrics=["accuracy"], n_classes=3)
    assert 0.0 <= scored["accuracy"] <= 1.0  # finite outputs are scored as before


@pytest.fixture
def nets(own_module) -> Path:
    return own_module("testbreak", NETS)


def test_tune_keeps_its_search_and_says_why_the_test_look_has_no_metrics(nets: Path) -> None:
    from nntune.config import parse_config
    from nntune.runner import prepare, run_tune

    cfg = {"study": "breaks", "storage": f"sqlite:///{nets / 's.db'}",
           "task": {"data": "digits", "split": [0.6, 0.25, 0.15], "model": "testbreak:BreaksOnTest",
                    "metric": "accuracy"},
           "search": {"trials": 1}, "fixed": {"epochs": 1, "batch_size": 256}, "space": {}}
    summary = run_tune(prepare(parse_config(cfg)))
    assert summary.test is None and summary.best is not None and summary.counts["complete"] == 1
    assert any("the test split of trial 0: the model's outputs are NaN or infinite for 3 of 270 samples" in note
               for note in summary.notes)


def test_the_cli_says_both_looks_found_non_finite_outputs_in_one_line(nets: Path, call_cli) -> None:
    import yaml

    (nets / "breaks.yaml").write_text(yaml.safe_dump({
        "study": "breaks", "storage": f"sqlite:///{nets / 's.db'}",
        "task": {"data": "digits", "split": [0.6, 0.25, 0.15], "model": "testbreak:BreaksOnTest",
                 "metric": "accuracy"},
        "search": {"trials": 1}, "fixed": {"epochs": 1, "batch_size": 256}, "space": {}}))
    code, out, err = call_cli("tune", str(nets / "breaks.yaml"))
    assert code == 0 and "the test split of trial 0: the model's outputs are NaN or infinite for 3 of 270" in out
    code, out, err = call_cli("test", str(nets / "breaks.yaml"))  # a deliberate second look finds the same
    assert code == 1 and err.strip().splitlines()[-1] == (
        "nntune: error: test: the model's outputs are NaN or infinite for 3 of 270 samples, so its metrics "
        "cannot be measured there")
