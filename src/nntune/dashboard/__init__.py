"""``nntune dashboard``: a local web app over a study storage that follows running studies.

:func:`create_app` builds the Starlette app; :func:`serve` runs it with uvicorn;
:class:`RunningServer` runs it in a thread (tests, benchmarks).
"""

from __future__ import annotations

from nntune.dashboard.app import create_app
from nntune.dashboard.server import RunningServer, allowed_hosts, is_loopback, serve

__all__ = ["RunningServer", "allowed_hosts", "create_app", "is_loopback", "serve"]
