"""An integration's package, imported when its callback is made: missing, it is one
ImportError that says what to install (a package that is there but fails to import one of
its own dependencies keeps that error, which names what is really missing). A class that
must subclass the package's own (Lightning's callback) is a stand-in that raises it."""

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


def unavailable(name: str, install: str) -> type:
    """A stand-in for the class ``name`` whose package is absent: importing the name works
    (``from nntune.integration import *`` too), making one raises ``ImportError(install)``,
    where Optuna's integrations raise theirs."""

    def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        raise ImportError(install)

    return type(name, (), {"__init__": refuse, "__doc__": install, "__module__": "nntune.integration"})
