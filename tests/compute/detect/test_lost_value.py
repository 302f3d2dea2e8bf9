"""The value a defector took with it: trailing-12-month revenue, a contract's recurring value, a drop."""

from __future__ import annotations

import pandas as pd
from detect_rows import D, contract, put, tx

from churnguard.compute.detect import Records
from churnguard.compute.detect.lost_value import lost_value

AS_OF = D("2024-12-31")


def test_lost_value_of_complete_and_partial_defectors(ws) -> None:
    put(ws,
        transactions=[
            # A: lost 2024-06-30; 2023-06-01 is outside its year before the loss, 2024-09-01 after it
            tx("A", "2023-06-01", 1000), tx("A", "2023-07-15", 100), tx("A", "2024-03-01", 200),
            tx("A", "2024-09-01", 5000),
            # B: contractual, its last contract's recurring value counts, not its purchases
            tx("B", "2024-01-10", 70),
            # P: partial, 900 in the year before, 300 in the last year -> lost 600
            tx("P", "2023-03-01", 900), tx("P", "2024-03-01", 300),
            # Q: partial but buying more -> 0
            tx("Q", "2023-03-01", 100), tx("Q", "2024-03-01", 300),
            tx("P", "2025-02-01", 99999),  # after the as-of date: never read
        ],
        contracts=[contract("K1", "B", "2022-01-01", "2022-12-31", 400.0),
                   contract("K2", "B", "2023-01-01", "2023-12-31", 480.0),
                   contract("K3", "B", "2025-01-01", "2025-12-31", 999.0)])
    defectors = pd.DataFrame({
        "customer_id": ["A", "B", "P", "Q", "Z"],
        "kind": ["complete", "complete", "partial", "partial", "complete"],
        "lost_at": pd.to_datetime(["2024-06-30", "2023-12-31", None, None, "2024-01-01"]),
    }, index=[10, 11, 12, 13, 14])
    got = lost_value(Records.from_store(ws.store), defectors, AS_OF)
    assert got.to_dict() == {10: 300.0, 11: 480.0, 12: 600.0, 13: 0.0, 14: 0.0}
