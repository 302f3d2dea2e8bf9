"""A tiny hand-built shop whose value figures are worked out by hand in the tests.

As of 2024-06-30:

- A buys on four days (one with a return on the same order), returns goods on a day of its
  own (not a purchase day), has invoices paid on time, paid 10 days late and unpaid past due,
  and one not yet due;
- B makes its first purchase on the as-of date (T = 0);
- C buys two orders on one day and one on another, and once more after the as-of date;
- D only holds a contract (renewed after the as-of date);
- E only ever returned goods.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa

from churnguard.service.imports import ImportOptions, import_data
from churnguard.store import Workspace

AS_OF = date(2024, 6, 30)

_TX = [
    # customer, occurred_at, amount, cost, order_id, due_at, paid_at
    ("A", "2023-01-10", 60.0, 40.0, "O1", "2023-02-10", "2023-02-05"),
    ("A", "2023-01-10", 40.0, 20.0, "O1", "2023-02-10", "2023-02-05"),
    ("A", "2023-06-01", 200.0, None, None, "2023-07-01", "2023-07-11"),
    ("A", "2024-03-15", 150.0, 100.0, "O3", "2024-04-15", None),
    ("A", "2024-03-15", -20.0, None, "O3", "2024-04-15", "2024-04-10"),
    ("A", "2024-04-01", -30.0, None, None, None, None),
    ("A", "2024-06-30", 50.0, None, "O4", "2024-07-30", None),
    ("B", "2024-06-30", 80.0, None, None, None, None),
    ("C", "2024-01-05", 30.0, None, "O7", None, None),
    ("C", "2024-01-05", 20.0, None, "O8", None, None),
    ("C", "2024-02-10", 25.0, None, "O9", None, None),
    ("C", "2024-07-05", 999.0, None, "O10", None, None),
    ("E", "2024-05-01", -10.0, None, None, None, None),
]

_CONTRACTS = [
    # contract_id, customer_id, start_at, end_at, recurring_value, renewed_from, cancelled_at
    ("K1", "D", "2023-07-01", "2024-06-30", 1200.0, None, None),
    ("K2", "D", "2024-07-01", "2025-06-30", 1260.0, "K1", None),
]


def _dates(values: list) -> list:
    return [None if v is None else date.fromisoformat(v) for v in values]


def transactions() -> pd.DataFrame:
    """The shop's transaction lines."""
    cols = list(zip(*_TX, strict=True))
    return pd.DataFrame(
        {
            "customer_id": cols[0],
            "occurred_at": _dates(list(cols[1])),
            "amount": cols[2],
            "cost": pd.array(cols[3], dtype="Float64"),
            "order_id": cols[4],
            "due_at": _dates(list(cols[5])),
            "paid_at": _dates(list(cols[6])),
        }
    )


def contracts() -> pd.DataFrame:
    """The shop's contracts."""
    cols = list(zip(*_CONTRACTS, strict=True))
    return pd.DataFrame(
        {
            "contract_id": cols[0],
            "customer_id": cols[1],
            "start_at": _dates(list(cols[2])),
            "end_at": _dates(list(cols[3])),
            "recurring_value": cols[4],
            "renewed_from": cols[5],
            "cancelled_at": _dates(list(cols[6])),
        }
    )


def load_frame(ws: Workspace, kind: str, frame: pd.DataFrame) -> None:
    """Import ``frame`` as ``kind`` through the user's import path; fail on any rejected row."""
    summary = import_data(ws, ImportOptions(kind, frame=pa.Table.from_pandas(frame, preserve_index=False)))
    assert summary.ok, summary.errors[:3]


def load(ws: Workspace) -> None:
    """Import the shop's contracts and transactions into ``ws``."""
    load_frame(ws, "contracts", contracts())
    load_frame(ws, "transactions", transactions())
