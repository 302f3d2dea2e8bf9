"""Revenue change split into customer-count, volume (units) and price effects, and false growth.

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

False growth (虚假增长)
    Revenue that holds or grows while the base under it shrinks: a price rise hiding lost
    volume or lost customers. A period gets a ``warning`` when its revenue is at least that of
    the period it is compared with (never when revenue fell) while its units or its buying
    customers fell by more than ``tolerance`` (default 0: any fall).

    Which period it is compared with depends on the data. Where they show seasonality, a
    month or a quarter is compared with the same period a year before (``comparison =
    "year_before"``): against the previous quarter, every quiet season would look like lost
    customers and every busy one like growth. Otherwise with the previous period
    (``"previous"``); a year is always compared with the year before. With seasonal data, the
    periods of the first year have no same period a year before and are not judged
    (``comparison`` None). See :func:`seasonality` for the rule.
"""

from __future__ import annotations

from datetime import date

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from churnguard.compute.measure.periods import period_index, period_index_expr, period_start, periods_frame
from churnguard.store.records import Records

COLUMNS = (
    "period_start", "period_end", "complete", "revenue", "units", "customers", "avg_price",
    "revenue_change", "customer_effect", "volume_effect", "price_effect", "other_effect",
    "comparison", "compared_with", "revenue_growth", "units_growth", "customers_growth", "warning",
)

#: complete months of history needed before seasonality is judged (two full years)
SEASONAL_MIN_MONTHS = 24
#: one-sided significance level of the lag-12 correlation
SEASONAL_ALPHA = 0.05
#: the rule, as the result states it
SEASONAL_RULE = (
    f"seasonal when, over at least {SEASONAL_MIN_MONTHS} complete months, the log of monthly revenue, units or "
    "buying customers, less its straight-line trend, correlates with itself 12 months later "
    f"(Pearson r, one-sided p < {SEASONAL_ALPHA})"
)
#: how many periods make a year
PER_YEAR = {"month": 12, "quarter": 4, "year": 1}


def _pct(new: float, old: float) -> str:
    return f"{(new - old) / old:+.1%}" if old else "n/a"


def _growth(new: float, old: float) -> float | None:
    return float((new - old) / old) if old else None


def seasonality(monthly: pd.DataFrame) -> dict:
    """Do the monthly figures show a yearly pattern? The rule of :data:`SEASONAL_RULE`.

    Parameters
    ----------
    monthly : pandas.DataFrame
        One row per complete calendar month, oldest first and without gaps (a month without
        sales is a row of zeros), with columns ``revenue``, ``units`` and ``customers``.

    Returns
    -------
    dict
        ``seasonal`` (bool), ``months`` (complete months judged), ``rule``, and per series
        ``lag12_correlation`` and ``p_value`` (None when there are too few months or the series
        is constant).

    Notes
    -----
    The straight-line trend is taken out first (on the log, so steady growth is a line), else
    a growing business would correlate with itself at every lag. The correlation of each month
    with the same month a year later is then the lag-12 autocorrelation of the detrended
    series; it is tested against zero with the usual t-test of a Pearson correlation. Any of
    the three series showing it is enough: they are compared together.
    """
    n = len(monthly)
    out: dict = {"seasonal": False, "months": n, "rule": SEASONAL_RULE,
                 "lag12_correlation": {}, "p_value": {}}
    for col in ("revenue", "units", "customers"):
        r = p = None
        if n >= SEASONAL_MIN_MONTHS:
            x = np.log1p(np.maximum(monthly[col].to_numpy(dtype="float64"), 0.0))
            t = np.arange(n, dtype="float64")
            resid = x - np.polyval(np.polyfit(t, x, 1), t)
            a, b = resid[:-12], resid[12:]
            if np.std(a) > 1e-12 and np.std(b) > 1e-12:
                test = stats.pearsonr(a, b, alternative="greater")
                r, p = round(float(test.statistic), 4), float(test.pvalue)
                out["seasonal"] = out["seasonal"] or p < SEASONAL_ALPHA
        out["lag12_correlation"][col] = r
        out["p_value"][col] = None if p is None else round(p, 6)
    return out


def _aggregate(tx: ibis.Table, period: str) -> pd.DataFrame:
    t = tx.mutate(k=period_index_expr(tx.occurred_at, period), has_q=tx.quantity.notnull())
    return t.group_by("k").aggregate(
        revenue=t.amount.sum(),
        revenue_q=ibis.ifelse(t.has_q, t.amount, 0.0).sum(),
        units=t.quantity.sum(),
        customers=t.customer_id.nunique(),
        # COUNT(DISTINCT …) skips NULLs: customers among rows that carry a quantity
        customers_q=ibis.ifelse(t.has_q, t.customer_id, ibis.null("string")).nunique(),
    ).to_pandas()


