"""Quick reads for a command line that must answer at once: the database driver asked directly.

Connecting through Ibis costs about half a second before the first query; ``churnguard
status`` needs a count and two dates per table, which the driver (DuckDB or psycopg) answers
in milliseconds. Table and column names come from :mod:`churnguard.schema` only, quoted
as identifiers; no value is ever written into the SQL.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from churnguard.schema import DATE_COLUMN, IMPORTS, KINDS
from churnguard.store.urls import dialect_of, duckdb_file, open_error, postgres_params

if TYPE_CHECKING:
    from churnguard.store.workspace import Workspace

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def _q(name: str) -> str:
    """Quote a name of the schema as an SQL identifier (refuse anything else)."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return f'"{name}"'


def _day(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _connect(ws: Workspace) -> tuple[Any, str] | None:
    """A DB-API connection to the workspace's database and its dialect; None when the
    quick path does not apply (a database in memory, a file not made yet)."""
    url = ws.settings.database_url
    dialect = dialect_of(url)
    try:
        if dialect == "duckdb":
            path = duckdb_file(url, ws.path)
            if path is None or not path.exists():
                return None
            import duckdb

            return duckdb.connect(str(path)), dialect
        if dialect == "postgres":
            import psycopg

            params = postgres_params(url)
            params["dbname"] = params.pop("database")
            return psycopg.connect(**params), dialect
    except ImportError:
        return None
    except Exception as exc:  # the driver's own error says why (refused, locked, no such db …)
        raise open_error(url, exc) from exc
    return None


def table_status(ws: Workspace) -> dict[str, dict[str, Any]] | None:
    """Rows, first and last date and last import of every importable table, by table name:
    ``{"transactions": {"rows", "date_from", "date_to", "last_import"}, …}`` (dates ISO,
    the import time ``YYYY-MM-DD HH:MM:SS[.ffffff]``).

    None when the quick path does not apply: a database in memory or not made yet, or a table
    missing (an older workspace: opening it through the store adds the table).
    """
    opened = _connect(ws)
    if opened is None:
        return None
    con, dialect = opened
    try:
        cur = con.cursor()
        schema = "main" if dialect == "duckdb" else "public"
        # no parameters: binding one makes DuckDB's Python module load pandas (a second's work)
        cur.execute("SELECT table_schema, table_name FROM information_schema.tables")
        have = {name for where, name in cur.fetchall() if where == schema}
        if not {IMPORTS.name, *(t.name for t in KINDS.values())} <= have:
            return None
        cur.execute(f"SELECT kind, max(imported_at) FROM {_q(IMPORTS.name)} GROUP BY kind")
        last = {kind: when for kind, when in cur.fetchall()}
        tables: dict[str, dict[str, Any]] = {}
        for kind, table in KINDS.items():
            col = _q(DATE_COLUMN[table.name])
            cur.execute(f"SELECT count(*), min({col}), max({col}) FROM {_q(table.name)}")
            rows, first, latest = cur.fetchone()
            when = last.get(kind)
            tables[table.name] = {
                "rows": int(rows),
                "date_from": _day(first),
                "date_to": _day(latest),
                "last_import": None if when is None else when.isoformat(sep=" "),
            }
        return tables
    finally:
        con.close()
