"""A framework imported by the first test that uses it, not when the test files are collected.

Every test process collects every test file: a module-level ``pytest.importorskip("keras")``
imported Keras (2 s), MLflow, W&B, Ignite and Lightning in each of them, most of which never
ran one of those tests. ``lazy("keras")`` stands for the module and imports it at its first
use, inside a test; ``lazy("ignite.engine", "Events")`` stands for one of its names.
``_needs = needed("keras")`` at a module's top skips each of its tests where the package is
missing, as a module-level ``importorskip`` skipped the file, importing it only then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


class Lazy:
    def __init__(self, module: str, name: str | None) -> None:
        self._where = (module, name)
        self._target: Any = None

    def _load(self) -> Any:
        if self._target is None:
            module, name = self._where
            found = pytest.importorskip(module)
            self._target = found if name is None else getattr(found, name)
        return self._target

    def __getattr__(self, attr: str) -> Any:
        if self._target is None and attr.startswith("_"):
            raise AttributeError(attr)  # collection's probes (fixture markers, __wrapped__) import nothing
        return getattr(self._load(), attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._load()(*args, **kwargs)


def lazy(module: str, name: str | None = None) -> Any:
    """``module`` (or its ``name``) imported at its first use (see the module's docstring)."""
    return Lazy(module, name)


def needed(*modules: str) -> Callable[[], None]:
    """An autouse fixture skipping each test of the module that assigns it where one of
    ``modules`` is missing (see the module's docstring)."""
    @pytest.fixture(autouse=True)
    def _needed() -> None:
        for module in modules:
            pytest.importorskip(module)
    return _needed
