"""Optuna's ``study-names``, ``study set-user-attr`` and ``storage upgrade``, with its option
names (``--study-name``, ``--key``/``-k``, ``--value``, ``-f``, ``--storage-class``), and its
global ``--storage``/``--storage-class`` (before the command) and ``OPTUNA_STORAGE``, which
every study command reads.

Registered by cli.py. Bad input is one ``ConfigError`` line with exit code 2, raised before
anything is written; SQLAlchemy and the storages load inside the functions, so ``nntune
--help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional

import typer

from nntune.cli_ask import _FORMAT_HELP, _output_format, _storage_class_option, _storage_option, _study_option
from nntune.cli_ask import open_record, render
from nntune.cli_ask_inputs import storage_url
from nntune.exceptions import ConfigError

if TYPE_CHECKING:
    from nntune.storage._recognize import Schema

# Optuna's study commands, which read Optuna's global --storage and --storage-class (given
# before the command) and its OPTUNA_STORAGE: their own --storage wins over the global one,
# which wins over the variable. ``tune`` and the others keep their own defaults.
GLOBAL_STORAGE_COMMANDS: dict[str, tuple[str, ...]] = {
    "create-study": (), "ask": (), "tell": (), "trials": (), "best-trial": (), "best-trials": (),
    "study-names": (), "studies": (), "export": (), "delete-study": (),
    "study": ("set-user-attr",), "storage": ("upgrade",)}


def global_storage_defaults(storage: str | None, storage_class: str | None,
                            environ: Mapping[str, str]) -> dict[str, Any]:
    """The click ``default_map`` that hands the global options (or ``OPTUNA_STORAGE``) to each
    study command as its --storage and --storage-class when it is not given them itself."""
    chosen = {"storage": storage or environ.get("OPTUNA_STORAGE") or None, "storage_class": storage_class}
    chosen = {k: v for k, v in chosen.items() if v is not None}
    if not chosen:
        return {}
    return {name: {sub: dict(chosen) for sub in subs} if subs else dict(chosen)
            for name, subs in GLOBAL_STORAGE_COMMANDS.items()}


def _print_version(asked: bool) -> None:
    """``nntune --version``, as ``optuna --version``: the name and version on one line."""
    if asked:
        from nntune import __version__

        print(f"nntune {__version__}")
        raise typer.Exit()


def global_options(
    ctx: typer.Context,
    storage: Optional[str] = typer.Option(None, "--storage", help="Optuna's global --storage, for the study "
                                          "commands (create-study, ask, tell, trials, studies, ...) that are "
                                          "not given their own; also read from $OPTUNA_STORAGE."),
    storage_class: Optional[str] = typer.Option(None, "--storage-class",
                                                help="Optuna's global --storage-class, for the same commands."),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print nntune's version and exit."),
) -> None:
    """Hyperparameter tuning for neural networks."""
    command = ctx.invoked_subcommand
    given = "--storage" if storage is not None else "--storage-class" if storage_class is not None else None
    if given and command not in GLOBAL_STORAGE_COMMANDS:
        raise ConfigError(given, f"before the command it is for Optuna's study commands (create-study, ask, tell, "
                                 f"trials, studies, ...); give {command} its own {given} after its name")
    ctx.default_map = global_storage_defaults(storage, storage_class, os.environ)


study_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Change a stored study (Optuna's study subcommands).")
storage_app = typer.Typer(add_completion=False, no_args_is_help=True,
                          help="Maintain a storage (Optuna's storage subcommands).")


def study_names(
    storage: str = _storage_option(),
    storage_class: Optional[str] = _storage_class_option(),
    fmt: str = typer.Option("value", "-f", "--format", help=_FORMAT_HELP),
    json_out: bool = typer.Option(False, "--json", help="The same as -f json."),
) -> None:
    """Print the names of the storage's studies, oldest first."""
    from nntune.storage import existing_storage

    fmt = _output_format(fmt, json_out)
    store = existing_storage(storage_url(storage, storage_class))
    # Optuna's one column, "name"; its -f value prints nothing but the names.
    print(render([{"name": record.name} for record in store.list_studies()], ["name"], fmt))


@study_app.command("set-user-attr")
def set_user_attr(
    study_name: str = _study_option("The study to set the attribute of."),
    key: str = typer.Option(..., "--key", "-k", help="The attribute's name."),
    value: str = typer.Option(..., "--value", help="The attribute's value, stored as the string given."),
    storage: str = _storage_option(),
    storage_class: Optional[str] = _storage_class_option(),
) -> None:
    """Set a user attribute of a study (study.user_attrs in Python)."""
    if not key:
        raise ConfigError("--key", "must not be empty")
    store, record = open_record(storage_url(storage, storage_class), study_name)

    def merged(current: Any) -> dict[str, Any]:
        return {**(current if isinstance(current, dict) else {}), key: value}

    # One transaction (one locked append for a journal), so that two commands setting two
    # keys at once keep both, which a read of user_attrs followed by a write would not.
    store.merge_study_attr(record.id, "user_attrs", merged)
    print(f"study {study_name!r}: user attribute {key!r} set to {value!r}", file=sys.stderr)


