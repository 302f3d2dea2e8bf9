"""Who is active and who is lost as of a date, by the workspace's churn definition.

The definition is measure's (:mod:`churnguard.compute.measure.status`), and so are the
non-contractual thresholds (a fixed number of days, or with ``auto`` the one learned from each
segment's return curve): the same customer is lost in the churn rate, in the list
of defectors and in the model's labels. Measure builds every spell of every customer;
detection needs only the current one, which depends only on the last purchase and the last
run of contract cover, so it is computed here from those two aggregates (far cheaper on ten
million transactions). A test checks that both agree.

Contractual customers (a contract started by the date)
    Covered from a contract's start through its end day (or a known earlier cancellation); a
    renewal that starts by the day after the end plus ``grace_days`` continues the cover. Lost
    on the last day of cover, once ``grace_days`` more days have passed without a renewal.
Non-contractual customers (everyone else with a purchase)
    Lost when the days since the last purchase reach the threshold; ``lost_at`` is the last
    purchase plus the threshold.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from churnguard.compute.measure.status import Thresholds, purchase_thresholds
from churnguard.settings import ChurnSettings
from churnguard.store.records import Records

CONTRACTUAL = "contractual"
NON_CONTRACTUAL = "non_contractual"


def _settings_key(churn: ChurnSettings) -> tuple:
    return (churn.threshold_days, churn.return_share, churn.return_window_days, churn.threshold_min_customers,
            tuple(sorted(churn.threshold_by_segment.items())), churn.auto_percentile, churn.auto_fallback_days,
            churn.grace_days)


def pin_thresholds(records: Records, churn: ChurnSettings, as_of: date) -> Thresholds:
    """Compute the thresholds as of ``as_of`` and use them for every date from now on.

    Training and backtests judge many past dates; one definition for all of them (taken from
    what was known at the date the model is trained for, so nothing later) keeps the labels
    consistent and spares a scan of every purchase per date.
    """
    th = thresholds_at(records, churn, as_of)
    records.pin(("thresholds", "pinned", _settings_key(churn)), th)
    return th


@contextmanager
def thresholds_pinned_at(records: Records, churn: ChurnSettings, as_of: date) -> Iterator[Thresholds]:
    """Judge every date with the thresholds known at ``as_of`` inside the block, then restore
    the thresholds pinned before it (a replay of what a past date's training saw)."""
    base = records.full or records
    pin = ("thresholds", "pinned", _settings_key(churn))
    before = base.cache.get(pin)
    th = thresholds_at(records, churn, as_of, pinned=False)
    records.pin(pin, th)
    try:
        yield th
    finally:
        if before is None:
            base.cache.pop(pin, None)
        else:
            records.pin(pin, before)


def thresholds_at(records: Records, churn: ChurnSettings, as_of: date, pinned: bool = True) -> Thresholds:
    """The non-contractual churn threshold(s) as of ``as_of``, from every customer's purchases.

    Computed once per date and shared by every view of the same records; thresholds pinned by
    :func:`pin_thresholds` win unless ``pinned`` is False.
    """
    base = records.full or records
    pin = ("thresholds", "pinned", _settings_key(churn))
    if pinned and pin in base.cache:
        return base.cache[pin]
    key = ("thresholds", as_of, *_settings_key(churn))
    if key not in base.cache:
        base.cache[key] = purchase_thresholds(base, churn, as_of)
    return base.cache[key]


def threshold_days(thresholds: Thresholds, segment: object) -> int:
    """The threshold that applies to a customer of ``segment``."""
    if not thresholds.by_segment:
        return thresholds.default
    seg = segment if isinstance(segment, str) else None
    return thresholds.by_segment.get(seg, thresholds.default)


def _threshold_date(last: ir.DateValue, segment: ir.StringValue, thresholds: Thresholds) -> ir.DateValue:
    """``last`` plus the customer's threshold (a CASE over literal intervals: portable)."""
    if not thresholds.by_segment:
        return last + ibis.interval(days=thresholds.default)
    branches = [
        (segment.isnull() if s is None else segment == s, last + ibis.interval(days=d))
        for s, d in thresholds.by_segment.items()
    ]
    return ibis.cases(*branches, else_=last + ibis.interval(days=thresholds.default))


def customer_status(records: Records, churn: ChurnSettings, as_of: date, pinned: bool = True) -> ir.Table:
    """Status of every customer as of ``as_of``, computed once per date (see :func:`status_expr`).

    One table per date (and sample) serves the population, the group figures and the labels.
    ``pinned=False`` judges with the thresholds of ``as_of`` itself even when others are pinned.
    """
    th = thresholds_at(records, churn, as_of, pinned)
    th_key = (th.mode, th.default, tuple(sorted((str(k), v) for k, v in th.by_segment.items())))
    key = ("status", as_of, records.sample, _settings_key(churn), th_key)
    return records.materialize(status_expr(records, churn, as_of, th), key)


def status_expr(records: Records, churn: ChurnSettings, as_of: date, thresholds: Thresholds | None = None) -> ir.Table:
    """Status of every customer with a purchase or a contract by ``as_of``.

    Returns an Ibis table with ``customer_id, relationship, last_purchase_at, covered_until,
    lost, lost_at``: ``lost`` is a boolean, ``lost_at`` the day the customer was lost (NULL
    while active).

    Examples
    --------
    >>> st = customer_status(Records.from_store(store), settings.churn, date(2026, 6, 30))  # doctest: +SKIP
    >>> st.filter(st.lost).count().execute()  # doctest: +SKIP
    """
    thresholds = thresholds or thresholds_at(records, churn, as_of)
    r = records.known_at(as_of)
    grace = int(churn.grace_days)
    c = r.contracts
    cancelled = c.cancelled_at.notnull() & (c.cancelled_at < c.end_at)
    c = c.mutate(eff_end=ibis.ifelse(cancelled, c.cancelled_at, c.end_at))
    cover = _cover_end(c, grace).view()
    p = r.purchases
    last = p.group_by("customer_id").aggregate(last_purchase_at=p.occurred_at.max())
    seg = r.customers.select("customer_id", "segment")
    last = last.left_join(seg, "customer_id").select(last.customer_id, last.last_purchase_at, seg.segment).view()
    both = last.outer_join(cover, last.customer_id == cover.customer_id)
    cid = ibis.coalesce(last.customer_id, cover.customer_id)
    contractual = cover.covered_until.notnull()
    due = _threshold_date(last.last_purchase_at, last.segment, thresholds)
    lost_nc = due <= ibis.literal(as_of, "date")
    lost_c = cover.covered_until < ibis.literal(as_of - timedelta(days=grace), "date")
    lost = ibis.ifelse(contractual, lost_c, lost_nc)
    lost_at = ibis.ifelse(contractual, cover.covered_until, due)
    return both.select(
        customer_id=cid,
        relationship=ibis.ifelse(contractual, CONTRACTUAL, NON_CONTRACTUAL),
        last_purchase_at=last.last_purchase_at,
        covered_until=cover.covered_until,
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


def lost_within(records: Records, churn: ChurnSettings, as_of: date, horizon_days: int,
                pinned: bool = True) -> ir.Table:
    """Customers active at ``as_of`` and whether they are lost ``horizon_days`` later.

    The label of the churn model and the backtest's "actually left": the same definition
    applied to the records known at ``as_of + horizon_days``. Returns ``customer_id, lost``.
    Training pins one set of thresholds for every date; a backtest's outcome uses each date's
    own (``pinned=False``), as the churn rate of that date would.
    """
    now = customer_status(records, churn, as_of, pinned)
    now = now.filter(~now.lost).select("customer_id").view()
    later = customer_status(records, churn, as_of + timedelta(days=horizon_days), pinned)
    later = later.select("customer_id", later_lost="lost").view()
    j = now.left_join(later, now.customer_id == later.customer_id)
    return j.select(customer_id=now.customer_id, lost=later.later_lost.fill_null(False))
