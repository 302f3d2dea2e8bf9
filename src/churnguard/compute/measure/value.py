"""A customer's value on given days: recurring value (contractual) or trailing revenue.

Value of a contractual customer on day ``d``
    The sum of ``recurring_value`` (per year) of its contracts that started before ``d`` and
    whose effective end (end or earlier known cancellation) is on or after ``d``. A contract
    ending on ``d`` still counts on ``d`` (the customer is lost on that day, from that value);
    a renewal starting on ``d`` counts from the next day. Inside a grace gap between two
    contracts the recurring value is zero.

Value of a non-contractual customer on day ``d``
    Its revenue (sum of ``amount``, returns included) over the ``value_window_days`` days
    before ``d``: ``d - value_window_days <= occurred_at < d``.

Only data up to the as-of date is read.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from churnguard.compute.measure.periods import memtable
from churnguard.compute.measure.status import CONTRACTUAL, NON_CONTRACTUAL, effective_contracts
from churnguard.store.records import Records

BASES = ("customers", "value", "recurring")


def value_on(src: Records, days: list[date], as_of: date, *, value_window_days: int,
             recurring_only: bool = False) -> ir.Table:
    """Per customer and day in ``days``: ``customer_id, at, value`` (rows only where a value exists).

    Parameters
    ----------
    src : Records
        The tables to read.
    days : list of date
        The days to value customers on (a handful: period starts and ends).
    as_of : date
        Nothing dated later is read.
    value_window_days : int
        Trailing revenue window of non-contractual customers.
    recurring_only : bool
        Only contractual customers' recurring value.
    """
    frame = pd.DataFrame({"at": sorted(set(days))})
    frame["window_start"] = [d - timedelta(days=value_window_days) for d in frame["at"]]
    at = memtable(frame, {"at": "date", "window_start": "date"})

    c = effective_contracts(src, as_of)
    rec = c.join(at, [c.start_at < at["at"], c.eff_end >= at["at"]])
    rec = rec.group_by(["customer_id", "at"]).aggregate(value=rec.recurring_value.sum())
    rec = rec.select("customer_id", "at", "value", relationship=ibis.literal(CONTRACTUAL))
    if recurring_only:
        return rec

    tx = src.transactions.filter(src.transactions.occurred_at <= as_of)
    contractual = src.contracts.filter(src.contracts.start_at <= as_of).select("customer_id").distinct()
    tx = tx.anti_join(contractual, "customer_id")
    rev = tx.join(at, [tx.occurred_at >= at.window_start, tx.occurred_at < at["at"]])
    rev = rev.group_by(["customer_id", "at"]).aggregate(value=rev.amount.sum())
    rev = rev.select("customer_id", "at", "value", relationship=ibis.literal(NON_CONTRACTUAL))
    return rec.union(rev)
