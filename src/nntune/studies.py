"""What ``nntune studies``, ``nntune export`` and ``nntune delete-study`` do, as plain functions:
open an existing storage (never create one), list its studies, write one row per trial.
"""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from typing import IO, Any

from nntune.exceptions import ConfigError
from nntune.storage import Storage, existing_storage

EXPORT_FORMATS = ("csv", "parquet", "json")


def open_existing(url: str) -> Storage:
    """The storage at ``url``; a :class:`ConfigError` for an SQLite or journal file that does
    not exist (a command that only reads must not leave an empty one behind)."""
    return existing_storage(url)


def check_port(host: str, port: int) -> None:
    """A :class:`ConfigError` unless ``host:port`` can be bound now."""
    if not 0 < port < 65536:
        raise ConfigError("port", f"must be between 1 and 65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            raise ConfigError("port", f"cannot listen on {host}:{port}: {err.strerror or err}") from None


def list_studies(store: Storage) -> dict[str, Any]:
    from nntune.report.browse import studies_data

    return studies_data(store.study_summaries(), store.url)


def studies_table(data: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"studies in {data['storage']}", title_justify="left")
    for col, justify in (("study", "left"), ("direction", "left"), ("trials", "right"), ("complete", "right"),
                         ("pruned", "right"), ("failed", "right"), ("running", "right"), ("best", "right"),
                         ("last activity (UTC)", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for s in data["studies"]:
        c = s["counts"]
        best = "-" if s["best_value"] is None else f"{s['best_value']:.4g}"
        table.add_row(s["name"], s["direction"], str(s["n_trials"]), str(c["complete"]), str(c["pruned"]),
                      str(c["failed"] + c["diverged"]), str(c["running"]), best,
                      (s["last_activity"] or "-").replace("T", " "))
    return table


def export_format(output: str | Path | None) -> str:
    """The export format an output file's suffix names (``.csv``, ``.parquet``, ``.json``);
    csv for standard output. Any other suffix is refused rather than written as csv."""
    if output is None:
        return "csv"
    suffix = Path(output).suffix.lower().lstrip(".")
    if suffix == "pq":
        suffix = "parquet"
    if suffix not in EXPORT_FORMATS:
        raise ConfigError("--format", f"cannot tell the format from {Path(output).name!r}; "
                                      f"give --format {' | '.join(EXPORT_FORMATS)}")
    return suffix


def export_study(store: Storage, study: str, fmt: str, out: IO[bytes]) -> int:
    """Write the study's trials (``report.browse.export_rows``) as csv, parquet or json to the
    binary stream ``out``; returns the number of rows."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError("format", f"expected one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    from nntune.report.browse import export_rows
    from nntune.show import open_study

    store, rec = open_study(store, study)
    rows = export_rows(store.get_trials(rec.id))
    if fmt == "json":
        out.write((json.dumps(rows, default=str) + "\n").encode())
        return len(rows)
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else ["number", "value", "datetime_start",
                                                                    "datetime_complete", "duration", "state"])
    out.write(frame_bytes(frame, fmt))
    return len(rows)


def frame_bytes(frame: Any, fmt: str) -> bytes:
    """A pandas table as csv, json (one object per row) or parquet bytes."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode()  # type: ignore[no-any-return]
    if fmt == "json":
        return frame.to_json(orient="records").encode() + b"\n"  # type: ignore[no-any-return]
    # parquet columns hold one type: mixed ones (a user attribute of several kinds) as text
    frame = frame.copy()
    for col in frame.columns[frame.dtypes == object]:
        frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str) else json.dumps(v))
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()
