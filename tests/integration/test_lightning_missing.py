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


@pytest.mark.parametrize(("name", "packages", "module", "install"), [
    ("PyTorchIgnitePruningHandler", ("ignite", "ignite.engine"), "_ignite", "pip install pytorch-ignite"),
    ("SkorchPruningCallback", ("skorch", "skorch.callbacks"), "_skorch", "pip install skorch"),
])
def test_without_ignite_or_skorch_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch, name: str,
                                                                  packages: tuple[str, ...], module: str,
                                                                  install: str) -> None:
    for package in packages:
        monkeypatch.setitem(sys.modules, package, None)
    monkeypatch.delitem(sys.modules, f"nntune.integration.{module}", raising=False)
    made = getattr(nntune.integration, name)
    with pytest.raises(ImportError, match=install) as err:
        made(None, "accuracy")
    assert "\n" not in str(err.value) and name in nntune.integration.__all__
