"""Row builders for hand-built measure cases, and loading them into an engine."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from churnguard.schema import CONTRACTS, CUSTOMERS, TRANSACTIONS, Table
from churnguard.store import Store, load_rows
from churnguard.store.records import Records

KINDS = {"customers": CUSTOMERS, "transactions": TRANSACTIONS, "contracts": CONTRACTS}


def D(s: str) -> date:  # noqa: N802 - reads like a literal
    """``D("2024-03-31")``."""
    return date.fromisoformat(s)


def tx(customer_id: str, day: str, amount: float = 10.0, quantity: float | None = 1.0, **kw) -> dict:
    """One transaction row."""
    return {"customer_id": customer_id, "occurred_at": D(day), "amount": amount, "quantity": quantity, **kw}


def contract(contract_id: str, customer_id: str, start: str, end: str, value: float = 1200.0,
             cancelled: str | None = None) -> dict:
    """One contract row."""
    return {"contract_id": contract_id, "customer_id": customer_id, "start_at": D(start), "end_at": D(end),
            "recurring_value": value, "cancelled_at": D(cancelled) if cancelled else None}


def customer(customer_id: str, segment: str | None = None, **kw) -> dict:
    """One customer row."""
    return {"customer_id": customer_id, "segment": segment, **kw}


def arrow_rows(table: Table, rows: list[dict]) -> pa.Table:
    """Rows (dicts of canonical columns; missing ones NULL) as an Arrow table with ``record_key``."""
    schema = table.ibis_schema().to_pyarrow()
    names = ["record_key", *table.column_names]
    data = {}
    for name in names:
        if name == "record_key":
            key = table.natural_key
            data[name] = [
                "|".join(str(r[k]) for k in key) if key else f"row{i}" for i, r in enumerate(rows)
            ]
        else:
            data[name] = [r.get(name) for r in rows]
    return pa.table({n: pa.array(data[n], schema.field(n).type) for n in names})


class Builder:
    """Builds :class:`Records` from rows on one engine."""

    def __init__(self, name: str, make):
        self.name = name
        self._make = make

    def __call__(self, *, customers=(), transactions=(), contracts=()) -> Records:
        return self._make({"customers": list(customers), "transactions": list(transactions),
                           "contracts": list(contracts)})


def load_store(store: Store, rows: dict[str, list[dict]]) -> Records:
    """Replace the store's customers, transactions and contracts with ``rows``."""
    store.ensure_tables()
    with store.transaction() as cur:
        for name in ("customers", "transactions", "contracts", "imports"):
            cur.execute(f"DELETE FROM {name}")
    for kind, table in KINDS.items():
        if rows[kind]:
            data = arrow_rows(table, rows[kind])
            load_rows(store, table, data, kind=kind, file="test", encoding=None, rows_read=data.num_rows)
    return Records.from_store(store)


def write_parquet(folder: Path, rows: dict[str, list[dict]]) -> Path:
    """Write the rows as ``<kind>.parquet`` files in ``folder`` (the ``--data`` layout)."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, table in KINDS.items():
        if rows.get(kind):
            pq.write_table(arrow_rows(table, rows[kind]), folder / f"{kind}.parquet")
    return folder
