"""The audit log as stored: every query of table ``audit_log`` (rows are added, never changed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from churnguard.schema import AUDIT_LOG
from churnguard.store.engine import Store, quote_ident

_T = quote_ident(AUDIT_LOG.name)


def insert_event(store: Store, values: dict[str, Any]) -> None:
    """Add one event (``values``: column -> value, ``event_id`` among them) in its own transaction."""
    cols = ("record_key", *values)
    marks = ", ".join([store.paramstyle] * len(cols))
    with store.transaction() as cur:
        cur.execute(f"INSERT INTO {_T} ({', '.join(quote_ident(c) for c in cols)}) VALUES ({marks})",
                    (values["event_id"], *values.values()))


def event_rows(store: Store, columns: tuple[str, ...], *, limit: int, action: str | None = None,
               actor: str | None = None, since: datetime | None = None) -> list[tuple]:
    """``columns`` of the newest ``limit`` events, newest first, narrowed to one action, one
    actor or those at or after ``since``."""
    p = store.paramstyle
    where, params = [], []
    for column, value in (("action", action), ("actor", actor)):
        if value is not None:
            where.append(f"{quote_ident(column)} = {p}")
            params.append(value)
    if since is not None:
        where.append(f'"at" >= {p}')
        params.append(since)
    sql = (f"SELECT {', '.join(quote_ident(c) for c in columns)} FROM {_T}"
           + (f" WHERE {' AND '.join(where)}" if where else "")
           + f' ORDER BY "at" DESC, event_id DESC LIMIT {p}')
    return list(store.raw.execute(sql, (*params, int(limit))).fetchall())
