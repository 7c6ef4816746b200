"""Benchmark scripts loaded by their tests: ``benchmarks/`` is no package, so a script is
loaded from its path once per session, with its folder on ``sys.path`` for its siblings."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_benchmark(script: str, name: str) -> ModuleType:
    """``benchmarks/<script>`` as the module ``name`` (loaded on the first call)."""
    if name not in sys.modules:
        if str(BENCHMARKS) not in sys.path:
            sys.path.insert(0, str(BENCHMARKS))
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / script)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
