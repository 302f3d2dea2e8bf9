"""Active and lost intervals ("spells") per customer, as of a date.

A *spell* is one stretch during which a customer is active: it starts on the day the
customer is acquired (``spell_no`` 1) or reactivated (``spell_no`` > 1) and ends on the day
it is lost (``lost_at``; NULL while still active as of the as-of date). Spells of one customer
never overlap; ``lost_at`` of a spell is always before the next spell's ``active_from``.

Contractual customers (any contract started by the as-of date)
    Active while they hold a contract. A contract's effective end is its ``end_at`` (the last
    day covered: 2024-01-01 … 2024-12-31 is one year), or its ``cancelled_at`` when that comes
    earlier (and is known by the as-of date). A contract starting no later than the day after
    the previous end of coverage plus ``grace_days`` continues the spell (so a renewal starting
    the next day continues it with ``grace_days = 0``). The customer is lost on the day
    coverage ends; the loss is only known once a renewal can no longer start in time, so a
    spell with end + grace on or after the as-of date is still open.

Non-contractual customers (everyone else with a purchase, i.e. a transaction with a
positive amount)
    Lost on the day the gap since the last purchase reaches the threshold:
    ``lost_at = last purchase + threshold``. A purchase on that very day keeps the customer
    (like a same-day renewal); a later purchase starts a new spell: a reactivation.
    The threshold is ``threshold_days``, or with ``auto`` the ``auto_percentile`` of the
    inter-purchase gaps of the customer's segment (see :func:`purchase_thresholds`).

Nothing dated after the as-of date is read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import ibis
import ibis.expr.types as ir
import pandas as pd

from churnguard.compute.measure.sources import Sources
from churnguard.settings import ChurnSettings

SPELL_COLUMNS = ("customer_id", "relationship", "spell_no", "active_from", "lost_at")
CONTRACTUAL = "contractual"
NON_CONTRACTUAL = "non_contractual"
NO_SEGMENT = "(no segment)"


@dataclass(frozen=True)
class Thresholds:
    """The non-contractual churn threshold(s) in days.

    Attributes
    ----------
    mode : str
        ``fixed`` (one number for everybody), ``auto`` (per segment) or ``fallback`` (``auto``
        asked, but no gaps between purchases yet: ``auto_fallback_days`` for everybody).
    default : int
        The fixed threshold, or with ``auto`` the percentile over all segments (used for a
        segment without any inter-purchase gap of its own).
    by_segment : dict
        With ``auto``: segment (None for customers without one) -> threshold days.
    gaps : dict
        With ``auto``: segment -> number of inter-purchase gaps the percentile was taken from.
    """

    mode: str
    default: int
    by_segment: dict[str | None, int] = field(default_factory=dict)
    gaps: dict[str | None, int] = field(default_factory=dict)
    percentile: float | None = None

    def describe(self) -> dict:
        """The thresholds as reported in a result's ``definition``."""
        if self.mode == "fixed":
            return {"threshold_days": self.default, "threshold_source": "fixed (setting churn.threshold_days)"}
        if self.mode == "fallback":
            return {"threshold_days": self.default, "threshold_source": (
                "auto, but no customer has bought twice yet: churn.auto_fallback_days")}
        return {
            "threshold_days": "auto",
            "threshold_source": (
                f"auto: the {self.percentile:.0%} percentile (nearest rank) of each segment's "
                "gaps between purchases"
            ),
            "auto_percentile": self.percentile,
            "threshold_overall_days": self.default,
            "thresholds_by_segment": [
                {"segment": NO_SEGMENT if s is None else s, "threshold_days": d, "gaps": self.gaps.get(s, 0)}
                for s, d in sorted(self.by_segment.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
            ],
        }


def _purchase_days(src: Sources, as_of: date) -> ir.Table:
    """Distinct (customer, day) purchases of non-contractual customers up to ``as_of``."""
    tx = src.transactions
    c = src.contracts
    contractual = c.filter(c.start_at <= as_of).select("customer_id").distinct()
    days = tx.filter(tx.occurred_at <= as_of, tx.amount > 0).select("customer_id", day=tx.occurred_at).distinct()
    return days.anti_join(contractual, "customer_id")


def _nearest_rank(hist: pd.DataFrame, q: float) -> int:
    """The smallest gap with at least ``q`` of the gaps at or below it (``hist``: gap, n)."""
    hist = hist.sort_values("gap")
    need = math.ceil(q * hist["n"].sum() - 1e-9)
    return max(1, int(hist.loc[hist["n"].cumsum() >= need, "gap"].iloc[0]))


def purchase_thresholds(src: Sources, churn: ChurnSettings, as_of: date) -> Thresholds:
    """Non-contractual churn threshold(s) as of ``as_of``.

    With ``threshold_days = "auto"`` the threshold of a segment is the nearest-rank
    ``auto_percentile`` of the gaps (days) between consecutive purchase days of the segment's
    non-contractual customers, purchases up to ``as_of`` only. The engine returns a histogram
    of gaps per segment (small), so the percentile is exact and identical on every engine.
    A segment without gaps gets the percentile over all segments.
    """
    if churn.threshold_days != "auto":
        return Thresholds("fixed", int(churn.threshold_days))
    days = _purchase_days(src, as_of)
    w = ibis.window(group_by="customer_id", order_by="day")
    gaps = days.mutate(prev=days.day.lag().over(w))
    gaps = gaps.filter(gaps.prev.notnull()).mutate(gap=gaps.day.delta(gaps.prev, unit="day"))
    cust = src.customers.select("customer_id", "segment")
    gaps = gaps.left_join(cust, "customer_id").select("segment", "gap")
    hist = gaps.group_by(["segment", "gap"]).aggregate(n=gaps.count()).to_pandas()
    segments = src.customers.select("segment").distinct().to_pandas()["segment"]
    if hist.empty:
        # nobody has bought twice yet: no gaps to take a percentile of
        return Thresholds("fallback", int(churn.auto_fallback_days))
    hist["segment"] = hist["segment"].astype(object).where(hist["segment"].notna(), None)
    overall = _nearest_rank(hist.groupby("gap", as_index=False)["n"].sum(), churn.auto_percentile)
    by_segment: dict[str | None, int] = {}
    counts: dict[str | None, int] = {}
    for seg in {*(None if pd.isna(s) else s for s in segments), *hist["segment"]}:
        part = hist[hist["segment"].isna()] if seg is None else hist[hist["segment"] == seg]
        counts[seg] = int(part["n"].sum())
        by_segment[seg] = _nearest_rank(part, churn.auto_percentile) if len(part) else overall
    return Thresholds("auto", overall, by_segment, counts, churn.auto_percentile)


def _threshold_expr(thresholds: Thresholds, segment: ir.StringValue | None) -> ir.IntegerValue:
    if thresholds.mode == "fixed" or segment is None:
        return ibis.literal(thresholds.default, "int64")
    branches = [
        (segment.isnull() if s is None else segment == s, ibis.literal(d, "int64"))
        for s, d in thresholds.by_segment.items()
    ]
    return ibis.cases(*branches, else_=ibis.literal(thresholds.default, "int64"))


def _plus_threshold(day: ir.DateValue, thresholds: Thresholds, segment: ir.StringValue | None) -> ir.DateValue:
    # a CASE over literal intervals: adding an integer column as days is not portable
    if thresholds.mode == "fixed" or segment is None:
        return day + ibis.interval(days=thresholds.default)
    branches = [
        (segment.isnull() if s is None else segment == s, day + ibis.interval(days=d))
        for s, d in thresholds.by_segment.items()
    ]
    return ibis.cases(*branches, else_=day + ibis.interval(days=thresholds.default))


def noncontractual_spells(src: Sources, thresholds: Thresholds, as_of: date) -> ir.Table:
    """Spells of non-contractual customers (see the module docstring)."""
    days = _purchase_days(src, as_of)
    segment = None
    if thresholds.mode == "auto":
        days = days.left_join(src.customers.select("customer_id", "segment"), "customer_id").select(
            "customer_id", "day", "segment"
        )
        segment = days.segment
    days = days.mutate(thr=_threshold_expr(thresholds, segment))
    w = ibis.window(group_by="customer_id", order_by="day")
    days = days.mutate(prev=days.day.lag().over(w))
    new = ibis.ifelse(days.prev.isnull() | (days.day.delta(days.prev, unit="day") > days.thr), 1, 0)
    days = days.mutate(new=new)
    cum = ibis.window(group_by="customer_id", order_by="day", rows=(None, 0))
    days = days.mutate(spell_no=days.new.sum().over(cum).cast("int64"))
    keys = ["customer_id", "spell_no"] + (["segment"] if segment is not None else [])
    spells = days.group_by(keys).aggregate(active_from=days.day.min(), last=days.day.max())
    lost = _plus_threshold(spells.last, thresholds, spells.segment if segment is not None else None)
    spells = spells.mutate(lost=lost)
    return spells.select(
        "customer_id",
        relationship=ibis.literal(NON_CONTRACTUAL),
        spell_no="spell_no",
        active_from="active_from",
        lost_at=ibis.ifelse(spells.lost <= as_of, spells.lost, ibis.null("date")),
    )


def effective_contracts(src: Sources, as_of: date) -> ir.Table:
    """Contracts started by ``as_of`` with ``eff_end``: the end, or the known earlier cancellation."""
    c = src.contracts.filter(src.contracts.start_at <= as_of)
    cancelled = c.cancelled_at.notnull() & (c.cancelled_at <= as_of) & (c.cancelled_at < c.end_at)
    c = c.mutate(eff_end=ibis.ifelse(cancelled, c.cancelled_at, c.end_at))
    return c.filter(c.eff_end >= c.start_at)


def contractual_spells(src: Sources, grace_days: int, as_of: date) -> ir.Table:
    """Spells of contractual customers (see the module docstring)."""
    c = effective_contracts(src, as_of)
    before = ibis.window(group_by="customer_id", order_by=["start_at", "contract_id"], rows=(None, -1))
    c = c.mutate(covered_until=c.eff_end.max().over(before))
    # end_at is the last day covered (a year runs 2024-01-01 … 2024-12-31), so a renewal that
    # starts the next day continues the relationship; grace_days allow a longer gap
    grace = ibis.interval(days=grace_days)
    bridge = ibis.interval(days=grace_days + 1)
    c = c.mutate(new=ibis.ifelse(c.covered_until.isnull() | (c.start_at > c.covered_until + bridge), 1, 0))
    cum = ibis.window(group_by="customer_id", order_by=["start_at", "contract_id"], rows=(None, 0))
    c = c.mutate(spell_no=c.new.sum().over(cum).cast("int64"))
    spells = c.group_by(["customer_id", "spell_no"]).aggregate(
        active_from=c.start_at.min(), end=c.eff_end.max()
    )
    return spells.select(
        "customer_id",
        relationship=ibis.literal(CONTRACTUAL),
        spell_no="spell_no",
        active_from="active_from",
        # the loss is known once the last day a renewal could start (end + 1 + grace) has passed
        lost_at=ibis.ifelse(spells.end + grace < as_of, spells.end, ibis.null("date")),
    )


def customer_spells(src: Sources, churn: ChurnSettings, as_of: date,
                    thresholds: Thresholds | None = None) -> ir.Table:
    """All spells as of ``as_of``: ``customer_id, relationship, spell_no, active_from, lost_at``.

    Parameters
    ----------
    src : Sources
        The tables to read.
    churn : ChurnSettings
        ``threshold_days`` / ``auto_percentile`` (non-contractual), ``grace_days`` (contractual).
    as_of : date
        Nothing dated later is read; losses not yet known by then leave ``lost_at`` NULL.
    thresholds : Thresholds, optional
        Precomputed :func:`purchase_thresholds` (computed here when omitted).

    Examples
    --------
    >>> spells = customer_spells(src, settings.churn, date(2024, 12, 31))  # doctest: +SKIP
    >>> spells.filter(spells.spell_no > 1).count().execute()  # reactivations  # doctest: +SKIP
    """
    thresholds = thresholds or purchase_thresholds(src, churn, as_of)
    return noncontractual_spells(src, thresholds, as_of).union(
        contractual_spells(src, churn.grace_days, as_of)
    )


def with_group(spells: ir.Table, src: Sources, by: str | None) -> ir.Table:
    """``spells`` with a ``grp`` column: the customer's ``by`` attribute (a constant when None)."""
    if by is None:
        return spells.mutate(grp=ibis.literal("all"))
    if by == "relationship":
        return spells.mutate(grp=spells.relationship)
    cust = src.customers.select("customer_id", grp=src.customers[by])
    return spells.left_join(cust, "customer_id").select(*SPELL_COLUMNS, "grp")
