"""Without Lightning installed, the callback's name still imports and making it says, in one
line, what to install (as the MLflow, TensorBoard and W&B callbacks do)."""

from __future__ import annotations

import sys

import pytest

import nntune.integration


def test_without_lightning_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("lightning", "lightning.pytorch"):
        monkeypatch.setitem(sys.modules, name, None)  # as if the package were not installed
    monkeypatch.delitem(sys.modules, "nntune.integration._lightning", raising=False)
    from nntune.integration import PyTorchLightningPruningCallback

    with pytest.raises(ImportError, match=r"pip install lightning") as err:
        PyTorchLightningPruningCallback(None, monitor="val_acc")
    assert "\n" not in str(err.value)
    assert nntune.integration.__all__  # the star import names every callback, Lightning's too
    namespace: dict[str, object] = {}
    exec("from nntune.integration import *", namespace)
    assert "PyTorchLightningPruningCallback" in namespace
