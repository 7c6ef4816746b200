"""Pruners by Optuna's names (``nntune.pruners.MedianPruner`` ...), each a scheduler."""

from __future__ import annotations

from nntune.pruners._pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)
from nntune.pruners._wilcoxon import WilcoxonPruner

__all__ = ["BasePruner", "HyperbandPruner", "MedianPruner", "NopPruner", "PatientPruner", "PercentilePruner",
           "SuccessiveHalvingPruner", "ThresholdPruner", "WilcoxonPruner"]
