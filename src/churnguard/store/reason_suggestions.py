"""Reasons suggested from free text, as stored: rows of ``churn_reasons`` with ``source = inferred``.

Parameterised SQL only. A suggestion never overwrites or duplicates anything: its record key
is ``inferred:<customer>:<date>`` (saving the same date twice adds nothing), and it is not
written for a customer whose reason is recorded (an interview, a survey, an import) by that
date. All rows of one save go in one transaction, under the workspace's write lock.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from churnguard.schema import CHURN_REASONS
from churnguard.store.engine import Store, quote_ident

_T = quote_ident(CHURN_REASONS.name)
#: the ``source`` of a suggested reason
INFERRED = "inferred"
#: the columns a suggestion sets (the others stay empty)
COLUMNS = ("customer_id", "recorded_at", "reason", "kind", "notes", "source", "confidence")


def record_key(customer_id: str, as_of: date) -> str:
    """The key of the suggestion for ``customer_id`` made as of ``as_of``.

    >>> record_key("C0000042", date(2026, 9, 30))
    'inferred:C0000042:2026-09-30'
    """
    return f"{INFERRED}:{customer_id}:{as_of.isoformat()}"


def insert_inferred(store: Store, as_of: date, rows: list[dict[str, Any]]) -> int:
    """Store ``rows`` (``customer_id, reason, kind, notes, confidence``) as reasons inferred as of
    ``as_of``, in one transaction; return how many were new.

    A row is skipped when its key is stored already or when the customer has a reason that is
    not inferred recorded on or before ``as_of``.
    """
    p = store.paramstyle
    cols = ("record_key", *COLUMNS)
    insert = f"INSERT INTO {_T} ({', '.join(quote_ident(c) for c in cols)}) VALUES ({', '.join([p] * len(cols))})"
    exists = f"SELECT count(*) FROM {_T} WHERE record_key = {p}"
    recorded = (f"SELECT count(*) FROM {_T} WHERE customer_id = {p} AND recorded_at <= {p} "
                f"AND (source IS NULL OR source <> {p})")
    added = 0
    with store.write_lock(), store.transaction() as cur:
        for r in rows:
            key = record_key(str(r["customer_id"]), as_of)
            cur.execute(exists, (key,))
            if cur.fetchone()[0]:
                continue
            cur.execute(recorded, (str(r["customer_id"]), as_of, INFERRED))
            if cur.fetchone()[0]:
                continue
            cur.execute(insert, (key, str(r["customer_id"]), as_of, r["reason"], r.get("kind"), r.get("notes"),
                                 INFERRED, float(r["confidence"])))
            added += 1
    return added
