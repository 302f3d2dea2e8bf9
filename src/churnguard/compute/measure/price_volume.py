"""Revenue change split into customer-count, volume (units) and price effects.

For each period, over transactions that carry a quantity, revenue is
``R = N × q × p``: ``N`` buying customers, ``q = units / N`` units per customer and
``p = R / units`` the average price per unit. The change from the previous period is split
in a fixed chain (customers first, then units per customer, then price), which adds up
exactly:

- ``customer_effect = (N1 - N0) × q0 × p0``
- ``volume_effect   = N1 × (q1 - q0) × p0``
- ``price_effect    = N1 × q1 × (p1 - p0)``
- ``other_effect``  = change in revenue of transactions without a quantity,

so ``customer_effect + volume_effect + price_effect + other_effect = revenue_change``.
Effects are None when the previous period had no customers or no units.

A ``warning`` ("false growth") is set when revenue holds (falls by less than the tolerance,
default 2%) or grows while units or buying customers fall: a price rise hiding lost volume.
"""

from __future__ import annotations

from datetime import date

import ibis
import pandas as pd

from churnguard.compute.measure.periods import period_index, period_index_expr, periods_frame
from churnguard.compute.measure.sources import Sources

COLUMNS = (
    "period_start", "period_end", "complete", "revenue", "units", "customers", "avg_price",
    "revenue_change", "customer_effect", "volume_effect", "price_effect", "other_effect", "warning",
)


def _pct(new: float, old: float) -> str:
    return f"{(new - old) / old:+.1%}" if old else "n/a"


def price_volume(src: Sources, *, as_of: date, period: str = "quarter", start: date | None = None,
                 tolerance: float = 0.02) -> pd.DataFrame:
    """Revenue, units, customers and the split of revenue change per period.

    Parameters
    ----------
    src : Sources
    as_of : date
        The last day read.
    period : {"month", "quarter", "year"}
    start : date, optional
        First period shown (default: the first transaction's).
    tolerance : float
        Revenue "holds" when it falls by less than this fraction.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS`; ``revenue_change`` and the effects compare with the
        previous period (also for the first row shown when data exists before it).

    Examples
    --------
    >>> price_volume(src, as_of=date(2024, 12, 31), period="quarter")  # doctest: +SKIP
    """
    tx = src.transactions.filter(src.transactions.occurred_at <= as_of)
    tx = tx.mutate(k=period_index_expr(tx.occurred_at, period), has_q=tx.quantity.notnull())
    agg = tx.group_by("k").aggregate(
        revenue=tx.amount.sum(),
        revenue_q=ibis.ifelse(tx.has_q, tx.amount, 0.0).sum(),
        units=tx.quantity.sum(),
        customers=tx.customer_id.nunique(),
        # COUNT(DISTINCT …) skips NULLs: customers among rows that carry a quantity
        customers_q=ibis.ifelse(tx.has_q, tx.customer_id, ibis.null("string")).nunique(),
    ).to_pandas()
    k_last = period_index(as_of, period)
    if start is not None:
        k_first = period_index(start, period)
    else:
        k_first = int(agg["k"].min()) if len(agg) else k_last
    ks = range(k_first - 1, k_last + 1)
    agg = agg.set_index("k").reindex(ks)
    for c in ("revenue", "revenue_q", "units"):
        agg[c] = agg[c].fillna(0.0).astype(float)
    for c in ("customers", "customers_q"):
        agg[c] = agg[c].fillna(0).astype("int64")
    periods = periods_frame(k_first, k_last, period, as_of).set_index("k")
    rows = []
    for k in range(k_first, k_last + 1):
        cur, prev = agg.loc[k], agg.loc[k - 1]
        row = {
            "period_start": periods.at[k, "period_start"],
            "period_end": periods.at[k, "period_end"],
            "complete": bool(periods.at[k, "complete"]),
            "revenue": cur.revenue,
            "units": cur.units,
            "customers": int(cur.customers),
            "avg_price": cur.revenue_q / cur.units if cur.units else None,
            "revenue_change": cur.revenue - prev.revenue,
            "customer_effect": None, "volume_effect": None, "price_effect": None,
            "other_effect": (cur.revenue - cur.revenue_q) - (prev.revenue - prev.revenue_q),
            "warning": None,
        }
        n0, n1, u0, u1 = prev.customers_q, cur.customers_q, prev.units, cur.units
        if n0 and u0:
            p0 = prev.revenue_q / u0
            q0 = u0 / n0
            row["customer_effect"] = (n1 - n0) * q0 * p0
            row["volume_effect"] = (u1 - n1 * q0) * p0
            row["price_effect"] = cur.revenue_q - u1 * p0
        holds = prev.revenue > 0 and cur.revenue >= prev.revenue * (1 - tolerance)
        falls = []
        if u1 < u0:
            falls.append(f"units {_pct(u1, u0)}")
        if cur.customers < prev.customers:
            falls.append(f"customers {_pct(cur.customers, prev.customers)}")
        if holds and falls:
            row["warning"] = (
                f"false growth? revenue {_pct(cur.revenue, prev.revenue)} while "
                + " and ".join(falls) + ": revenue is holding up on a shrinking base (check prices)"
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))
