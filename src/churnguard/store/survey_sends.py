"""Survey sends as stored: every query of table ``survey_sends`` (one row per customer asked in
a drawn sample). Parameterised SQL only; a sample is written in one transaction, all its rows
or none."""

from __future__ import annotations

from datetime import date
from typing import Any

from churnguard.schema import SURVEY_SENDS
from churnguard.store.engine import Store, quote_ident

_T = quote_ident(SURVEY_SENDS.name)
_COLS = ("sample_id", "customer_id", "sent_at", "stratum", "seed")


def sent_between(store: Store, first: date, last: date) -> list[str]:
    """Ids of the customers sent a survey from ``first`` to ``last`` (both included), each once."""
    p = store.paramstyle
    rows = store.raw.execute(f"SELECT DISTINCT customer_id FROM {_T} WHERE sent_at >= {p} AND sent_at <= {p} "
                             "ORDER BY customer_id", (first, last)).fetchall()
    return [r[0] for r in rows]


def insert_sample(store: Store, rows: list[dict[str, Any]]) -> int:
    """Record the sends of one sample (``rows``: dicts of sample_id, customer_id, sent_at, stratum,
    seed) in one transaction; return how many rows were written."""
    if not rows:
        return 0
    cols = ("record_key", *_COLS)
    marks = ", ".join([store.paramstyle] * len(cols))
    sql = f"INSERT INTO {_T} ({', '.join(quote_ident(c) for c in cols)}) VALUES ({marks})"
    with store.transaction() as cur:
        cur.executemany(sql, [(f"{r['sample_id']}|{r['customer_id']}", *(r[c] for c in _COLS)) for r in rows])
    return len(rows)


def sample_rows(store: Store, sample_id: str) -> list[tuple]:
    """``customer_id, sent_at, stratum, seed`` of one sample, by customer id."""
    p = store.paramstyle
    return list(store.raw.execute(f"SELECT customer_id, sent_at, stratum, seed FROM {_T} WHERE sample_id = {p} "
                                  "ORDER BY customer_id", (sample_id,)).fetchall())
