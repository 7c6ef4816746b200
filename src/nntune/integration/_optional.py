"""An integration's package, imported when its callback is made: missing, it is one
ImportError that says what to install (a package that is there but fails to import one of
its own dependencies keeps that error, which names what is really missing)."""

from __future__ import annotations

import importlib
from typing import Any


def optional_module(name: str, install: str) -> Any:
    """``import name``, or ``ImportError(install)`` when the package itself is absent."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        if err.name not in (None, name):
            raise
        raise ImportError(install) from None
