"""Do the validation and test splits follow the training split's distribution? Their class
shares and feature means are compared with the training split's once, when the data is
loaded, and a split that differs is named in a :class:`SplitDistributionWarning`. Samples
of a user's data in the validation or test split that copy a training sample (the file
holds duplicated rows) are counted by :func:`shared_rows` for a :class:`DuplicateRowsWarning`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

LABEL_SHARE_THRESHOLD = 0.05  # largest class-share gap beyond rounding (1 / split size)
FEATURE_SHIFT_THRESHOLD = 4.0  # largest |z| of a feature-mean difference between splits


class SplitDistributionWarning(UserWarning):
    """The validation or test split does not follow the training split's distribution."""


class DuplicateRowsWarning(UserWarning):
    """Validation or test samples are copies of training samples: the splits overlap."""


def _as_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each sample (its inputs and target) as one opaque value, equal where all its bytes are."""
    parts = [np.ascontiguousarray(a).reshape(len(a), -1).view(np.uint8) for a in (x, y)]
    rows = np.ascontiguousarray(np.concatenate(parts, axis=1))
    return rows.view(np.dtype((np.void, rows.shape[1]))).reshape(-1)


def shared_rows(train: tuple[np.ndarray, np.ndarray], others: Mapping[str, tuple[np.ndarray, np.ndarray]]
                ) -> dict[str, int]:
    """How many samples of each of ``others`` (val, test), given as (inputs, targets),
    equal a training sample, inputs and target, for the splits that have any: the model
    was trained on those very samples, so its score on them tells memory, not how it does
    on new data. The same inputs with another target are no copy (noisy labels)."""
    seen = _as_rows(*train)
    counts = {name: int(np.isin(_as_rows(*xy), seen).sum()) for name, xy in others.items() if len(xy[1]) and len(seen)}
    return {name: count for name, count in counts.items() if count}


def _features(x: torch.Tensor) -> np.ndarray:
    """What the check compares: per-image channel means for images, the features otherwise."""
    return (x.mean(dim=(2, 3)) if x.dim() == 4 else x).double().numpy()


def _max_z(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or len(b) < 2:
        return 0.0
    diff = np.abs(a.mean(axis=0) - b.mean(axis=0))
    pooled = (a.var(axis=0) + b.var(axis=0)) / 2.0
    se = np.sqrt(pooled * (1.0 / len(a) + 1.0 / len(b)))
    z = np.divide(diff, se, out=np.zeros_like(diff), where=se > 1e-12)
    return float(np.max(z)) if z.size else 0.0


def distribution_check(parts: Mapping[str, tuple[torch.Tensor, torch.Tensor]], n_classes: int) -> dict[str, Any]:
    """Compare every split with ``parts['train']``: class shares and feature-mean z scores."""
    x_tr, y_tr = parts["train"]
    f_tr, t_tr = _features(x_tr), y_tr.double().numpy().reshape(len(y_tr), -1)
    report: dict[str, Any] = {"thresholds": {"label_share": LABEL_SHARE_THRESHOLD,
                                             "feature_mean_z": FEATURE_SHIFT_THRESHOLD}, "splits": {}}
    problems = []
    for name, (x, y) in parts.items():
        if name == "train":
            continue
        row: dict[str, float] = {"feature_mean_z": _max_z(f_tr, _features(x))}
        limits = {"feature_mean_z": FEATURE_SHIFT_THRESHOLD}
        if n_classes:
            share_tr = np.bincount(y_tr.numpy(), minlength=n_classes) / max(len(y_tr), 1)
            share = np.bincount(y.numpy(), minlength=n_classes) / max(len(y), 1)
            row["label_share"] = float(np.max(np.abs(share - share_tr)))
            limits["label_share"] = LABEL_SHARE_THRESHOLD + 1.0 / max(len(y), 1)
        else:
            row["target_mean_z"] = _max_z(t_tr, y.double().numpy().reshape(len(y), -1))
            limits["target_mean_z"] = FEATURE_SHIFT_THRESHOLD
        report["splits"][name] = row
        problems += [f"{name} {key} {row[key]:.3g} > {limits[key]:.3g}" for key in row if row[key] > limits[key]]
    report["passed"] = not problems
    report["problems"] = problems
    return report
