"""Real runs of the built-in trainer for the diagnosis tests: digits on one thread, and one
trial trained and reported as `nntune tune` reports its epochs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import nntune
from nntune.trial import FrozenTrial, TrialState

Curve = tuple[float, float, float, float]  # one epoch: train_loss, val_loss, train_accuracy, val_accuracy
LayerRow = tuple[str, float, float, float, float]  # name, grad_norm, act_mean, act_std, act_zero_frac


def one_thread_digits() -> Iterator[Any]:
    """The digits splits, torch on one thread meanwhile (tiny MLPs: one thread is faster and
    leaves the other cores alone); a module fixture yields from it."""
    import torch

    from nntune.train import load_splits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield load_splits("digits")
    torch.set_num_threads(before)


def trained(params: dict[str, Any], splits: Any, seed: int = 0) -> FrozenTrial:
    """One trial of the built-in trainer at this seed, its epochs reported as `nntune tune` reports them."""
    from nntune.train import fit

    def objective(t: nntune.Trial) -> float:
        for key, value in params.items():  # as a searched space would, so the trial's params hold them
            t.suggest_categorical(key, [value])

        def report(epoch: int, record: dict[str, Any]) -> bool:
            t.report(record["value"], epoch, metrics=record)
            return False

        result = fit(params, splits, metric="accuracy", report=report, seed=seed)
        t.set_user_attr("model_summary", result.summary)
        return float(result.history[-1]["value"])

    study = nntune.create_study(direction="maximize")
    study.optimize(objective, n_trials=1)
    return study.trials[0]


def linear_summary(*widths: int) -> list[dict[str, Any]]:
    """The model summary the built-in trainer stores, for Linear layers of these widths."""
    rows: list[dict[str, Any]] = []
    for i, w in enumerate(widths, start=1):
        rows.append({"name": "head" if i == len(widths) else f"fc{i}", "type": "Linear",
                     "output_shape": [-1, w], "params": 0})
        if i < len(widths):
            rows.append({"name": f"act{i}", "type": "ReLU", "output_shape": [-1, w], "params": 0})
    return rows


def recorded(curves: Sequence[Curve], layers: Mapping[int, Sequence[LayerRow]],
             params: dict[str, Any], metric: str = "accuracy") -> FrozenTrial:
    """A completed trial holding these recorded epochs (each: train_loss, val_loss, train and
    validation ``metric``; layer records where recorded), valued by the validation metric."""
    records = []
    for epoch, (train_loss, val_loss, train_m, val_m) in enumerate(curves, start=1):
        rows = [{"name": n, "grad_norm": g, "act_mean": m, "act_std": s, "act_zero_frac": z}
                for n, g, m, s, z in layers.get(epoch, [])]
        records.append({"step": epoch, "epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                        f"train_{metric}": train_m, f"val_{metric}": val_m, "value": val_m, "layers": rows})
    return FrozenTrial(number=0, state=TrialState.COMPLETE, params=params, value=curves[-1][3],
                       intermediate_values={r["epoch"]: r["value"] for r in records}, metrics=records)
