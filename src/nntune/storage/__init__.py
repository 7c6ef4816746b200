"""Storages: where studies live. ``get_storage`` turns a URL into one."""

from __future__ import annotations

from nntune.exceptions import ConfigError
from nntune.storage._base import (
    DuplicatedStudyError,
    Storage,
    StudyNotFoundError,
    StudyRecord,
    StudySummary,
    ParamChange,
    TrialChanges,
    TrialStateError,
)
from nntune.storage.memory import InMemoryStorage
from nntune.storage.sql import SQLStorage

__all__ = [
    "DuplicatedStudyError",
    "InMemoryStorage",
    "SQLStorage",
    "Storage",
    "StudyNotFoundError",
    "StudyRecord",
    "StudySummary",
    "ParamChange",
    "TrialChanges",
    "TrialStateError",
    "get_storage",
    "redact_url",
]


def get_storage(url: str | Storage | None) -> Storage:
    """``None`` or ``"memory"``: in-process; ``sqlite:///file.db`` or ``postgresql://...``: SQL."""
    if url is None or url == "memory":
        return InMemoryStorage()
    if not isinstance(url, str):
        return url
    if "://" not in url:
        raise ConfigError("storage", f"expected a URL such as sqlite:///nntune.db, got {url!r}")
    try:
        return SQLStorage(url)
    except ConfigError:
        raise
    except Exception as err:  # a bad driver name, an unreachable server, ...
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError("storage", f"cannot open {redact_url(url)}: {first}") from err


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to print."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        return parsed.render_as_string(hide_password=True) if parsed.password else url
    except Exception:
        return url
