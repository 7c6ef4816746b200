"""``nntune.version.__version__``, where Optuna scripts read ``optuna.version.__version__``."""

from __future__ import annotations

import subprocess
import sys

import nntune


def test_the_version_module_holds_the_package_version() -> None:
    # It had no nntune counterpart: ``import nntune as optuna`` then failed on optuna.version.
    import nntune.version

    assert nntune.version.__version__ == nntune.__version__ == "0.1.0"


def test_the_version_module_is_an_attribute_of_the_package_without_importing_it() -> None:
    code = "import nntune as optuna; print(optuna.version.__version__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == f"{nntune.__version__}\n"
