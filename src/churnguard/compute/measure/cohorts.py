"""The cohort retention triangle.

A cohort is the customers acquired (first purchase or first contract start) in one period.
For each cohort and each period since (``period_offset`` 0, 1, …):

- basis ``customers``: ``retained`` = cohort customers active at the end of that period
  (by the churn definition of :mod:`~churnguard.compute.measure.status`; a reactivated
  customer counts again), ``retention = retained / cohort_size``;
- basis ``revenue``: ``retained`` = the cohort's revenue (sum of transaction amounts) in that
  period, ``retention = retained / revenue in period 0``.

The last period ends on the as-of date (``complete`` False when cut short).
"""

from __future__ import annotations

from datetime import date

import ibis
import pandas as pd

from churnguard.compute.measure.periods import period_end, period_index, period_index_expr, period_start
from churnguard.compute.measure.status import Thresholds, customer_spells
from churnguard.errors import InputError
from churnguard.settings import ChurnSettings
from churnguard.store.records import Records

COHORT_BASES = ("customers", "revenue")
COLUMNS = ("cohort_start", "cohort_size", "period_offset", "period_start", "complete", "retained", "retention")


def cohorts(src: Records, churn: ChurnSettings, *, as_of: date, period: str = "month",
            basis: str = "customers", start: date | None = None,
            thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Cohort retention as a long table, one row per (cohort, period since acquisition).

    Parameters
    ----------
    src : Records
    churn : ChurnSettings
    as_of : date
        The last day read.
    period : {"month", "quarter"}
    basis : {"customers", "revenue"}
    start : date, optional
        Earliest cohort shown; default: the first acquisition.

    Returns
    -------
    pandas.DataFrame
        ``cohort_start, cohort_size, period_offset, period_start, complete, retained, retention``.

    Examples
    --------
    >>> cohorts(src, settings.churn, as_of=date(2024, 12, 31), period="quarter")  # doctest: +SKIP
    """
    if basis not in COHORT_BASES:
        raise InputError(f"--basis: {basis!r} is not one of: {', '.join(COHORT_BASES)}")
    spells = customer_spells(src, churn, as_of, thresholds)
    spells = spells.mutate(ks=period_index_expr(spells.active_from, period),
                           kl=period_index_expr(spells.lost_at, period))
    first = spells.group_by("customer_id").aggregate(kc=spells.ks.min())
    s = spells.join(first, "customer_id")
    one = ibis.literal(1, "int64")
    zero = ibis.literal(0, "int64")
    k_last = period_index(as_of, period)
    # one query of events per (cohort, period): acquisitions, spell starts (+1) and losses (-1)
    begin = s.select("kc", k=s.ks, size=ibis.ifelse(s.spell_no == 1, one, zero), n=one.cast("float64"))
    lost = s.filter(s.lost_at.notnull())
    end = lost.select("kc", k=lost.kl, size=zero, n=ibis.literal(-1.0, "float64"))
    events = begin.union(end)
    if basis == "revenue":
        tx = src.transactions.filter(src.transactions.occurred_at <= as_of)
        tx = tx.join(first, "customer_id")
        tx = tx.select("kc", k=period_index_expr(tx.occurred_at, period), size=zero, n=tx.amount)
        events = begin.mutate(n=ibis.literal(0.0, "float64")).union(tx)
    agg = events.group_by(["kc", "k"]).aggregate(size=events.size.sum(), n=events.n.sum()).to_pandas()
    sizes = agg.groupby("kc", as_index=False)["size"].sum().rename(columns={"size": "cohort_size"})
    sizes = sizes[sizes["cohort_size"] > 0]
    flows = agg.set_index(["kc", "k"])["n"]

    k_first = period_index(start, period) if start is not None else None
    rows = []
    for kc, size in sizes.sort_values("kc").itertuples(index=False):
        kc = int(kc)
        if k_first is not None and kc < k_first:
            continue
        ks = range(kc, k_last + 1)
        f = flows.xs(kc, level="kc").reindex(ks, fill_value=0) if kc in flows.index.get_level_values(0) \
            else pd.Series(0, index=ks)
        series = f.cumsum() if basis == "customers" else f
        base = float(size) if basis == "customers" else float(series.iloc[0])
        for k, retained in series.items():
            rows.append({
                "cohort_start": period_start(kc, period),
                "cohort_size": int(size),
                "period_offset": int(k - kc),
                "period_start": period_start(int(k), period),
                "complete": period_end(int(k), period) <= as_of,
                "retained": int(retained) if basis == "customers" else float(retained),
                "retention": (float(retained) / base) if base else None,
            })
    return pd.DataFrame(rows, columns=list(COLUMNS))

