"""What ``nntune studies``, ``nntune export`` and ``nntune delete-study`` do, as plain functions:
open an existing storage (never create one), list its studies, write one row per trial.
"""

from __future__ import annotations

import errno
import io
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from nntune._files import folder_name
from nntune._json import dumps
from nntune.exceptions import ConfigError
from nntune.storage import Storage, StudyNotFoundError, StudyRecord, existing_storage
from nntune.trial import FrozenTrial, TrialState

EXPORT_FORMATS = ("csv", "parquet", "json")
_NO_TRIAL = FrozenTrial(number=-1, state=TrialState.WAITING)  # what an empty study's header is built from


def open_existing(url: str) -> Storage:
    """The storage at ``url``; a :class:`ConfigError` for an SQLite or journal file that does
    not exist (a command that only reads must not leave an empty one behind)."""
    return existing_storage(url)


def check_port(host: str, port: int) -> None:
    """A :class:`ConfigError` unless ``host:port`` can be bound now, naming the option at
    fault: ``--host`` for an address that does not resolve or is not this machine's,
    ``--port`` for a port out of range, taken, or reserved to the administrator."""
    if not 0 < port < 65536:
        raise ConfigError("--port", f"must be between 1 and 65535, got {port}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as err:
        raise ConfigError("--host", f"cannot resolve {host!r}: {getattr(err, 'strerror', None) or err}") from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as err:
            field = "--port" if err.errno in (errno.EADDRINUSE, errno.EACCES) else "--host"
            raise ConfigError(field, f"cannot listen on {host}:{port}: {err.strerror or err}") from None


def list_studies(store: Storage) -> dict[str, Any]:
    """:func:`nntune.report.browse.studies_data`, each study of several objectives with its
    ``objectives`` (:func:`objectives_data`) and no ``best_value`` (None, as Optuna has no
    best value there: the first objective's alone would mislead, as in the table)."""
    from nntune.report.browse import studies_data

    data = studies_data(store.study_summaries(), store.url)
    records = {rec.name: rec for rec in store.list_studies()}
    for row in data["studies"]:
        rec = records.get(row["name"])
        if rec is not None:
            try:
                row["objectives"] = objectives_data(store, rec)
            except StudyNotFoundError:  # deleted by another process since it was listed
                row["objectives"] = None
            if row["objectives"] is not None:
                row["best_value"] = None
    return data


def objectives_data(store: Storage, rec: StudyRecord) -> dict[str, Any] | None:
    """A study of several objectives: ``{"names", "directions", "front"}``, its objectives'
    names and directions and how many trials its Pareto front holds (the front ``show`` and
    the report draw, :func:`nntune.report.study_data.study_front`); None for one objective,
    whose best value says it all (its trials are not read)."""
    directions = rec.attrs.get("directions")
    if not isinstance(directions, list) or len(directions) < 2:
        return None
    from nntune.report.study_data import study_front

    front = study_front(rec.attrs, store.get_trials(rec.id), [])
    assert front is not None
    return {"names": front["names"], "directions": front["directions"], "front": len(front["rows"])}


def optuna_study_rows(store: Storage) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows and columns Optuna's ``studies`` command prints: name, direction (a list of
    MINIMIZE/MAXIMIZE), n_trials, datetime_start (its first trial's start, to the second) and,
    when a study has any, user_attrs."""
    from nntune._studies import get_all_study_summaries

    summaries = get_all_study_summaries(store, include_best_trial=False)
    rows = [{"name": s.study_name, "direction": [d.name for d in s.directions], "n_trials": s.n_trials,
             "datetime_start": None if s.datetime_start is None else s.datetime_start.strftime("%Y-%m-%d %H:%M:%S"),
             "user_attrs": s.user_attrs} for s in summaries]
    columns = ["name", "direction", "n_trials", "datetime_start"]
    if any(row["user_attrs"] for row in rows):
        return rows, [*columns, "user_attrs"]
    return [{k: row[k] for k in columns} for row in rows], columns


def studies_table(data: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title=f"studies in {data['storage']}", title_justify="left")
    # A diverged trial (a NaN or infinite loss) says something else than a failed one (an
    # error), so each has its column, as in the --json counts.
    states = ("complete", "pruned", "failed", "diverged", "running", "waiting")
    for col, justify in (("study", "left"), ("direction", "left"), ("trials", "right"),
                         *[(state, "right") for state in states], ("best", "right"), ("last activity (UTC)", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for s in data["studies"]:
        c = s["counts"]
        direction, best = objectives_cells(s)
        table.add_row(s["name"], direction, str(s["n_trials"]), *[str(c.get(state, 0)) for state in states],
                      best, (s["last_activity"] or "-").replace("T", " "))
    return table


def objectives_cells(row: Mapping[str, Any]) -> tuple[str, str]:
    """The direction and best cells of a study's row: a study of several objectives has no
    one best value (the first objective's would mislead), so it says how many objectives
    it has, each with its direction, and the size of its Pareto front."""
    objectives = row.get("objectives")
    if objectives:
        names = ", ".join(f"{d} {n}" for n, d in zip(objectives["names"], objectives["directions"]))
        return f"{len(objectives['names'])} objectives: {names}", f"front of {objectives['front']}"
    return row["direction"], "-" if row["best_value"] is None else f"{row['best_value']:.4g}"


def storage_file(store: Storage) -> Path | None:
    """The file a storage keeps its studies in (a journal, an SQLite database); None for a
    database server or memory."""
    path = getattr(store, "path", None)
    if path is not None:
        return Path(path)
    url = str(getattr(store, "url", ""))
    if not url.startswith("sqlite"):
        return None
    import sqlalchemy as sa

    database = sa.engine.make_url(url).database
    return Path(database).expanduser() if database and database != ":memory:" else None


def check_not_storage(output: Path, store: Storage, field: str) -> None:
    """A :class:`ConfigError` when ``output`` is the storage's own file, which writing the
    output over would destroy."""
    kept = storage_file(store)
    if kept is not None and output.expanduser().resolve() == kept.resolve():
        raise ConfigError(field, f"{output} is the storage itself; writing there would destroy its studies")


def export_format(output: str | Path | None, given: str | None = None) -> str:
    """The export format: ``given`` (``--format``) when there is one, else the one an output
    file's suffix names (``.csv``, ``.parquet`` or ``.pq``, ``.json``); csv for standard output.
    Any other suffix is refused rather than written as csv, and a ``given`` format the suffix
    contradicts is refused too: ``--format csv -o rows.json`` would leave CSV in a file every
    reader opens as JSON. A suffix that names no format (``rows.txt``) takes ``given`` as is."""
    named = _suffix_format(output)
    if given is not None:
        if given not in EXPORT_FORMATS:
            raise ConfigError("--format", f"expected one of {', '.join(EXPORT_FORMATS)}, got {given!r}")
        if named is not None and named != given:
            name = Path(output).name  # type: ignore[arg-type]  # named is None without an output
            raise ConfigError("--format", f"{given}, but the output {name!r} is named as {named}; leave "
                                          f"--format out, or give -o a .{given} file")
        return given
    if output is None:
        return "csv"
    if named is None:
        raise ConfigError("--format", f"cannot tell the format from {Path(output).name!r}; "
                                      f"give --format {' | '.join(EXPORT_FORMATS)}")
    return named


def _suffix_format(output: str | Path | None) -> str | None:
    """The export format a file name's suffix names (case aside), or None."""
    if output is None:
        return None
    suffix = Path(output).suffix.lower().lstrip(".")
    suffix = "parquet" if suffix == "pq" else suffix
    return suffix if suffix in EXPORT_FORMATS else None


def export_study(store: Storage, study: str, fmt: str, out: IO[bytes]) -> int:
    """Write the study's trials (``report.browse.export_rows``) as csv, parquet or json to the
    binary stream ``out``; returns the number of rows."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError("--format", f"expected one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    from nntune.report.browse import export_rows
    from nntune.show import open_study

    store, rec = open_study(store, study)
    n_objectives, names = objectives_of(rec.attrs)
    trials = store.get_trials(rec.id)
    rows = export_rows(trials, n_objectives=n_objectives, metric_names=names, infinite=fmt != "json")
    for row, t in zip(rows, trials):  # to the microsecond, as trials_dataframe has them (not as shown)
        row.update({key: None if when is None else when.isoformat(timespec="microseconds") for key, when in
                    (("datetime_start", t.datetime_start), ("datetime_complete", t.datetime_complete))})
    if fmt == "json":
        out.write((dumps(rows) + "\n").encode())
        return len(rows)
    import pandas as pd

    # No trial: the header alone, with the objectives' columns as a trial would have them.
    columns = list(rows[0] if rows else export_rows([_NO_TRIAL], n_objectives=n_objectives, metric_names=names)[0])
    frame = pd.DataFrame(rows, columns=columns)
    if fmt == "parquet":  # typed columns, as trials_dataframe's: timestamps, not text
        for key in ("datetime_start", "datetime_complete"):
            frame[key] = pd.to_datetime(frame[key], format="ISO8601")
    out.write(frame_bytes(frame, fmt))
    return len(rows)


def objectives_of(attrs: Mapping[str, Any]) -> tuple[int, list[str] | None]:
    """How many objectives a stored study has (its ``directions``) and the names
    ``Study.set_metric_names`` gave them (``metric_names``), as ``trials_dataframe`` reads them."""
    directions = attrs.get("directions")
    n = len(directions) if isinstance(directions, list) and directions else 1
    names = attrs.get("metric_names")
    return n, [str(m) for m in names] if isinstance(names, list) and len(names) == n else None


def frame_bytes(frame: Any, fmt: str) -> bytes:
    """A pandas table as csv, json (one object per row) or parquet bytes."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode()  # type: ignore[no-any-return]
    if fmt == "json":
        return frame.to_json(orient="records").encode() + b"\n"  # type: ignore[no-any-return]
    # parquet columns hold one type: mixed ones (a user attribute of several kinds) as text
    frame = frame.copy()
    for col in frame.columns[frame.dtypes == object]:
        frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str) else dumps(v))
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def checkpoints_left(rec: StudyRecord) -> list[Path]:
    """The folders that hold study ``rec``'s checkpoints (``nntune babysit``'s epoch
    snapshots, population-based training's): deleting the study from its storage leaves
    them, since files outside the storage may be kept on purpose (a model to fork again,
    weights to read); a relative folder is read from the current directory."""
    folders: list[Path] = []
    if isinstance(rec.attrs.get("babysit"), Mapping):
        from nntune.panda import babysit_config, checkpoint_dir  # torch loads only for a babysat study

        try:
            folders.append(checkpoint_dir(babysit_config(rec), rec))
        except ConfigError:
            pass  # a config this version cannot read: no folder to name
    tuned = rec.attrs.get("config")
    search = tuned.get("search") if isinstance(tuned, Mapping) else None
    if isinstance(search, Mapping) and isinstance(search.get("checkpoint_dir"), str):
        folders.append(Path(search["checkpoint_dir"]) / folder_name(rec.name))
    return [f.resolve() for f in dict.fromkeys(folders) if f.is_dir() and any(f.glob("trial-*.pt"))]
