"""Ensembles of trained models: average their predictions, or pick members greedily.

Pure functions on numpy arrays of predictions, one array per model: class probabilities
(N, classes) for classification, outputs (N,) or (N, k) for regression. Averaging is the
notes' ensemble (train several networks apart, average their outputs at test time);
:func:`greedy_selection` is Caruana et al. (2004): start from nothing and repeatedly add,
with replacement, the model that most improves the ensemble's validation score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

Score = Callable[[np.ndarray, np.ndarray], float]
# The key of a recorded test look that scored an ensemble: its members' numbers.
ENSEMBLE_OF = "ensemble_of"


def is_ensemble_look(look: Mapping[str, Any]) -> bool:
    """Whether a recorded test look scored an ensemble (``nntune ensemble``,
    ``search.ensemble``): it is recorded under the ensemble's best member and counts as a
    look, but its scores are the ensemble's, never that trial's own."""
    return ENSEMBLE_OF in look.get("metrics", {})


def average(predictions: Sequence[np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
    """The (weighted) mean of the models' predictions."""
    if not predictions:
        raise ValueError("an ensemble needs at least one model")
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in predictions])
    w = np.ones(len(predictions)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(predictions),) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be one non-negative number per model, not all zero")
    return np.tensordot(w / w.sum(), stacked, axes=1)


def accuracy(probabilities: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(probabilities, axis=-1) == np.asarray(y)))


def log_loss(probabilities: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> float:
    """Mean negative log probability of the true class."""
    y = np.asarray(y, dtype=np.int64)
    return float(-np.mean(np.log(np.clip(probabilities[np.arange(len(y)), y], eps, 1.0))))


def top_k_curve(predictions: Sequence[np.ndarray], y: np.ndarray, score: Score) -> list[float]:
    """``score`` of the average of the first K models, for K = 1..len(predictions)
    (the models ranked best first)."""
    return [score(average(predictions[:k]), y) for k in range(1, len(predictions) + 1)]


def greedy_selection(predictions: Sequence[np.ndarray], y: np.ndarray, score: Score, *, rounds: int,
                     maximize: bool = True) -> list[int]:
    """Caruana's forward selection with replacement: ``rounds`` picks, each the model whose
    addition gives the best ``score`` on (``predictions``, ``y``); ties go to the lower
    index. Returns the picked indices in order (repeats are weights)."""
    if not predictions or rounds < 1:
        raise ValueError("greedy selection needs at least one model and one round")
    sign = 1.0 if maximize else -1.0
    total = np.zeros_like(np.asarray(predictions[0], dtype=np.float64))
    picked: list[int] = []
    for r in range(rounds):
        candidates = [sign * score((total + np.asarray(p, dtype=np.float64)) / (r + 1), y) for p in predictions]
        best = int(np.argmax(candidates))
        picked.append(best)
        total = total + np.asarray(predictions[best], dtype=np.float64)
    return picked


def member_weights(picked: Sequence[int], n_models: int) -> list[float]:
    """How often each model was picked, as the weights of :func:`average`."""
    counts = np.bincount(np.asarray(picked, dtype=np.int64), minlength=n_models)
    return [float(c) for c in counts]
