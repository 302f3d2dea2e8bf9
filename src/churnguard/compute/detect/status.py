"""Who is active and who is lost as of a date, by the workspace's churn definition.

Contractual customers (a contract started by the date)
    Covered from a contract's start through its end day (or a known earlier cancellation);
    a renewal that starts by the day after the end plus ``grace_days`` continues the cover.
    Lost on the last day of cover, once ``grace_days`` more days have passed without a renewal.
Non-contractual customers (everyone else with a purchase)
    Lost when the days since the last purchase reach ``threshold_days``; ``lost_at`` is the
    last purchase plus the threshold.

Only one row per customer comes back from the engine.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from churnguard.compute.detect.records import Records
from churnguard.errors import ConfigError
from churnguard.settings import ChurnSettings

CONTRACTUAL = "contractual"
NON_CONTRACTUAL = "non_contractual"


def threshold_days(churn: ChurnSettings) -> int:
    """The non-contractual churn threshold in days."""
    if churn.threshold_days == "auto":
        raise ConfigError(
            "churn.threshold_days = 'auto' is not supported by detection yet; set a number of days"
        )
    return int(churn.threshold_days)


def customer_status(records: Records, churn: ChurnSettings, as_of: date) -> ir.Table:
    """Status of every customer with a purchase or a contract by ``as_of``.

    Returns an Ibis table with ``customer_id, relationship, last_purchase_at, covered_until,
    lost, lost_at``: ``lost`` is a boolean, ``lost_at`` the day the customer was lost (NULL
    while active).

    Examples
    --------
    >>> st = customer_status(Records.from_store(store), settings.churn, date(2026, 6, 30))  # doctest: +SKIP
    >>> st.filter(st.lost).count().execute()  # doctest: +SKIP
    """
    r = records.known_at(as_of)
    thr = threshold_days(churn)
    grace = int(churn.grace_days)
    c = r.contracts
    cancelled = c.cancelled_at.notnull() & (c.cancelled_at < c.end_at)
    c = c.mutate(eff_end=ibis.ifelse(cancelled, c.cancelled_at, c.end_at))
    cover = _cover_end(c, grace)
    p = r.purchases
    last = p.group_by("customer_id").aggregate(last_purchase_at=p.occurred_at.max())
    both = last.outer_join(cover, "customer_id")
    cid = ibis.coalesce(both.customer_id, both.customer_id_right)
    contractual = both.covered_until.notnull()
    lost_nc = both.last_purchase_at <= ibis.literal(as_of - timedelta(days=thr), "date")
    lost_c = both.covered_until < ibis.literal(as_of - timedelta(days=grace), "date")
    lost = ibis.ifelse(contractual, lost_c, lost_nc)
    lost_at = ibis.ifelse(contractual, both.covered_until, both.last_purchase_at + ibis.interval(days=thr))
    return both.select(
        customer_id=cid,
        relationship=ibis.ifelse(contractual, CONTRACTUAL, NON_CONTRACTUAL),
        last_purchase_at=both.last_purchase_at,
        covered_until=both.covered_until,
        lost=lost,
        lost_at=ibis.ifelse(lost, lost_at, ibis.null("date")),
    )


def _cover_end(c: ir.Table, grace: int) -> ir.Table:
    """Per customer, the last day of its latest run of contiguous cover."""
    before = ibis.window(group_by="customer_id", order_by=["start_at", "contract_id"], rows=(None, -1))
    c = c.mutate(prev_end=c.eff_end.max().over(before))
    gap = c.prev_end.isnull() | (c.start_at > c.prev_end + ibis.interval(days=grace + 1))
    c = c.mutate(new=ibis.ifelse(gap, 1, 0))
    cum = ibis.window(group_by="customer_id", order_by=["start_at", "contract_id"], rows=(None, 0))
    c = c.mutate(run=c.new.sum().over(cum))
    last_run = c.group_by("customer_id").aggregate(last_run=c.run.max())
    c = c.inner_join(last_run, [c.customer_id == last_run.customer_id, c.run == last_run.last_run])
    return c.group_by("customer_id").aggregate(covered_until=c.eff_end.max())


def lost_within(records: Records, churn: ChurnSettings, as_of: date, horizon_days: int) -> ir.Table:
    """Customers active at ``as_of`` and whether they are lost ``horizon_days`` later.

    The label of the churn model and the backtest's "actually left": the same definition
    applied to the records known at ``as_of + horizon_days``. Returns ``customer_id, lost``.
    """
    now = customer_status(records, churn, as_of)
    now = now.filter(~now.lost).select("customer_id")
    later = customer_status(records, churn, as_of + timedelta(days=horizon_days))
    later = later.select("customer_id", later_lost="lost")
    j = now.left_join(later, "customer_id")
    return j.select(customer_id=now.customer_id, lost=j.later_lost.fill_null(False))
