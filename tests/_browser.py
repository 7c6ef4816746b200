"""Debian's chromium driven by Playwright (``executable_path``, never a downloaded browser)
for every test folder's browser tests (the dashboard's pages, the HTML report): one browser
per test process, a fresh context per test. A test skips with the reason where chromium or
Playwright is missing. Playwright's sync API runs one event loop per thread, so a test
must take the browser from these fixtures rather than start its own."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
                 # software WebGL, for the parallel-coordinates plot
                 "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Any]:
    exe = chromium_path()
    if exe is None:
        pytest.skip("chromium is not installed (scripts/system-deps.sh installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the dev extra)")
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def _browsers(_playwright: Any) -> Iterator[list[Any]]:
    """The test process's one headless chromium (a list, so that a crashed one is replaced)."""
    held: list[Any] = []
    try:
        yield held
    finally:
        for browser in held:
            if browser.is_connected():
                browser.close()


@pytest.fixture
def chromium(_playwright: Any, _browsers: list[Any]) -> Any:
    """One headless chromium for the whole test process: starting one takes a second or more
    on a loaded machine, and the browser tests are spread over dozens of modules. Each test
    still gets a context of its own (see ``browser_context``), and a browser that crashed is
    started again rather than failing every later test."""
    if not _browsers or not _browsers[-1].is_connected():
        _browsers.append(_playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS))
    return _browsers[-1]


@pytest.fixture
def browser_context(chromium: Any) -> Iterator[Any]:
    """A fresh browser context: its own cookies, storage and cache, as a new profile."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context
    finally:
        context.close()
