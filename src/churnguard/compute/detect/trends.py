"""Is a customer buying clearly less than its own baseline? Tests that know its usual noise.

A customer's spend over a window is a compound Poisson sum: a random number of orders of
random size. Comparing a recent window with the baseline before it, the difference of the
spend rates has variance ``kappa * (1/E_r + 1/E_b)``, where ``E`` are the windows'
*exposures* and ``kappa`` (the customer's own rate of squared order amounts,
``sum(x**2) / (E_r + E_b)``) carries its normal variability: a customer with a few big,
irregular orders needs a much larger drop to count than one with many steady orders.

Exposures remove what every customer goes through at once: the company's seasonality
(Q4 highs, the summer lull, Chinese New Year), a general price rise. They are measured on the
data, as each day's share of the spend (or orders) of customers who were with the company
through the whole window (:func:`seasonal_index`). Where quarterly wallet estimates exist,
the exposure is the customer's own estimated total spend, so the rate becomes its share of
wallet (荷包占有率).

Order counts get an exact conditional test: given ``n = N_r + N_b`` orders in the two
windows, ``N_r`` is binomial with ``p = E_r / (E_r + E_b)`` when nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import gammaln

from churnguard.compute.detect.profile import round_significant, safe_ratio
from churnguard.compute.detect.status import customer_status
from churnguard.settings import ChurnSettings
from churnguard.store.records import Records


@dataclass(frozen=True)
class SeasonalIndex:
    """Daily weights (mean 1) of spend and of orders over a range of days ending at ``as_of``.

    ``cum_spend[i]`` is the sum of the spend weights of the first ``i`` days of the range, so
    the exposure of any window is one subtraction.
    """

    start: date
    as_of: date
    cum_spend: np.ndarray
    cum_orders: np.ndarray

    @classmethod
    def flat(cls, start: date, as_of: date) -> SeasonalIndex:
        """Every day weighs 1 (no seasonality known)."""
        n = (as_of - start).days + 1
        cum = np.arange(n + 1, dtype="float64")
        return cls(start, as_of, cum, cum.copy())

    def to_frame(self) -> pd.DataFrame:
        """One row a day: ``day``, ``spend_weight``, ``orders_weight`` (what a run stores)."""
        days = pd.date_range(self.start, self.as_of, freq="D").date
        return pd.DataFrame({"day": days, "spend_weight": np.diff(self.cum_spend),
                             "orders_weight": np.diff(self.cum_orders)})

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> SeasonalIndex:
        """The index :meth:`to_frame` wrote (rows in any order)."""
        frame = frame.assign(day=pd.to_datetime(frame["day"]).dt.date).sort_values("day")
        if frame.empty:
            raise ValueError("an empty seasonal index")
        return cls(frame["day"].iloc[0], frame["day"].iloc[-1],
                   np.r_[0.0, np.cumsum(frame["spend_weight"].to_numpy(dtype="float64"))],
                   np.r_[0.0, np.cumsum(frame["orders_weight"].to_numpy(dtype="float64"))])

    def _offsets(self, days_ago: np.ndarray | int) -> np.ndarray:
        n = len(self.cum_spend) - 1
        off = n - np.asarray(days_ago, dtype="float64")
        return np.clip(np.nan_to_num(off, nan=0.0), 0, n).astype(int)

    def exposure(self, newest_ago: int, oldest_ago: np.ndarray | int, orders: bool = False) -> np.ndarray:
        """Exposure of the days from ``oldest_ago`` (exclusive) to ``newest_ago`` (inclusive) days ago."""
        cum = self.cum_orders if orders else self.cum_spend
        hi = self._offsets(newest_ago)
        lo = self._offsets(oldest_ago)
        return np.maximum(cum[hi] - cum[lo], 0.0)


def seasonal_index(records: Records, churn: ChurnSettings, as_of: date, days: int) -> SeasonalIndex:
    """Measure the daily weights of spend and orders over the ``days`` days up to ``as_of``.

    The panel is the customers active at ``as_of`` who bought before the range began, so
    acquisitions and departures do not pass for seasonality. Each month's weight is its
    spend per day (orders per day) relative to the range's mean; a month with no panel
    purchases gets weight 1. Only a per-month table comes back from the engine.
    """
    start = as_of - timedelta(days=days - 1)
    r = records.known_at(as_of)
    st = customer_status(records, churn, as_of)
    p = r.purchases
    first = p.group_by("customer_id").aggregate(first=p.occurred_at.min())
    panel = st.filter(~st.lost).select("customer_id").view()
    first = first.filter(first.first < ibis.literal(start, "date")).view()
    panel = panel.semi_join(first, panel.customer_id == first.customer_id)
    orders = p.filter(p.occurred_at >= ibis.literal(start, "date"))
    orders = orders.group_by(["customer_id", "occurred_at"]).aggregate(amount=orders.amount.sum()).view()
    orders = orders.semi_join(panel, orders.customer_id == panel.customer_id)
    orders = orders.mutate(month=orders.occurred_at.truncate("M").cast("date"))
    per_month = orders.group_by("month").aggregate(spend=orders.amount.sum(), n=orders.count()).to_pandas()
    dates = pd.date_range(start, as_of, freq="D")
    if per_month.empty:
        return SeasonalIndex.flat(start, as_of)
    per_month["month"] = pd.to_datetime(per_month["month"]).dt.to_period("M")
    # the engine's parallel sum differs in its last bits between runs
    per_month["spend"] = round_significant(per_month["spend"].to_numpy(dtype="float64"))
    per_month = per_month.set_index("month").sort_index()
    month = dates.to_period("M")
    days_in_range = pd.Series(1, index=month).groupby(level=0).size()

    def weights(values: pd.Series) -> np.ndarray:
        per_day = (values / days_in_range.reindex(values.index)).reindex(month).to_numpy(dtype="float64")
        mean = np.nanmean(per_day) if np.isfinite(per_day).any() else 1.0
        w = np.where(np.isfinite(per_day) & (per_day > 0), per_day / mean, 1.0)
        return np.r_[0.0, np.cumsum(w)]

    return SeasonalIndex(start, as_of, weights(per_month["spend"].astype(float)), weights(per_month["n"].astype(float)))


def compound_poisson_z(s_r, e_r, s_b, e_b, sumsq) -> tuple[np.ndarray, np.ndarray]:
    """z-score and relative drop of the recent rate ``s_r/e_r`` against the baseline ``s_b/e_b``.

    ``sumsq`` is the sum of squared order amounts over both windows. Returns NaN where a
    window has no exposure or the customer bought nothing.
    """
    s_r, e_r, s_b, e_b, sumsq = (np.asarray(x, dtype="float64") for x in (s_r, e_r, s_b, e_b, sumsq))
    rate_r = safe_ratio(s_r, e_r)
    rate_b = safe_ratio(s_b, e_b)
    kappa = safe_ratio(sumsq, e_r + e_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(kappa * (1.0 / e_r + 1.0 / e_b))
        z = np.where(se > 0, (rate_r - rate_b) / se, np.nan)
        drop = np.where(rate_b > 0, 1.0 - rate_r / rate_b, np.nan)
    return z, drop


def order_size_z(s_r, n_r, s_b, n_b, sumsq, size_r=1.0, size_b=1.0) -> tuple[np.ndarray, np.ndarray]:
    """Are the recent orders smaller than the baseline's? Returns (z, relative drop of the mean order).

    A two-sample t-test on the order amounts, from the windows' sums (``s``), counts (``n``)
    and the sum of squared amounts over both (``sumsq``): the pooled variance is
    ``(sumsq - n_r m_r**2 - n_b m_b**2) / (n_r + n_b - 2)``. ``size_r`` and ``size_b`` are the
    windows' seasonal order-size factors (spend exposure over order exposure, 1 without an
    index); each window's mean is divided by its own. ``z`` is the normal quantile of the
    one-sided p-value (Student's t with ``n_r + n_b - 2`` degrees of freedom), NaN with fewer
    than two recent orders or fewer baseline orders than recent ones: order amounts are skewed,
    and a t-test of a smaller recent mean keeps its level on skewed (lognormal) amounts when the
    baseline holds at least as many orders (simulated: at most the nominal rate for log-sd 0.3–2),
    but not when the baseline is the smaller sample (50 recent orders against 10: 2.3 times the
    nominal rate at 1.25%, log-sd 1), as for a customer younger than its baseline.

    The compound Poisson test of spend (:func:`compound_poisson_z`) takes the number of orders
    as Poisson; a customer who buys every week is far more regular than that, and halving each
    order only moves its spend by about 1.6 of those standard errors over 180 days. Given the
    counts (the frequency test judges those), the size of its orders shows it plainly.
    """
    s_r, n_r, s_b, n_b, sumsq, c_r, c_b = (np.asarray(x, dtype="float64")
                                           for x in (s_r, n_r, s_b, n_b, sumsq, size_r, size_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        m_r, m_b = s_r / n_r, s_b / n_b
        df = n_r + n_b - 2
        ss = np.maximum(sumsq - n_r * m_r ** 2 - n_b * m_b ** 2, 0.0)
        sd = np.sqrt(ss / df)
        a_r, a_b = m_r / c_r, m_b / c_b
        diff = a_r - a_b
        se = sd * np.sqrt(1.0 / (n_r * c_r ** 2) + 1.0 / (n_b * c_b ** 2))
        ok = (n_r >= 2) & (n_b >= n_r) & np.isfinite(diff) & (c_r > 0) & (c_b > 0)
        t = np.where(se > 0, diff / se, np.where(diff < 0, -np.inf, np.where(diff > 0, np.inf, 0.0)))
        pval = stats.t.cdf(t, np.maximum(df, 1))
        z = np.where(ok, stats.norm.ppf(np.clip(pval, 1e-12, 1.0)), np.nan)
        drop = np.where(ok & (a_b > 0), 1.0 - a_r / a_b, np.nan)
    return z, drop


def order_count_z(n_r, e_r, n_b, e_b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact conditional test of fewer recent orders; returns (z, relative drop, expected recent orders).

    ``z`` is the normal quantile of the one-sided binomial p-value ``P(N_r <= n_r)``.
    """
    n_r, e_r, n_b, e_b = (np.asarray(x, dtype="float64") for x in (n_r, e_r, n_b, e_b))
    n = n_r + n_b
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = np.where(e_r + e_b > 0, e_r / (e_r + e_b), np.nan)
        pval = stats.binom.cdf(n_r, n, p0)
        z = np.where((n > 0) & np.isfinite(p0), stats.norm.ppf(np.clip(pval, 1e-12, 1.0)), np.nan)
        rate_b = np.where(e_b > 0, n_b / e_b, np.nan)
        drop = np.where(rate_b > 0, 1.0 - (n_r / e_r) / rate_b, np.nan)
        expected = rate_b * e_r
    return z, drop, expected


def dropped_categories(records: Records, as_of: date, recent_days: int, baseline_days: int,
                       min_recent_lines: int = 3, min_baseline_lines: int = 3) -> pd.DataFrame:
    """Categories a customer bought in the baseline but not at all in the recent window.

    Only candidates come back from the engine: categories with at least
    ``min_baseline_lines`` baseline lines and none recently, for customers with at least
    ``min_recent_lines`` recent lines. Columns: ``customer_id, category, lines_c_b,
    lines_b, lines_r, n_categories, p_zero`` where ``n_categories`` is how many of the
    customer's categories had ``min_baseline_lines`` baseline lines (each could have dropped:
    the number of tests to correct for) and ``p_zero`` is the chance that none of the
    category's lines fell in the ``lines_r`` recent lines if the customer's mix had not changed.
    """
    r = records.known_at(as_of)
    t = r.purchases
    newest = ibis.literal(as_of - timedelta(days=recent_days), "date")
    oldest = ibis.literal(as_of - timedelta(days=recent_days + baseline_days), "date")
    t = t.filter((t.occurred_at > oldest) & t.category.notnull())
    recent = t.occurred_at > newest
    per = t.group_by(["customer_id", "category"]).aggregate(
        lines_c_r=t.count(where=recent), lines_c_b=t.count(where=~recent)
    )
    tot = t.group_by("customer_id").aggregate(lines_r=t.count(where=recent), lines_b=t.count(where=~recent))
    per, tot = per.view(), tot.view()
    j = per.inner_join(tot, per.customer_id == tot.customer_id)
    j = j.select(per.customer_id, per.category, per.lines_c_r, per.lines_c_b, tot.lines_r, tot.lines_b)
    j = j.filter((j.lines_c_b >= min_baseline_lines) & (j.lines_r >= min_recent_lines))
    # every category that could have dropped is a test, dropped or not (for the correction)
    n_cat = j.group_by("customer_id").aggregate(n_categories=j.count()).view()
    j = j.filter(j.lines_c_r == 0).view()
    j = j.inner_join(n_cat, j.customer_id == n_cat.customer_id)
    out = j.select(j.customer_id, j.category, j.lines_c_b, j.lines_b, j.lines_r, n_cat.n_categories).to_pandas()
    out = out.sort_values(["customer_id", "category"], ignore_index=True)
    # Exact conditional test (as for order counts): of the lines_c_b + 0 lines of the category
    # among all lines_b + lines_r lines, the chance that none fell in the recent ones if every
    # line were equally likely to be of it, C(lines_b, k) / C(lines_b + lines_r, k). The plug-in
    # (1 - k / lines_b) ** lines_r took the baseline share as known and, with a dozen lines,
    # flagged about five times as many customers as chance allows (20,000 simulated customers).
    k, nb, nr = (out[c].to_numpy("float64") for c in ("lines_c_b", "lines_b", "lines_r"))
    out["p_zero"] = np.exp(gammaln(nb + 1) - gammaln(nb - k + 1) - gammaln(nb + nr + 1) + gammaln(nb + nr - k + 1))
    return out


#: Days in a month of rates (as ``partial_tests`` reports a spend rate per month)
MONTH_DAYS = 30.44


def spend_against_baseline(lines: pd.DataFrame, as_of: date, index: SeasonalIndex,
                           recent_days: int, baseline_days: int, months: int = 24) -> pd.DataFrame:
    """One customer's spend per calendar month against its own baseline, for a chart.

    ``lines`` are the customer's transaction lines (``occurred_at``, ``amount``; any others are
    ignored); those after ``as_of`` and returns (amount ≤ 0) are left out here, as
    :meth:`Records.known_at` and :attr:`Records.purchases` leave them out of the tests.
    The baseline is the one partial defection is judged by (``partial_tests`` in :mod:`.defectors`): the
    customer's spend over the ``baseline_days`` before its last ``recent_days`` (from its first
    purchase when it is younger), per seasonally weighted day. A month's baseline is that rate
    times the month's exposure in ``index``, i.e. what the customer would have spent in that
    month had it kept buying as in its baseline, season for season. Months outside the index,
    and those before its first purchase, have no baseline (NaN).

    Returns one row per month, oldest first, the last holding ``as_of``: ``month`` (its first
    day), ``spend``, ``baseline``, ``window`` (``baseline``, ``recent`` or ``""``), and in
    ``attrs``: ``rate_per_month`` (the baseline per 30.44 weighted days, ``spend_rate_b`` of
    the partial-defection test), ``baseline_from``, ``baseline_to``, ``recent_from``.
    """
    lines = pd.DataFrame({"occurred_at": pd.to_datetime(lines["occurred_at"]),
                          "amount": pd.to_numeric(lines["amount"], errors="coerce")})
    lines = lines[(lines["occurred_at"] <= pd.Timestamp(as_of)) & (lines["amount"] > 0)]
    orders = lines.groupby("occurred_at", as_index=False)["amount"].sum()
    end = pd.Timestamp(as_of)
    first_month = (end.to_period("M") - (months - 1)).to_timestamp()
    month_starts = pd.date_range(first_month, periods=months, freq="MS")
    spend = orders.groupby(orders["occurred_at"].dt.to_period("M").dt.to_timestamp())["amount"].sum()
    rate = np.nan
    oldest = recent_days + baseline_days
    first_month = None
    if len(orders):
        first_month = orders["occurred_at"].min().to_period("M").to_timestamp()
        first_days = (end - orders["occurred_at"].min()).days
        oldest = int(min(recent_days + baseline_days, first_days + 1))
        ago = (end - orders["occurred_at"]).dt.days
        spend_b = float(orders.loc[(ago < oldest) & (ago >= recent_days), "amount"].sum())
        e_b = float(index.exposure(recent_days, oldest))
        rate = spend_b / e_b if e_b > 0 else np.nan
    rows = []
    base_from = end - pd.Timedelta(days=oldest - 1)
    recent_from = end - pd.Timedelta(days=recent_days - 1)
    for start in month_starts:
        stop = min(start + pd.offsets.MonthEnd(0), end)
        newest_ago, oldest_ago = (end - stop).days, (end - start).days + 1
        covered = start.date() >= index.start and first_month is not None and start >= first_month
        exposure = float(index.exposure(newest_ago, oldest_ago)) if covered else np.nan
        if stop >= recent_from:
            window = "recent"
        elif stop >= base_from:
            window = "baseline"
        else:
            window = ""
        rows.append((start.date(), float(spend.get(start, 0.0)), rate * exposure, window))
    out = pd.DataFrame(rows, columns=["month", "spend", "baseline", "window"])
    out.attrs = {"rate_per_month": rate * MONTH_DAYS, "baseline_from": base_from.date(),
                 "baseline_to": (recent_from - pd.Timedelta(days=1)).date(), "recent_from": recent_from.date()}
    return out