@storage_app.command("upgrade")
def upgrade(
    storage: str = _storage_option(),
    storage_class: Optional[str] = _storage_class_option(),
) -> None:
    """Bring a storage written by an earlier nntune up to the current schema."""
    url = storage_url(storage, storage_class)
    if url == "memory":
        raise ConfigError("storage", "an in-memory storage has no schema to upgrade; give sqlite:///FILE.db, "
                                     "postgresql://... or journal:///FILE.log")
    if url.startswith("journal://") or "://" not in url:
        print(_journal_upgrade(url))
    else:
        print(_sql_upgrade(url))


def _journal_upgrade(url: str) -> str:
    """A journal has no schema: every line is a change, read the same by every version.
    Replaying it shows that it is a journal at all."""
    from nntune.storage import existing_storage

    store = existing_storage(url)  # a URL that is none (no ://) is refused here
    with open(store.path, "rb") as handle:  # type: ignore[attr-defined]
        # Every change is a JSON object on its own line; a replay skips a file without a
        # newline (an SQLite file, say) as a line still being written, so look at it here.
        if handle.read(1) not in (b"", b"{"):
            raise ConfigError("storage", f"{store.url} is not an nntune journal")
    store.list_studies()  # a line that is no change nntune wrote is refused by the replay itself
    return f"{store.url} is up to date (a journal file has no schema to upgrade)"


def _sql_upgrade(url: str) -> str:
    """Look at the tables first (a database that is not nntune's is refused untouched, by the
    rule every opening of a storage follows), open the storage (which creates missing tables
    and migrates older ones) and say what changed."""
    from nntune.storage import get_storage, redact_url
    from nntune.storage._recognize import foreign_problem, read_schema, what_it_is
    from nntune.storage._schema import meta, reuses_study_ids

    shown = redact_url(url)
    before, reused = _schema_of(url)
    problem = foreign_problem(before, before.get("studies", (set(), set()))[0], shared=not url.startswith("sqlite"))
    if problem is not None:
        raise ConfigError("storage", f"{shown} {problem}")
    if "studies" not in before:  # opening would make it a new storage: nothing to upgrade
        raise ConfigError("storage", f"{shown} {what_it_is(before)}, not an nntune storage; "
                                     f"nntune create-study makes one")
    store = get_storage(url)
    try:
        after = read_schema(store.engine)  # type: ignore[attr-defined]
        with store.engine.connect() as conn:  # type: ignore[attr-defined]
            still_reused = reuses_study_ids(conn)
    finally:
        store.engine.dispose()  # type: ignore[attr-defined]
    changes = [f"table {t}" for t in meta.tables if t in after and t not in before]
    for table in meta.tables:
        if table in before and table in after:
            changes += [f"column {table}.{c}" for c in sorted(after[table][0] - before[table][0])]
            changes += [f"index {i}" for i in sorted(after[table][1] - before[table][1])]
    done = [f"added {', '.join(changes)}"] if changes else []
    if reused and not still_reused:  # no column or index differs: the table's own definition did
        done.append("rebuilt table studies with AUTOINCREMENT, every row kept (a deleted study's id is never "
                    "given again)")
    if not done:
        return f"{shown} is up to date; nothing to change"
    return f"{shown} upgraded, now up to date: {'; '.join(done)}"


def _schema_of(url: str) -> tuple[Schema, bool]:
    """The tables of the database at ``url``, and whether its ``studies`` table gives a
    deleted study's id again (an older SQLite file, rebuilt when the storage opens it), read
    without writing: an SQLite file that is not there is an error, never a new empty database."""
    import sqlalchemy as sa

    from nntune.storage import redact_url
    from nntune.storage._engines import make_engine
    from nntune.storage._recognize import read_schema
    from nntune.storage._schema import reuses_study_ids

    if url.startswith("sqlite"):
        from pathlib import Path

        try:
            database = sa.engine.make_url(url).database
        except Exception:  # malformed: create_engine below says why
            database = None
        if not database or database == ":memory:":
            raise ConfigError("storage", f"{url} is an in-memory SQLite database, gone when the command ends; "
                                         f"give sqlite:///FILE.db")
        if Path(database).expanduser().is_dir():  # there, but not what was asked for
            raise ConfigError("storage", f"{database} is a folder, not an SQLite file")
        if not Path(database).expanduser().is_file():
            from nntune.storage import NOTHING_STORED

            raise ConfigError("storage", f"no such SQLite file: {database} {NOTHING_STORED}")
    try:
        # A server's engine as storage opens it (a connect timeout: no hang on a silent host);
        # a plain one for SQLite, whose storage engine would write WAL mode into the file.
        engine = sa.create_engine(url) if url.startswith("sqlite") else make_engine(url, {})
        try:
            schema = read_schema(engine)
            if "studies" not in schema:
                return schema, False
            with engine.connect() as conn:
                return schema, reuses_study_ids(conn)
        finally:
            engine.dispose()
    except ConfigError:
        raise
    except Exception as err:  # a bad driver name, an unreachable server, a file that is no database
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError("storage", f"cannot open {redact_url(url)}: {first}") from None


def register(app: typer.Typer) -> None:
    """Add ``study-names``, ``study set-user-attr`` and ``storage upgrade`` to ``nntune``."""
    app.command("study-names")(study_names)
    app.add_typer(study_app, name="study")
    app.add_typer(storage_app, name="storage")
