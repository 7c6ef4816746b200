"""Where a study's files go unless told (``models/STUDY.pt``, ``reports/STUDY.html``), never
over another study's.

:func:`~nntune._files.safe_name` makes one file name of names that differ only in what it
replaces (``a b`` and ``a_b`` both write ``models/a_b.pt``), so the default path is checked
before it is written: a model file records its study, a report names it in its title. Where
the file there is another study's, the study's own files get its name with a digest of the
whole name (as a long name's do); a study keeps the default path it had (names with spaces
included), and a file of no study (the user's own) is replaced as before.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from nntune._files import default_model_path, default_report_path, safe_name
from nntune.exceptions import ConfigError

_TITLE = re.compile(rb"<title>nntune report: (.*?)</title>", re.S)  # nntune.report.html's page
_FRONT = re.compile(r"-trial\d+$")  # a Pareto front's trials beside the model: STEM-trialN.pt


def model_file_study(path: Path) -> str | None:
    """The study an nntune model file records; None for no file, or a file of another kind."""
    if not path.is_file():  # nothing to read: torch is not imported for it
        return None
    try:
        import torch

        # Memory-mapped: the tensors (hundreds of MB for a big model) are not read for the name.
        payload = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # none there, a folder, a file of another kind
        return None
    study = payload.get("study") if isinstance(payload, Mapping) else None
    return study if isinstance(study, str) else None


def report_study(path: Path) -> str | None:
    """The study an nntune report is of (its title); None for no file, or a page of another kind."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)  # the title is in the head, before the page's script
    except OSError:
        return None
    found = _TITLE.search(head)
    return html.unescape(found.group(1).decode("utf-8", "replace")) if found else None


def _model_owners(path: Path) -> Iterable[str | None]:
    yield model_file_study(path)
    if path.parent.is_dir():  # a study of several objectives writes its front beside: STEM-trialN.pt
        for sibling in path.parent.glob(f"*{path.suffix}"):
            if sibling.stem.startswith(path.stem) and _FRONT.fullmatch(sibling.stem[len(path.stem):]):
                yield model_file_study(sibling)


def _own_path(study: str, default: Path, owners: Callable[[Path], Iterable[str | None]], field: str) -> Path:
    digest = hashlib.sha256(study.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    candidates = [default, default.with_name(f"{safe_name(study)}-{digest}{default.suffix}")]
    for path in candidates:
        other = next((s for s in owners(path) if s is not None and s != study), None)
        if other is None:
            return path
    raise ConfigError(field, f"{candidates[0]} and {candidates[1]} are study {other!r}'s; give {field} a path "
                             f"for study {study!r}")


def model_path_for(study: str, field: str) -> Path:
    """``models/STUDY.pt`` (:func:`~nntune._files.default_model_path`), or where another
    study's model (or Pareto front) is there, ``models/STUDY-DIGEST.pt``; ``field`` is the
    option that gives a path instead, named where neither is free."""
    return _own_path(study, default_model_path(study), _model_owners, field)


def report_path_for(study: str, field: str) -> Path:
    """``reports/STUDY.html`` (:func:`~nntune._files.default_report_path`), or where another
    study's report is there, ``reports/STUDY-DIGEST.html``."""
    return _own_path(study, default_report_path(study), lambda path: [report_study(path)], field)
