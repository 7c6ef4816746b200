"""nntune's version, where Optuna scripts read theirs (``optuna.version.__version__``);
``nntune.__version__`` is this one."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
