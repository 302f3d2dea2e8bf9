"""Atomic, idempotent loading of validated rows into a stored table.

One algorithm serves every kind, on DuckDB and PostgreSQL alike, inside one transaction:

1. stage the rows in a temporary table;
2. merge with what is stored under the same ``record_key`` (for customers, a blank value in
   the new file keeps the stored one: a later customer file *fills in* details);
3. drop the rows identical to what is stored (``rows_unchanged``);
4. delete the stored versions of the changed keys and insert the new ones (``rows_imported``);
5. create a customer row for every customer first seen in these records and move
   ``first_seen_at`` back when these records are older;
6. log the import.

Any error rolls the whole transaction back: nothing is half-written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from churnguard.schema import CUSTOMERS, DATE_COLUMN, IMPORTS, Table
from churnguard.store.engine import Store, quote_ident


@dataclass(frozen=True)
class LoadResult:
    """What a load changed."""

    rows_imported: int
    rows_unchanged: int
    import_id: str


def load_rows(
    store: Store,
    table: Table,
    data: pa.Table,
    *,
    kind: str,
    file: str,
    encoding: str | None,
    rows_read: int,
    dry_run: bool = False,
    on_wait: Callable[[], None] | None = None,
) -> LoadResult:
    """Load ``data`` (columns ``record_key`` + canonical columns) into ``table``, atomically.

    With ``dry_run`` the load runs to the end and is rolled back, so the counts are exact and
    nothing is written. One import or run writes at a time (:meth:`Store.write_lock`); while
    another holds the lock this one waits, after calling ``on_wait``.
    """
    with store.write_lock(on_wait):
        return _load_rows(store, table, data, kind=kind, file=file, encoding=encoding, rows_read=rows_read,
                          dry_run=dry_run)


def _load_rows(store: Store, table: Table, data: pa.Table, *, kind: str, file: str, encoding: str | None,
               rows_read: int, dry_run: bool) -> LoadResult:
    q = quote_ident
    cols = [c for c in data.column_names if c != "record_key"]
    stored_cols = ["record_key", *cols]
    t = q(table.name)
    import_id = uuid.uuid4().hex
    with store.transaction(commit=not dry_run) as cur:
        store.stage(cur, "cg_stage", table, data, stored_cols)
        all_cols = ", ".join(q(c) for c in ["record_key", *cols])
        if not table.natural_key:
            # content-hash keys: the same key is the same content, so "unchanged" is "key
            # exists" and new rows are an anti-join (no column-by-column comparison needed)
            cur.execute(
                f"INSERT INTO {t} ({all_cols}) SELECT {all_cols} FROM cg_stage s "
                f"WHERE NOT EXISTS (SELECT 1 FROM {t} o WHERE o.record_key = s.record_key)"
            )
            changed = _rowcount(cur)
        else:
            changed = _merge_keyed(cur, table, cols)
        # 5. customers first seen here
        date_col = DATE_COLUMN.get(table.name)
        if table.name != CUSTOMERS.name and "customer_id" in cols and date_col in cols:
            _register_customers(cur, date_col)
        cur.execute("DROP TABLE IF EXISTS cg_stage")
        # 6. the import log
        p = store.paramstyle
        cur.execute(
            f"INSERT INTO {q(IMPORTS.name)} (record_key, import_id, kind, file, encoding, rows_read, "
            f"rows_imported, rows_unchanged, imported_at) VALUES ({', '.join([p] * 9)})",
            (
                import_id,
                import_id,
                kind,
                file,
                encoding,
                rows_read,
                changed,
                data.num_rows - changed,
                datetime.now(UTC).replace(tzinfo=None, microsecond=0),
            ),
        )
    return LoadResult(changed, data.num_rows - changed, import_id)


def _rowcount(cur) -> int:
    n = cur.rowcount
    if n is None or n < 0:  # DuckDB reports the count as a result row
        n = cur.fetchone()[0]
    return int(n)


def _merge_keyed(cur, table: Table, cols: list[str]) -> int:
    """Merge staged rows into a table with a natural key; return how many rows changed."""
    q = quote_ident
    t = q(table.name)
    # merge with the stored row of the same key
    if table.fill_in:
        merged = ", ".join(f"COALESCE(s.{q(c)}, o.{q(c)}) AS {q(c)}" for c in cols)
    else:
        merged = ", ".join(f"s.{q(c)} AS {q(c)}" for c in cols)
    extras = [c.name for c in table.extra]
    extra_sel = "".join(f", o.{q(c)} AS {q(c)}" for c in extras)
    cur.execute(
        f"CREATE TEMP TABLE cg_merged AS SELECT s.record_key, {merged}{extra_sel}, "
        f"(o.record_key IS NOT NULL) AS cg_existed "
        f"FROM cg_stage s LEFT JOIN {t} o ON o.record_key = s.record_key"
    )
    # unchanged rows: same key, every column equal (NULL equal to NULL)
    same = " AND ".join(f"cg_merged.{q(c)} IS NOT DISTINCT FROM o.{q(c)}" for c in cols)
    cur.execute(
        f"DELETE FROM cg_merged WHERE cg_existed AND EXISTS (SELECT 1 FROM {t} o "
        f"WHERE o.record_key = cg_merged.record_key AND {same})"
    )
    cur.execute("SELECT count(*) FROM cg_merged")
    changed = int(cur.fetchone()[0])
    # replace the changed keys
    cur.execute(f"DELETE FROM {t} WHERE record_key IN (SELECT record_key FROM cg_merged WHERE cg_existed)")
    all_cols = ", ".join(q(c) for c in ["record_key", *cols, *extras])
    cur.execute(f"INSERT INTO {t} ({all_cols}) SELECT {all_cols} FROM cg_merged")
    cur.execute("DROP TABLE cg_merged")
    return changed


def _register_customers(cur, date_col: str) -> None:
    q = quote_ident
    c = q(CUSTOMERS.name)
    cur.execute(
        f"CREATE TEMP TABLE cg_seen AS SELECT customer_id, min({q(date_col)}) AS first_seen_at "
        f"FROM cg_stage GROUP BY customer_id"
    )
    cur.execute(
        f"INSERT INTO {c} (record_key, customer_id, first_seen_at) "
        f"SELECT s.customer_id, s.customer_id, s.first_seen_at FROM cg_seen s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {c} o WHERE o.record_key = s.customer_id)"
    )
    cur.execute(
        f"UPDATE {c} SET first_seen_at = s.first_seen_at FROM cg_seen s "
        f"WHERE {c}.record_key = s.customer_id "
        f"AND ({c}.first_seen_at IS NULL OR {c}.first_seen_at > s.first_seen_at)"
    )
    cur.execute("DROP TABLE cg_seen")
