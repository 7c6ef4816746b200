"""Whether a database is nntune's: the one rule that both opening a storage and ``nntune storage
upgrade`` follow, so that another program's database (Optuna's, say) is refused before
anything is written to it.

nntune's database is one with nntune's ``studies`` table (its other tables, or columns added
later, may be missing: an older nntune left them so, and opening it adds them). A database
without any table is new and becomes nntune's. An SQLite file with other tables belongs to
another program. A PostgreSQL database is a server's, often shared by several programs:
there nntune's tables may sit beside others, and only a table of one of nntune's names
that is not nntune's (Optuna's ``studies`` and ``trials``, say) makes it another's.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from nntune.exceptions import ConfigError
from nntune.storage._engines import redact_url
from nntune.storage._schema import meta

# A table name to its column names and its index names (what storage upgrade compares).
Schema = dict[str, tuple[set[str], set[str]]]

# The columns every nntune ``studies`` table has had; Optuna's has study_id and study_name.
STUDY_COLUMNS = frozenset({"id", "name", "direction", "attrs"})

# Where to go instead.
ELSEWHERE = "give nntune a new SQLite file, or a PostgreSQL database without tables of nntune's names"


def read_schema(bind: Engine | Connection) -> Schema:
    """Every table of the database with its columns and indexes, read without writing."""
    inspector = sa.inspect(bind)
    return {table: ({c["name"] for c in inspector.get_columns(table)},
                    {str(ix["name"]) for ix in inspector.get_indexes(table) if ix.get("name")})
            for table in inspector.get_table_names()}


def is_optuna(tables: Collection[str]) -> bool:
    """The tables Optuna's RDBStorage versions its schema by (it has a ``studies`` table too)."""
    return "alembic_version" in tables or "version_info" in tables


def what_it_is(tables: Collection[str]) -> str:
    """What a database that is not nntune's holds, in a few words."""
    if not tables:
        return "is an empty database"
    if is_optuna(tables):
        return "is Optuna's storage (optuna storage upgrade upgrades it)"
    return f"holds other tables ({', '.join(sorted(tables)[:5])})"


def not_a_storage_yet(tables: Collection[str]) -> str:
    """What a database without nntune's ``studies`` table is, to follow its URL in a message
    from a command that reads studies (or upgrades them): opening it would make it a new
    storage, which is a write such a command must not make."""
    return f"{what_it_is(tables)}, not an nntune storage; nntune create-study makes one"


def foreign_problem(tables: Collection[str], study_columns: Collection[str], *, shared: bool = False) -> str | None:
    """``None`` for nntune's database, an older one included, and for a database without
    tables (or, ``shared``, without any of nntune's table names); else what the database is,
    to follow its URL in a message."""
    if not tables or ("studies" in tables and STUDY_COLUMNS <= set(study_columns)):
        return None
    if shared and not is_optuna(tables) and not set(tables) & set(meta.tables):
        return None  # other programs' tables only: nntune's go beside them
    if "studies" in tables and not is_optuna(tables):  # the one name in common is the surprise
        return f"{what_it_is(tables)}: its studies table is not nntune's; {ELSEWHERE}"
    return f"{what_it_is(tables)}, not an nntune storage; {ELSEWHERE}"


def refuse_foreign(conn: Connection, url: str, *, existing: bool = False) -> None:
    """Raise a ConfigError naming ``url`` when the database on ``conn`` is another program's,
    or, ``existing`` (a command that reads studies), when it is not a storage yet: opening it
    would create nntune's tables there, in a database that may be the wrong one.

    Reads only the table names and the columns of ``studies``: this runs at every opening of
    a storage, and a shared PostgreSQL database may hold many other tables."""
    inspector = sa.inspect(conn)
    tables = inspector.get_table_names()
    columns = {c["name"] for c in inspector.get_columns("studies")} if "studies" in tables else set()
    problem = foreign_problem(tables, columns, shared=conn.dialect.name != "sqlite")
    if problem is None and existing and "studies" not in tables:
        problem = not_a_storage_yet(tables)
    if problem is not None:
        raise ConfigError("storage", f"{redact_url(url)} {problem}")
