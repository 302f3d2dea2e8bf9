"""One row per customer of everything known about it at the end of a day.

:func:`customer_profile` writes the aggregations over raw records (purchases, lines,
contacts, complaints, surveys, contracts, wallet estimates, the group's recent losses) once,
as Ibis expressions, joins them in the engine and brings back a single row per customer.
Defectors, warning signals and the churn model's features are all computed from it, so
every view of a customer agrees, and the tables are read once per date.

Windows are counted back from the as-of day D: "last 90 days" is D-89 … D. Nothing dated
after D is read (see :class:`~churnguard.store.records.Records`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnguard.compute.detect.status import customer_status, threshold_days, thresholds_at
from churnguard.settings import Settings
from churnguard.store.records import Records

#: severity words (English and Chinese) -> 1 low … 3 high
SEVERITY = {"low": 1, "低": 1, "轻微": 1, "medium": 2, "中": 2, "一般": 2, "high": 3, "高": 3, "严重": 3}


@dataclass(frozen=True)
class Windows:
    """The windows (in days) the profile aggregates over, from the settings."""

    recent: int  # partial defection: recent window
    baseline: int  # partial defection: baseline before it
    trend: int  # spend-trend signal: recent window (its baseline is 365 days before it)
    contact: int  # contact-drop signal: recent window (its baseline is 365 days before it)
    complaint_new: int
    chain: int

    @classmethod
    def from_settings(cls, s: Settings) -> Windows:
        """Windows of ``s.detect`` and ``s.signals``."""
        return cls(
            recent=s.detect.partial_recent_days,
            baseline=s.detect.partial_baseline_days,
            trend=s.signals.spend_trend_days,
            contact=s.signals.contact_drop_days,
            complaint_new=s.signals.complaint_new_days,
            chain=s.signals.chain_days,
        )


class _Days:
    """Date literals counted back from the as-of day."""

    def __init__(self, as_of: date):
        self.as_of = as_of

    def ago(self, days: int) -> ir.DateScalar:
        return ibis.literal(self.as_of - timedelta(days=days), "date")

    def last(self, col: ir.DateColumn, days: int) -> ir.BooleanColumn:
        """``col`` within the last ``days`` days (D-days+1 … D)."""
        return col > self.ago(days)

    def between(self, col: ir.DateColumn, newest: int, oldest: int) -> ir.BooleanColumn:
        """``col`` from ``oldest`` days ago (exclusive) to ``newest`` days ago (inclusive)."""
        return (col > self.ago(oldest)) & (col <= self.ago(newest))


#: Amounts are summed as decimals: exact, so the same records give the same sums to the last bit
#: on every run and engine (a parallel floating-point sum adds in an order that varies, and
#: rounding afterwards still flips a last digit now and then). Four decimals keep every cent.
EXACT = "decimal(18, 4)"
#: squares need the width: DuckDB keeps a product of two DECIMAL(18, 4) at width 18
EXACT_WIDE = "decimal(38, 4)"


def _exact_sum(x: ir.NumericColumn, where: ir.BooleanColumn | None = None) -> ir.FloatingScalar:
    """The exact sum of ``x`` (a decimal column) as a float."""
    return x.sum(where=where).cast("float64")


def _orders(r: Records) -> ir.Table:
    """Purchases per customer and day: one "order" a day (order ids are optional in users' data)."""
    p = r.purchases
    return p.group_by(["customer_id", "occurred_at"]).aggregate(amount=_exact_sum(p.amount.cast(EXACT)))


def _purchase_aggregates(r: Records, d: _Days, w: Windows) -> ir.Table:
    o = _orders(r)
    # A customer younger than a baseline window has its baseline start at its first purchase.
    # That purchase is the event that opened the window, not a draw of the customer's rate:
    # counting it made a customer with one order a few days into its baseline look like it
    # bought at a huge rate and then "dropped" (most partial-defector false alarms at 20,000
    # simulated customers). The window tests leave it out; their exposure starts the day after.
    o = o.mutate(first_day=o.occurred_at.min().over(ibis.window(group_by=o.customer_id)))
    day, amt = o.occurred_at, o.amount.cast(EXACT)
    later = day > o.first_day
    pr, pb = w.recent, w.recent + w.baseline
    tr, tb = w.trend, w.trend + 365
    sq = amt.cast(EXACT_WIDE) * amt.cast(EXACT_WIDE)
    return o.group_by("customer_id").aggregate(
        first_purchase_at=day.min(),
        orders_total=o.count(),
        spend_total=_exact_sum(amt),
        orders_30d=o.count(where=d.last(day, 30)),
        orders_90d=o.count(where=d.last(day, 90)),
        orders_180d=o.count(where=d.last(day, 180)),
        orders_365d=o.count(where=d.last(day, 365)),
        orders_prev_365d=o.count(where=d.between(day, 365, 730)),
        spend_90d=_exact_sum(amt, d.last(day, 90)),
        spend_180d=_exact_sum(amt, d.last(day, 180)),
        spend_365d=_exact_sum(amt, d.last(day, 365)),
        spend_prev_365d=_exact_sum(amt, d.between(day, 365, 730)),
        # partial defection windows: recent vs the baseline just before it
        p_orders_r=o.count(where=d.last(day, pr)),
        p_orders_b=o.count(where=d.between(day, pr, pb) & later),
        p_spend_r=_exact_sum(amt, d.last(day, pr)),
        p_spend_b=_exact_sum(amt, d.between(day, pr, pb) & later),
        p_sumsq=_exact_sum(sq, d.last(day, pb) & later),
        # spend-trend signal windows
        t_orders_r=o.count(where=d.last(day, tr)),
        t_orders_b=o.count(where=d.between(day, tr, tb) & later),
        t_spend_r=_exact_sum(amt, d.last(day, tr)),
        t_spend_b=_exact_sum(amt, d.between(day, tr, tb) & later),
        t_sumsq=_exact_sum(sq, d.last(day, tb) & later),
    )


def _line_aggregates(r: Records, d: _Days, w: Windows, company: Records) -> ir.Table:
    """Units per line, the prices paid against each product's baseline price, breadth, returns, payment.

    ``company``: the records of every customer, for each product's company-wide price.
    """
    t = r.transactions
    pr, pb = w.recent, w.recent + w.baseline
    buy = t.filter((t.amount > 0) & d.last(t.occurred_at, pb))
    # each product's average unit price over the baseline window, company-wide
    ct = company.transactions
    base = ct.filter((ct.amount > 0) & d.between(ct.occurred_at, pr, pb) & (ct.quantity > 0) & ct.product.notnull())
    ref = base.group_by("product").aggregate(ref_price=base.amount.sum() / base.quantity.sum())
    j = buy.left_join(ref, "product")
    ref_amount = ibis.ifelse(j.quantity > 0, j.quantity * j.ref_price, ibis.null("float64"))
    priced = ref_amount.notnull()
    recent = d.last(j.occurred_at, pr)
    older = ~recent
    lines = j.group_by("customer_id").aggregate(
        qty_r=j.quantity.sum(where=recent & (j.quantity > 0)),
        lines_r=j.quantity.count(where=recent & (j.quantity > 0)),
        qty_b=j.quantity.sum(where=older & (j.quantity > 0)),
        lines_b=j.quantity.count(where=older & (j.quantity > 0)),
        paid_r=j.amount.sum(where=recent & priced),
        ref_r=ref_amount.sum(where=recent & priced),
        paid_b=j.amount.sum(where=older & priced),
        ref_b=ref_amount.sum(where=older & priced),
        categories_r=j.category.nunique(where=recent),
        categories_b=j.category.nunique(where=older),
    )
    y = t.filter(d.last(t.occurred_at, 365))
    invoiced = y.due_at.notnull() & (y.due_at > y.occurred_at) & (y.amount > 0)
    late = invoiced & (
        (y.paid_at.notnull() & (y.paid_at > y.due_at)) | (y.paid_at.isnull() & (y.due_at < d.ago(0)))
    )
    overdue = invoiced & y.paid_at.isnull() & (y.due_at < d.ago(0))
    money = y.group_by("customer_id").aggregate(
        returns_365d=y.count(where=y.amount < 0),
        returns_amount_365d=(-y.amount).sum(where=y.amount < 0),
        invoices_365d=y.count(where=invoiced),
        late_invoices_365d=y.count(where=late),
        overdue_amount=y.amount.sum(where=overdue),
    )
    return lines.outer_join(money, "customer_id").select(
        customer_id=ibis.coalesce(lines.customer_id, money.customer_id),
        **{c: lines[c] for c in lines.columns if c != "customer_id"},
        **{c: money[c] for c in money.columns if c != "customer_id"},
    )


def _contact_aggregates(r: Records, d: _Days, w: Windows) -> ir.Table:
    i = r.interactions
    day = i.occurred_at
    contact = ~i.kind.isin(("renewal_inquiry", "unsubscribe"))
    cw = w.contact
    return i.group_by("customer_id").aggregate(
        last_contact_at=day.max(where=contact),
        first_contact_at=day.min(where=contact),
        contacts_30d=i.count(where=contact & d.last(day, 30)),
        contacts_90d=i.count(where=contact & d.last(day, 90)),
        contacts_prev_90d=i.count(where=contact & d.between(day, 90, 180)),
        contacts_365d=i.count(where=contact & d.last(day, 365)),
        c_sig_r=i.count(where=contact & d.last(day, cw)),
        c_sig_b=i.count(where=contact & d.between(day, cw, cw + 365)),
        last_renewal_inquiry_at=day.max(where=i.kind == "renewal_inquiry"),
        last_unsubscribe_at=day.max(where=i.kind == "unsubscribe"),
    )


def _complaint_aggregates(r: Records, d: _Days, w: Windows) -> ir.Table:
    q = r.complaints
    sev = q.severity.lower().strip().substitute(SEVERITY, else_=ibis.null("int64")).cast("int64")
    q = q.mutate(sev=sev)
    is_open = q.resolved_at.isnull()
    return q.group_by("customer_id").aggregate(
        complaints_90d=q.count(where=d.last(q.opened_at, 90)),
        complaints_365d=q.count(where=d.last(q.opened_at, 365)),
        complaints_new=q.count(where=d.last(q.opened_at, w.complaint_new)),
        open_complaints=q.count(where=is_open),
        oldest_open_complaint_at=q.opened_at.min(where=is_open),
        last_complaint_at=q.opened_at.max(),
        last_complaint_category=q.category.argmax(q.opened_at),
        severity_max_365d=q.sev.max(where=d.last(q.opened_at, 365)),
    )


def _survey_aggregates(r: Records, d: _Days) -> ir.Table:
    s = r.surveys
    win = ibis.window(group_by="customer_id", order_by=[ibis.desc(s.answered_at)])
    s = s.mutate(rank=ibis.row_number().over(win))
    return s.group_by("customer_id").aggregate(
        last_survey_at=s.answered_at.max(),
        last_satisfaction=s.satisfaction.max(where=s.rank == 0),
        prev_satisfaction=s.satisfaction.max(where=s.rank == 1),
        last_nps=s.nps.max(where=s.rank == 0),
        min_satisfaction_365d=s.satisfaction.min(where=d.last(s.answered_at, 365)),
        surveys_365d=s.count(where=d.last(s.answered_at, 365)),
    )


def _recorded_aggregates(r: Records) -> ir.Table:
    """The latest partial defection the company recorded itself (churn-reasons, kind partial)."""
    c = r.churn_reasons
    partial = c.kind.lower().strip() == "partial"
    return c.group_by("customer_id").aggregate(
        last_partial_record_at=c.recorded_at.max(where=partial),
        last_partial_reason=c.reason.argmax(c.recorded_at, where=partial),
        last_partial_competitor=c.competitor.argmax(c.recorded_at, where=partial),
    )


def _contract_aggregates(r: Records) -> ir.Table:
    c = r.contracts
    return c.group_by("customer_id").aggregate(
        contracts_n=c.count(),
        first_contract_at=c.start_at.min(),
        current_contract_start=c.start_at.max(),
        recurring_value=c.recurring_value.argmax(c.start_at),
        contract_cancelled_at=c.cancelled_at.max(),
    )


def _wallet_aggregates(r: Records, as_of: date) -> ir.Table | None:
    """Our spend and the customer's estimated total spend over complete quarters.

    Recent: the last two complete quarters; baseline: the four before them. Only quarters
    with an estimate count, on both sides of the ratio.
    """
    q_end = _last_complete_quarter_start(as_of)
    if q_end is None:
        return None
    recent_from = _add_months(q_end, -3)
    base_from = _add_months(q_end, -15)
    we = r.wallet_estimates.filter(
        (r.wallet_estimates.period_start >= base_from) & (r.wallet_estimates.period_start <= q_end)
    )
    o = _orders(r)
    o = o.filter(o.occurred_at >= base_from)
    o = o.mutate(quarter=o.occurred_at.truncate("Q").cast("date"), amt=o.amount.cast(EXACT))
    o = o.mutate(sq=o.amt.cast(EXACT_WIDE) * o.amt.cast(EXACT_WIDE))
    oq = o.group_by(["customer_id", "quarter"]).aggregate(spend=o.amt.sum(), sumsq=o.sq.sum())
    j = we.left_join(oq, [we.customer_id == oq.customer_id, we.period_start == oq.quarter])
    recent = j.period_start >= recent_from
    return j.group_by(j.customer_id).aggregate(
        w_quarters_r=j.count(where=recent),
        w_quarters_b=j.count(where=~recent),
        wallet_r=_exact_sum(j.estimated_total_spend.cast(EXACT), recent),
        wallet_b=_exact_sum(j.estimated_total_spend.cast(EXACT), ~recent),
        w_spend_r=_exact_sum(j.spend.fill_null(0), recent),
        w_spend_b=_exact_sum(j.spend.fill_null(0), ~recent),
        w_sumsq=_exact_sum(j.sumsq.fill_null(0)),
    )


def _chain_aggregates(r: Records, status: ir.Table, d: _Days, w: Windows) -> ir.Table:
    """Per group: members lost within the chain window, the latest and one of them."""
    cu = r.customers.filter(r.customers.group_id.notnull()).select("customer_id", "group_id")
    lost = status.filter(status.lost & d.last(status.lost_at, w.chain))
    lost = lost.inner_join(cu, "customer_id")
    per_group = lost.group_by("group_id").aggregate(
        group_lost_recent=lost.count(),
        group_last_lost_at=lost.lost_at.max(),
        group_lost_example=lost.customer_id.argmax(lost.lost_at),
    )
    size = cu.group_by("group_id").aggregate(group_size=cu.count())
    g = size.left_join(per_group, "group_id")
    return g.select("group_id", "group_size", "group_lost_recent", "group_last_lost_at", "group_lost_example")


def _last_complete_quarter_start(as_of: date) -> date | None:
    """First day of the last calendar quarter that ended on or before ``as_of``."""
    q_start = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    nxt = _add_months(q_start, 3)
    if nxt - timedelta(days=1) <= as_of:
        return q_start
    return _add_months(q_start, -3)


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def _region_aggregates(r: Records, d: _Days) -> ir.Table:
    """Complaints per 1,000 customers of each region: last 60 days and the usual 60 days.

    A service incident shows as a burst of complaints in one region; each customer of the
    region carries it (the few who complain stand for the many who do not, DESIGN.md). Counted
    over every customer on record by the date (the complaint table is small; no status needed).
    """
    cu = r.customers.select("customer_id", "region")
    n = cu.group_by("region").aggregate(region_customers=cu.count())
    q = r.complaints.select("customer_id", "opened_at").inner_join(cu, "customer_id")
    per = q.group_by("region").aggregate(
        c_60=q.count(where=d.last(q.opened_at, 60)),
        c_year=q.count(where=d.between(q.opened_at, 60, 425)),
    )
    j = n.left_join(per, "region")
    per1000 = 1000.0 / j.region_customers
    return j.select(
        region=n.region,
        region_complaints_60d=j.c_60.fill_null(0) * per1000,
        region_complaints_usual=j.c_year.fill_null(0) * per1000 * (60.0 / 365.0),
    )


def profile_expr(records: Records, settings: Settings, as_of: date, sample: float = 1.0, seed: int = 0) -> ir.Table:
    """The profile as one Ibis expression (see :func:`customer_profile`)."""
    full = records.known_at(as_of)
    part = records.sampled(sample, seed)
    r = part.known_at(as_of)
    d = _Days(as_of)
    w = Windows.from_settings(settings)
    status = customer_status(part, settings.churn, as_of)
    cu = r.customers.select("customer_id", "segment", "region", "customer_type", "group_id", "csm", "acquired_at")
    parts = [
        cu,
        _purchase_aggregates(r, d, w),
        _line_aggregates(r, d, w, full),
        _contact_aggregates(r, d, w),
        _complaint_aggregates(r, d, w),
        _survey_aggregates(r, d),
        _contract_aggregates(r),
        _recorded_aggregates(r),
    ]
    wallet = _wallet_aggregates(r, as_of)
    if wallet is not None:
        parts.append(wallet)
    out = status
    for agg in parts:
        out = _left_join(out, agg, "customer_id")
    # groups are sampled whole, so the sample's own statuses give exact group figures
    out = _left_join(out, _chain_aggregates(r, status, d, w), "group_id")
    return _left_join(out, _region_aggregates(full, d), "region")


def _left_join(left: ir.Table, right: ir.Table, key: str) -> ir.Table:
    """``left`` with ``right``'s other columns, matched on ``key``.

    Both sides are wrapped as views: Ibis otherwise folds a join of joins into one chain and
    refuses predicates that refer to an inner join's columns.
    """
    left, right = left.view(), right.view()
    j = left.left_join(right, left[key] == right[key])
    return j.select(*[left[c] for c in left.columns], *[right[c] for c in right.columns if c != key])


#: date columns of the profile, turned into "days before the as-of day" by :func:`customer_profile`
DATE_COLUMNS = (
    "last_purchase_at", "covered_until", "lost_at", "acquired_at", "first_purchase_at", "last_contact_at",
    "first_contact_at", "last_renewal_inquiry_at", "last_unsubscribe_at", "oldest_open_complaint_at",
    "last_complaint_at", "last_survey_at", "first_contract_at", "current_contract_start",
    "contract_cancelled_at", "group_last_lost_at", "last_partial_record_at",
)
#: text columns of the profile
TEXT_COLUMNS = ("relationship", "segment", "region", "customer_type", "group_id", "csm",
                "last_complaint_category", "group_lost_example", "last_partial_reason", "last_partial_competitor")
#: counts and sums that are zero (not unknown) when a customer has no such record
ZERO_WHEN_MISSING = (
    "orders_total", "spend_total", "orders_30d", "orders_90d", "orders_180d", "orders_365d", "orders_prev_365d",
    "spend_90d", "spend_180d", "spend_365d", "spend_prev_365d", "p_orders_r", "p_orders_b", "p_spend_r",
    "p_spend_b", "p_sumsq", "t_orders_r", "t_orders_b", "t_spend_r", "t_spend_b", "t_sumsq", "returns_365d",
    "returns_amount_365d", "invoices_365d", "late_invoices_365d", "overdue_amount", "contacts_30d",
    "contacts_90d", "contacts_prev_90d", "contacts_365d", "c_sig_r", "c_sig_b", "complaints_90d",
    "complaints_365d", "complaints_new", "open_complaints", "surveys_365d", "contracts_n", "group_lost_recent",
    "categories_r", "categories_b", "w_quarters_r", "w_quarters_b", "region_complaints_60d",
    "region_complaints_usual",
)


def customer_profile(records: Records, settings: Settings, as_of: date, sample: float = 1.0,
                     seed: int = 0) -> pd.DataFrame:
    """Everything known about each customer at the end of ``as_of``, one row per customer.

    Parameters
    ----------
    records : Records
        The stored tables (:meth:`Records.from_store`).
    settings : Settings
        Churn definition and the windows of ``detect`` and ``signals``.
    as_of : date
        Nothing dated later is read.
    sample : float
        Profile only this deterministic share of the customers, whole groups at a time
        (training on a large base); group and region figures are those of the full data.
    seed : int
        Chooses the sample.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``; customers with a purchase or a contract by ``as_of``.
        Dates are datetime64; every ``*_at`` date also has a ``days_since_*``-style
        companion computed here (``<name>_days``: days from that date to ``as_of``).
    """
    frame = finish_profile(to_frame(profile_expr(records, settings, as_of, sample, seed)), as_of)
    thresholds = thresholds_at(records, settings.churn, as_of)
    frame.attrs["thresholds"] = thresholds
    per_segment = {s: threshold_days(thresholds, s) for s in frame["segment"].dropna().unique()}
    thr = frame["segment"].map(per_segment).fillna(threshold_days(thresholds, None)).astype("float64")
    frame["threshold_days"] = thr.where(frame["relationship"] != "contractual")
    return frame


def to_frame(expr: ir.Table) -> pd.DataFrame:
    """Run ``expr`` and convert its Arrow result to pandas directly.

    Arrow converts a million rows of a hundred columns several times faster than the
    column-by-column conversion of ``to_pandas()``; dates become ``datetime64``.
    """
    table = expr.to_pyarrow()
    return table.to_pandas(date_as_object=False, split_blocks=True, self_destruct=True)


def finish_profile(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Types, zeros for absent counts and day counts for dates (pandas, one row per customer)."""
    frame = frame.set_index("customer_id")
    stamp = pd.Timestamp(as_of)
    for col in DATE_COLUMNS:
        if col in frame:
            values = pd.to_datetime(frame[col])
            frame[col] = values
            frame[col.removesuffix("_at") + "_days"] = (stamp - values).dt.days.astype("float64")
    for col in ZERO_WHEN_MISSING:
        if col in frame:
            frame[col] = pd.to_numeric(frame[col]).fillna(0).astype("float64")
    for col in frame.columns:
        if frame[col].dtype == object and col not in TEXT_COLUMNS:
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
    frame["lost"] = frame["lost"].astype(bool)
    # the engine's parallel sums differ in the last bits from run to run and its rows come in
    # any order: round what it summed and sort by id, so the same data give the same profile
    floats = [c for c in frame.columns if frame[c].dtype == "float64"]
    frame[floats] = round_significant(frame[floats].to_numpy())
    frame = frame.sort_index(kind="stable").copy()
    frame.attrs["as_of"] = as_of
    return frame


def round_significant(values: np.ndarray, digits: int = 9) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits (NaN and infinities kept).

    Sums of the same numbers added in another order (a parallel engine) differ by about
    1e-16 of their size; nine significant digits remove that and keep every figure a
    report shows.

    Examples
    --------
    >>> round_significant(np.array([1234.5678901234, 0.1 + 0.2, np.nan])).tolist()
    [1234.56789, 0.3, nan]
    """
    a = np.asarray(values, dtype="float64")
    ok = np.isfinite(a) & (a != 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mag = np.floor(np.log10(np.abs(np.where(ok, a, 1.0))))
        factor = 10.0 ** (digits - 1 - mag)
        return np.where(ok, np.round(a * factor) / factor, a)


def days_between(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days from ``earlier`` to ``later`` (NaN where either is missing)."""
    return (pd.to_datetime(later) - pd.to_datetime(earlier)).dt.days.astype("float64")


def safe_ratio(num: pd.Series | np.ndarray, den: pd.Series | np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is zero or missing."""
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
