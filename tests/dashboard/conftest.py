"""Fixtures of the dashboard tests (the browser itself, ``browser_context``, is every
test folder's: tests/_browser.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the browser tests save their screenshots: $NNTUNE_SCREENSHOTS when set (CI keeps
    them), else a folder in tmp_path."""
    out = Path(os.environ.get("NNTUNE_SCREENSHOTS") or tmp_path / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out
