"""Fixtures shared by the sampler tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nntune import logging as nlogging


@pytest.fixture
def sampler_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The samplers' logged notes at WARNING and above, as pytest's ``caplog`` (nntune's
    logger hands its records on to pytest's handler for the test)."""
    nlogging.enable_propagation()
    try:
        with caplog.at_level("WARNING", logger="nntune"):
            yield caplog
    finally:
        nlogging.disable_propagation()

