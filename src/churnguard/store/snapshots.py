"""Dated snapshot tables: results of a computation as of a date, kept side by side.

A snapshot table ``snap_<name>`` has an ``as_of`` DATE column plus the result's columns.
Writing the snapshot of a date replaces that date's rows in one transaction; other dates are
kept, so past scores stay available for backtests and for "what changed since last run".
"""

from __future__ import annotations

import contextlib
from datetime import date

import ibis
import pandas as pd
import pyarrow as pa

from churnguard.store.engine import Store, quote_ident

_ARROW_SQL = [
    (pa.types.is_boolean, "BOOLEAN"),
    (pa.types.is_integer, "BIGINT"),
    (pa.types.is_floating, "DOUBLE PRECISION"),
    (pa.types.is_date, "DATE"),
    (pa.types.is_timestamp, "TIMESTAMP"),
]


def _sql_type(t: pa.DataType) -> str:
    for test, sql in _ARROW_SQL:
        if test(t):
            return sql
    return "TEXT"


def snapshot_table(name: str) -> str:
    """Stored table name of snapshot ``name``."""
    return f"snap_{name}"


def snapshot_names(store: Store) -> list[str]:
    """Names of the snapshots stored (``value``, ``scores`` …), sorted."""
    prefix = snapshot_table("")
    return sorted(t[len(prefix):] for t in store.con.list_tables() if t.startswith(prefix))


def stored_state(store: Store) -> list[tuple]:
    """What the stored results are made of, in one query: ``("imports", count, latest import,
    None)``, ``("churn_reasons", rows, first date, last date)`` and, for each snapshot,
    ``(name, rows, first date, last date)`` (dates as text).

    Every import and every run changes it (a run of a date already stored with as many rows
    as before excepted: it writes the same rows). Churn reasons are also written outside
    imports (an interview recorded, a reason inferred from text): what a stored figure reads of
    them — the rows and date range ``status`` shows — is part of the state.
    """
    p = store.paramstyle
    parts = ["SELECT 'imports', count(*), CAST(max(imported_at) AS TEXT), NULL FROM imports",
             "SELECT 'churn_reasons', count(*), CAST(min(recorded_at) AS TEXT), CAST(max(recorded_at) AS TEXT) "
             "FROM churn_reasons"]
    params: list[str] = []
    for name in snapshot_names(store):
        parts.append(f"SELECT CAST({p} AS TEXT), count(*), CAST(min(as_of) AS TEXT), CAST(max(as_of) AS TEXT) "
                     f"FROM {quote_ident(snapshot_table(name))}")
        params.append(name)
    cur = store.raw.cursor()
    try:
        cur.execute(" UNION ALL ".join(parts), tuple(params))
        return cur.fetchall()
    finally:
        with contextlib.suppress(Exception):
            cur.close()


def write_snapshot(store: Store, name: str, as_of: date, data: pd.DataFrame | pa.Table) -> int:
    """Store ``data`` as snapshot ``name`` as of ``as_of``, replacing that date's rows.

    Returns the number of rows written.
    """
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    table = table.append_column("as_of", pa.array([as_of] * table.num_rows, pa.date32()))
    tname = quote_ident(snapshot_table(name))
    cols = table.column_names
    with store.transaction() as cur:
        ddl = ", ".join(f"{quote_ident(c)} {_sql_type(table.schema.field(c).type)}" for c in cols)
        cur.execute(f"CREATE TABLE IF NOT EXISTS {tname} ({ddl})")
        # a newer churnguard may store more columns than a workspace's older snapshots have
        cur.execute(f"SELECT * FROM {tname} LIMIT 0")
        have = {d[0] for d in cur.description}
        for c in cols:
            if c not in have:
                cur.execute(f"ALTER TABLE {tname} ADD COLUMN {quote_ident(c)} {_sql_type(table.schema.field(c).type)}")
        cur.execute(f"DELETE FROM {tname} WHERE as_of = {store.paramstyle}", (as_of,))
        types = {c: _sql_type(table.schema.field(c).type) for c in cols}
        store.stage_typed(cur, "cg_snap", table, types)
        col_sql = ", ".join(quote_ident(c) for c in cols)
        cur.execute(f"INSERT INTO {tname} ({col_sql}) SELECT {col_sql} FROM cg_snap")
        cur.execute("DROP TABLE cg_snap")
        if "customer_id" in cols:  # a customer page reads one customer's rows (see Store.ensure_indexes)
            index = quote_ident(f"ix_{snapshot_table(name)}_customer_id")
            cur.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {tname} (customer_id)")
    return table.num_rows


def snapshot_dates(store: Store, name: str) -> list[date]:
    """Dates for which snapshot ``name`` exists, oldest first."""

    def read() -> list[date]:
        if not store.has_table(snapshot_table(name)):
            return []
        t = store.table(snapshot_table(name))
        return sorted(pd.to_datetime(t.select("as_of").distinct().to_pandas()["as_of"]).dt.date)

    return list(store.memo(("snapshot_dates", name), read))


def snapshot_date(store: Store, name: str, as_of: date | None = None) -> date:
    """The date of snapshot ``name`` that :func:`read_snapshot` reads: ``as_of``, or the latest.

    Raises NotComputedError when there is no such snapshot.
    """
    from churnguard.errors import NotComputedError

    dates = snapshot_dates(store, name)
    if not dates:
        raise NotComputedError(f"no {name!r} results yet; run 'churnguard run' first")
    when = as_of or dates[-1]
    if when not in dates:
        raise NotComputedError(
            f"no {name!r} results as of {when}; available: {', '.join(map(str, dates[-10:]))}"
        )
    return when


def read_snapshot(store: Store, name: str, as_of: date | None = None) -> ibis.Table:
    """Return snapshot ``name`` as of ``as_of`` (default: the latest) as an Ibis table."""
    when = snapshot_date(store, name, as_of)
    t = store.table(snapshot_table(name))
    return t.filter(t.as_of == when)


def snapshot_of(store: Store, name: str, as_of: date) -> ibis.Table:
    """The rows of snapshot ``name`` as of ``as_of``, a date known to be stored (no check: see
    :func:`read_snapshot` for one that checks), as an Ibis table."""
    t = store.table(snapshot_table(name))
    return t.filter(t.as_of == ibis.literal(as_of, "date"))


def customer_snapshot_rows(store: Store, name: str, customer_id: str, as_of: date, *,
                           typed: bool = False) -> pd.DataFrame:
    """The rows of one customer in snapshot ``name`` as of ``as_of`` (the ``as_of`` column kept).

    Every run's rows of the customer are read (a few) and the date picked here: DuckDB answers
    the lone customer filter from the snapshot's index, but scans every run's rows when the date
    joins it. Values come as the driver gives them (:meth:`Store.customer_rows`), or with
    ``typed`` as Ibis types them (numbers as numbers, for computing on).
    """
    if typed:
        t = store.table(snapshot_table(name))
        frame = t.filter(t.customer_id == ibis.literal(customer_id, "string")).to_pandas()
    else:
        frame = store.customer_rows(snapshot_table(name), customer_id)
    return frame[pd.to_datetime(frame["as_of"]).dt.date == as_of]