def _complete_months(months: pd.DataFrame, as_of: date, first_day: date | None) -> pd.DataFrame:
    """The complete calendar months from the first whole one with data up to ``as_of``."""
    if first_day is None or months.empty:
        return months.iloc[0:0]
    k0 = period_index(first_day, "month") + (0 if first_day.day == 1 else 1)
    k1 = period_index(as_of, "month") - (0 if (period_start(period_index(as_of, "month") + 1, "month")
                                               - as_of).days == 1 else 1)
    if k1 < k0:
        return months.iloc[0:0]
    frame = months.set_index("k").reindex(range(k0, k1 + 1))
    return frame[["revenue", "units", "customers"]].fillna(0.0).astype(float)


def price_volume(src: Records, *, as_of: date, period: str = "quarter", start: date | None = None,
                 tolerance: float = 0.0) -> pd.DataFrame:
    """Revenue, units, customers, the split of revenue change, and false growth, per period.

    Parameters
    ----------
    src : Records
    as_of : date
        The last day read.
    period : {"month", "quarter", "year"}
    start : date, optional
        First period shown (default: the first transaction's).
    tolerance : float
        Units or buying customers count as fallen only when they fell by more than this
        fraction (0: any fall).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS`; ``revenue_change`` and the effects compare with the
        previous period (also for the first row shown when data exists before it);
        ``comparison`` (``"previous"``, ``"year_before"`` or None), ``compared_with`` (the
        start of the period compared with) and the ``*_growth`` fractions are what the
        false-growth ``warning`` judged. ``attrs["seasonality"]`` is :func:`seasonality`'s
        answer and ``attrs["comparison"]`` the comparison the periods use.

    Examples
    --------
    >>> price_volume(src, as_of=date(2024, 12, 31), period="quarter")  # doctest: +SKIP
    """
    tx = src.transactions.filter(src.transactions.occurred_at <= as_of)
    agg = _aggregate(tx, period)
    months = agg if period == "month" else _aggregate(tx, "month")
    first_day = tx.occurred_at.min().to_pandas() if len(months) else None
    first_day = pd.Timestamp(first_day).date() if first_day is not None and pd.notna(first_day) else None
    season = seasonality(_complete_months(months, as_of, first_day))
    lag = PER_YEAR[period] if season["seasonal"] and period != "year" else 1
    comparison = "year_before" if lag > 1 else "previous"
    k_last = period_index(as_of, period)
    if start is not None:
        k_first = period_index(start, period)
    else:
        k_first = int(agg["k"].min()) if len(agg) else k_last
    k_data = int(agg["k"].min()) if len(agg) else k_last
    ks = range(k_first - lag, k_last + 1)
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
            "comparison": None, "compared_with": None,
            "revenue_growth": None, "units_growth": None, "customers_growth": None,
            "warning": None,
        }
        n0, n1, u0, u1 = prev.customers_q, cur.customers_q, prev.units, cur.units
        if n0 and u0:
            p0 = prev.revenue_q / u0
            q0 = u0 / n0
            row["customer_effect"] = (n1 - n0) * q0 * p0
            row["volume_effect"] = (u1 - n1 * q0) * p0
            row["price_effect"] = cur.revenue_q - u1 * p0
        # false growth, against the period the comparison names (none before the data start)
        if k - lag >= k_data:
            base = agg.loc[k - lag]
            row["comparison"] = comparison
            row["compared_with"] = period_start(k - lag, period)
            row["revenue_growth"] = _growth(cur.revenue, base.revenue)
            row["units_growth"] = _growth(cur.units, base.units)
            row["customers_growth"] = _growth(cur.customers, base.customers)
            row["warning"] = _warning(cur, base, tolerance, comparison, row["compared_with"], period)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.attrs = {"seasonality": season, "comparison": comparison}
    return frame


def _warning(cur: pd.Series, base: pd.Series, tolerance: float, comparison: str, compared_with: date,
             period: str) -> str | None:
    """The false-growth sentence of one period, or None: never when revenue fell."""
    if not base.revenue > 0 or cur.revenue < base.revenue:
        return None
    falls = []
    if base.units > 0 and cur.units < base.units * (1 - tolerance):
        falls.append(f"units {_pct(cur.units, base.units)}")
    if base.customers > 0 and cur.customers < base.customers * (1 - tolerance):
        falls.append(f"customers {_pct(cur.customers, base.customers)}")
    if not falls:
        return None
    against = (f"the same {period} a year before ({compared_with}; the data are seasonal)"
               if comparison == "year_before" else f"the previous {period} ({compared_with})")
    return (f"false growth? revenue {_pct(cur.revenue, base.revenue)} while " + " and ".join(falls)
            + f" against {against}: revenue is holding up on a shrinking base (check prices)")
