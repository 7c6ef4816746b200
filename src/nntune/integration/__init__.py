"""Other training frameworks reporting to a trial, by Optuna's names.

``PyTorchLightningPruningCallback(trial, monitor)`` reports a Lightning model's epochs to
the trial, with the whole epoch record nntune's diagnosis reads, and stops the fit when
the study's scheduler says so. Lightning is imported only when the name is used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PyTorchLightningPruningCallback"]


def __getattr__(name: str) -> Any:
    if name == "PyTorchLightningPruningCallback":
        from nntune.integration._lightning import PyTorchLightningPruningCallback

        return PyTorchLightningPruningCallback
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
