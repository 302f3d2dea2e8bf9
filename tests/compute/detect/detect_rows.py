"""Hand-built records for detection tests, written straight into a workspace's tables."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa

from churnguard.schema import TABLES
from churnguard.store import Workspace


def D(s: str) -> date:
    """A date from ISO text."""
    return date.fromisoformat(s)


def days(start: str, *offsets: int) -> list[date]:
    """Dates ``offsets`` days after ``start``."""
    return [D(start) + timedelta(days=o) for o in offsets]


def put(ws: Workspace, **tables: list[dict[str, Any]]) -> None:
    """Replace the rows of each named table (``transactions=[...]``) with the given rows."""
    for name, rows in tables.items():
        table = TABLES[name]
        cols = {c.name: c.type for c in table.columns}
        types = {"string": pa.string(), "date": pa.date32(), "float64": pa.float64(), "int64": pa.int64(),
                 "boolean": pa.bool_()}
        data = {c: pa.array([r.get(c) for r in rows], types[t]) for c, t in cols.items()}
        ws.store.replace_rows(table, pa.table(data))


def tx(cid: str, day: date | str, amount: float = 100.0, **kw: Any) -> dict[str, Any]:
    """One transaction line."""
    day = D(day) if isinstance(day, str) else day
    return {"customer_id": cid, "occurred_at": day, "amount": amount, **kw}


def contact(cid: str, day: date | str, kind: str = "call") -> dict[str, Any]:
    """One interaction."""
    return {"customer_id": cid, "occurred_at": D(day) if isinstance(day, str) else day, "kind": kind}


def contract(cid_: str, customer: str, start: str, end: str, value: float = 1200.0, **kw: Any) -> dict[str, Any]:
    """One contract."""
    return {"contract_id": cid_, "customer_id": customer, "start_at": D(start), "end_at": D(end),
            "recurring_value": value, **kw}


def customer(cid: str, **kw: Any) -> dict[str, Any]:
    """One customer."""
    return {"customer_id": cid, **kw}
