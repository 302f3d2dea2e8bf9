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
    The threshold is ``threshold_days``, or with ``auto`` the one learned from the segment's
    return curve (see :func:`purchase_thresholds`).

Nothing dated after the as-of date is read.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnguard.errors import InputError
from churnguard.settings import ChurnSettings
from churnguard.store.engine import Store
from churnguard.store.records import Records
from churnguard.store.snapshots import snapshot_dates, snapshot_table, write_snapshot

SPELL_COLUMNS = ("customer_id", "relationship", "spell_no", "active_from", "lost_at")
CONTRACTUAL = "contractual"
NON_CONTRACTUAL = "non_contractual"
NO_SEGMENT = "(no segment)"


#: the gaps (days) at which the return curve is read: weekly to 12 weeks, fortnightly to a
#: year, monthly to two years; the threshold chosen is one of them
CURVE_GAPS: tuple[int, ...] = (
    *range(7, 85, 7), *range(90, 361, 15), *range(390, 721, 30),
)
#: a point of the curve is trusted only when this many customers are still followed at the end
#: of the return window (a Kaplan–Meier tail on fewer is noise)
MIN_OBSERVED = 30
OVERALL = "(overall)"


@dataclass(frozen=True)
class Thresholds:
    """The non-contractual churn threshold(s) in days.

    Attributes
    ----------
    mode : str
        ``fixed`` (one number for everybody: ``churn.threshold_days``), ``auto`` (per segment,
        from the return curve) or ``fallback`` (``auto`` asked, but the history is too short
        for a return curve: one number for everybody, see :func:`purchase_thresholds`).
    default : int
        The fixed threshold, or with ``auto`` the overall one (customers without a segment, and
        segments too small for a curve of their own).
    by_segment : dict
        With ``auto``: segment (None for customers without one) -> threshold days.
    sources : dict
        With ``auto``: segment -> where its threshold comes from (``curve``, ``overall``,
        ``setting``, ``fallback``).
    customers : dict
        With ``auto``: segment -> number of non-contractual customers with a purchase.
    curves : dict
        With ``auto`` or ``fallback``: segment (:data:`OVERALL` for all) -> the return curve as
        rows ``{gap_days, customers_reached, customers_observed, return_share, judged}``.
    origin : str
        Where the thresholds were taken from: ``computed`` as of ``as_of``, or ``stored`` with
        a run (see :mod:`churnguard.store.snapshots`).
    """

    mode: str
    default: int
    by_segment: dict[str | None, int] = field(default_factory=dict)
    sources: dict[str | None, str] = field(default_factory=dict)
    customers: dict[str | None, int] = field(default_factory=dict)
    curves: dict[str, list[dict]] = field(default_factory=dict, repr=False, compare=False)
    return_share: float | None = None
    return_window_days: int | None = None
    fallback_rule: str | None = None
    as_of: date | None = None
    origin: str = "computed"

    def describe(self) -> dict:
        """The thresholds as reported in a result's ``definition``."""
        where = f" as of {self.as_of}" if self.as_of else ""
        stored = " (stored with the last 'churnguard run'; --rethreshold recomputes)" if self.origin == "stored" else ""
        if self.mode == "fixed":
            return {"threshold_days": self.default, "threshold_source": "fixed (setting churn.threshold_days)"}
        if self.mode == "fallback":
            # threshold_days echoes the setting ('auto'); the number in force is threshold_overall_days
            out = {"threshold_days": "auto", "threshold_overall_days": self.default, "threshold_origin": self.origin,
                   "threshold_source": f"auto, but too little history for a return curve{where} (return window "
                                       f"{self.return_window_days} days): {self.fallback_rule}{stored}"}
            if self.by_segment:  # segments with a number of their own (churn.threshold_by_segment)
                out["thresholds_by_segment"] = [
                    {"segment": s, "threshold_days": d, "source": "setting", "customers": None}
                    for s, d in sorted(self.by_segment.items(), key=lambda kv: str(kv[0]))]
            return out
        return {
            "threshold_days": "auto",
            "threshold_origin": self.origin,
            "threshold_source": (
                f"auto{where}: per segment, the shortest gap after which at most {self.return_share:.0%} of the "
                f"customers once inactive that long bought again within {self.return_window_days} days "
                f"(return curve, Kaplan–Meier){stored}"
            ),
            "return_share": self.return_share,
            "return_window_days": self.return_window_days,
            "threshold_overall_days": self.default,
            "thresholds_by_segment": [
                {"segment": NO_SEGMENT if s is None else s, "threshold_days": d,
                 "source": self.sources.get(s, "curve"), "customers": self.customers.get(s, 0)}
                for s, d in sorted(self.by_segment.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
            ],
        }

    def to_dict(self) -> dict:
        """Everything needed to apply these thresholds again (stored with a run)."""
        def key(s):
            return NO_SEGMENT if s is None else s
        return {
            "mode": self.mode, "default": self.default,
            "by_segment": {key(s): d for s, d in self.by_segment.items()},
            "sources": {key(s): v for s, v in self.sources.items()},
            "customers": {key(s): v for s, v in self.customers.items()},
            "return_share": self.return_share, "return_window_days": self.return_window_days,
            "fallback_rule": self.fallback_rule, "as_of": self.as_of.isoformat() if self.as_of else None,
        }

    @classmethod
    def from_dict(cls, d: dict, origin: str = "stored") -> Thresholds:
        """The inverse of :meth:`to_dict`."""
        def key(s):
            return None if s == NO_SEGMENT else s
        return cls(
            mode=d["mode"], default=int(d["default"]),
            by_segment={key(s): int(v) for s, v in d.get("by_segment", {}).items()},
            sources={key(s): v for s, v in d.get("sources", {}).items()},
            customers={key(s): int(v) for s, v in d.get("customers", {}).items()},
            return_share=d.get("return_share"), return_window_days=d.get("return_window_days"),
            fallback_rule=d.get("fallback_rule"),
            as_of=date.fromisoformat(d["as_of"]) if d.get("as_of") else None, origin=origin,
        )


def _purchase_days(src: Records, as_of: date) -> ir.Table:
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


def _gap_percentile(days: ir.Table, q: float) -> int | None:
    """The nearest-rank ``q`` percentile of all gaps between purchase days (None without gaps)."""
    w = ibis.window(group_by="customer_id", order_by="day")
    gaps = days.mutate(prev=days.day.lag().over(w))
    gaps = gaps.filter(gaps.prev.notnull()).mutate(gap=gaps.day.delta(gaps.prev, unit="day"))
    hist = gaps.group_by("gap").aggregate(n=gaps.count()).to_pandas()
    return None if hist.empty else _nearest_rank(hist, q)


def return_events(src: Records, as_of: date, window_days: int, gaps: tuple[int, ...] = CURVE_GAPS) -> pd.DataFrame:
    """Per segment, a histogram of the gaps that can be a customer's first crossing of a curve gap.

    For a gap ``g``, a customer *reaches* it the first time ``g`` days pass without a purchase
    (a purchase on day ``g`` itself keeps it, as in the churn definition): at the first gap
    between purchase days longer than ``g``, or, when none, in the open gap since the last
    purchase if that has lasted ``g`` days by ``as_of``. Its *time to return* is the rest of that
    gap, ``dur - g`` (an event), or, in the open gap, the days left until ``as_of`` (censored).
    Only a customer's first crossing counts, so every customer counts once per gap: a gap is
    the first crossing of ``g`` exactly when every earlier gap of the customer is at most ``g``
    (``lo``, the longest earlier gap, ``<= g``).

    The engine returns counts per ``(segment, k, dur, event, first)``: ``k`` the index in
    ``gaps`` of the smallest curve gap ``>= lo`` (the row serves the curve gaps from index ``k``
    on; ``len(gaps)`` for none), ``first`` 1 on each customer's first gap (so the rows with
    ``first = 1`` count the customers), ``dur``
    the gap's length in days, capped where no curve gap can see a return within
    ``window_days`` any more (``max(gaps) + window_days + 1``; such a row is censored). The table
    is small (at most segments × len(gaps) × cap × 2 rows) and needs no join.
    """
    days = _purchase_days(src, as_of)
    w = ibis.window(group_by="customer_id", order_by="day")
    days = days.mutate(nxt=days.day.lead().over(w))
    days = days.mutate(gap=days.nxt.delta(days.day, unit="day"),
                       open=ibis.literal(as_of, "date").delta(days.day, unit="day"))
    before = ibis.window(group_by="customer_id", order_by="day", rows=(None, -1))
    days = days.mutate(lo=days.gap.max().over(before).fill_null(0))
    finite = days.gap.notnull()
    dur = ibis.ifelse(finite, days.gap, days.open)
    # only "record" gaps (longer than every earlier one, or an open gap at least as long) are
    # the first crossing of some curve gap
    rec = days.filter(ibis.ifelse(finite, days.gap > days.lo, days.open >= days.lo))
    cap = max(gaps) + int(window_days) + 1
    k = ibis.cases(*[(rec.lo <= g, i) for i, g in enumerate(gaps)], else_=len(gaps))
    dur = ibis.ifelse(finite, rec.gap, rec.open)
    # first = 1 on each customer's first record (no earlier gap): counts the customers
    rec = rec.mutate(k=k.cast("int64"), dur=ibis.least(dur, cap).cast("int64"),
                     event=ibis.ifelse(finite & (dur < cap), 1, 0).cast("int64"),
                     first=ibis.ifelse(rec.lo == 0, 1, 0).cast("int64"))
    cust = src.customers.select("customer_id", "segment")
    rec = rec.left_join(cust, "customer_id").select("segment", "k", "dur", "event", "first")
    out = rec.group_by(["segment", "k", "dur", "event", "first"]).aggregate(n=rec.count()).to_pandas()
    out["segment"] = out["segment"].astype(object).where(out["segment"].notna(), None)
    out = out.astype({"k": "int64", "dur": "int64", "event": "int64", "first": "int64", "n": "int64"})
    out.attrs["gaps"] = tuple(gaps)
    out.attrs["cap"] = cap
    return out


def return_curve(events: pd.DataFrame, window_days: int, gaps: tuple[int, ...] | None = None) -> pd.DataFrame:
    """The return curve from :func:`return_events` rows of one group (summed over segments).

    Per gap ``g``: ``customers_reached`` (customers once inactive for ``g`` days),
    ``customers_observed`` (of them, followed for the whole return window without buying:
    those who could still have shown a return), and ``return_share``, the Kaplan–Meier
    estimate of the share who bought again within ``window_days`` of reaching ``g``: customers
    reached too recently to be followed that long count while they are observed (censored),
    as in a survival analysis. ``judged`` is True when at least :data:`MIN_OBSERVED` customers
    were followed to the end of the window.
    """
    gaps = tuple(gaps or events.attrs.get("gaps") or CURVE_GAPS)
    cap = int(events.attrs.get("cap") or max(gaps) + window_days + 1)
    cols = ["gap_days", "customers_reached", "customers_observed", "return_share", "judged"]
    if events.empty:
        return pd.DataFrame(columns=cols)
    # a dense histogram [k, dur, event]; rows serve every curve gap from their k on
    events = events[events["k"] < len(gaps)]
    h = np.zeros((len(gaps), cap + 1, 2), dtype=np.int64)
    np.add.at(h, (events["k"].to_numpy(), events["dur"].to_numpy(), events["event"].to_numpy()), events["n"].to_numpy())
    h = h.cumsum(axis=0)
    rows = []
    for i, g in enumerate(gaps):
        ev, ce = h[i, :, 1], h[i, :, 0]
        # reached: a return at dur > g, or an open gap of at least g
        reached = int(ev[g + 1:].sum() + ce[g:].sum())
        if reached == 0:
            continue
        t_hi = min(g + window_days, cap)
        # at risk at time t (dur = g + t): every row with dur >= g + t
        tail = (ev + ce)[::-1].cumsum()[::-1]
        at_risk = tail[g + 1:t_hi + 1].astype(float)
        d = ev[g + 1:t_hi + 1].astype(float)
        ok = at_risk > 0
        surv = float(np.prod(1.0 - d[ok] / at_risk[ok])) if ok.any() else 1.0
        observed = int(tail[g + window_days] - ev[g + window_days]) if g + window_days <= cap else 0
        rows.append({"gap_days": int(g), "customers_reached": reached, "customers_observed": observed,
                     "return_share": round(1.0 - surv, 6), "judged": observed >= MIN_OBSERVED})
    return pd.DataFrame(rows, columns=cols)


def return_window(src: Records, churn: ChurnSettings, as_of: date) -> int:
    """The return window in days: ``churn.return_window_days``, or with ``auto`` a year, or a
    third of the purchase history up to ``as_of`` when that is shorter (at least 7 days).

    A return can only be seen where the data run on for the window after a customer reached
    the gap: with a year's window a one-year log could judge no gap at all, and a third of the
    history leaves the other two thirds for the gaps themselves.
    """
    if churn.return_window_days != "auto":
        return int(churn.return_window_days)
    tx = src.transactions
    first = tx.filter(tx.occurred_at <= as_of, tx.amount > 0).occurred_at.min().to_pandas()
    if first is None or pd.isna(first):
        return 365
    span = (as_of - pd.Timestamp(first).date()).days
    return int(max(7, min(365, span // 3)))


def _choose(curve: pd.DataFrame, share: float) -> int | None:
    """The smallest judged gap whose return share is at most ``share`` (None when none is)."""
    ok = curve[curve["judged"] & (curve["return_share"] <= share + 1e-12)]
    return None if ok.empty else int(ok["gap_days"].min())


def purchase_thresholds(src: Records, churn: ChurnSettings, as_of: date) -> Thresholds:
    """Non-contractual churn threshold(s) as of ``as_of``.

    With ``threshold_days = "auto"`` each segment's threshold is read from its *return curve*
    (:func:`return_curve`): the smallest gap in :data:`CURVE_GAPS` after which at most
    ``churn.return_share`` of the customers who were once inactive that long bought again
    within ``churn.return_window_days``. Customers without a segment, and segments with fewer
    than ``churn.threshold_min_customers`` non-contractual customers (or whose own curve never
    gets that low), use the overall curve; ``churn.threshold_by_segment`` overrides named
    segments. When even the overall curve cannot be judged (too little history, or returns
    never rare enough within the data), the threshold is the ``auto_percentile`` of all gaps
    between purchases, but at least ``auto_fallback_days`` (mode ``fallback``).
    Purchases up to ``as_of`` only; the engine returns small per-gap counts, so the result is
    identical on every engine.
    """
    if churn.threshold_days != "auto":
        return Thresholds("fixed", int(churn.threshold_days))
    window = return_window(src, churn, as_of)
    events = return_events(src, as_of, window)
    overall = return_curve(events, window)
    curves = {OVERALL: overall.to_dict("records")}
    g_all = _choose(overall, churn.return_share) if not overall.empty else None
    if g_all is None:
        pct = _gap_percentile(_purchase_days(src, as_of), churn.auto_percentile)
        days = max(int(churn.auto_fallback_days), pct or 0)
        rule = (f"the {churn.auto_percentile:.0%} percentile of the gaps between purchases ({pct} days), "
                f"but at least churn.auto_fallback_days ({churn.auto_fallback_days})" if pct else
                f"churn.auto_fallback_days ({churn.auto_fallback_days}): nobody has bought twice yet")
        # a number per segment still overrides; every other customer gets the fallback
        over = {seg: int(d) for seg, d in churn.threshold_by_segment.items()}
        return Thresholds("fallback", days, over, dict.fromkeys(over, "setting"), curves=curves,
                          fallback_rule=rule, as_of=as_of, return_share=churn.return_share,
                          return_window_days=window)
    firsts = events[events["first"] == 1]
    size: dict[str | None, int] = {}
    for seg, n in zip(firsts["segment"], firsts["n"], strict=True):
        size[seg] = size.get(seg, 0) + int(n)
    segments = src.customers.select("segment").distinct().to_pandas()["segment"]
    by_segment: dict[str | None, int] = {}
    sources: dict[str | None, str] = {}
    for seg in {*(None if pd.isna(x) else x for x in segments), *size}:
        if seg is not None and seg in churn.threshold_by_segment:
            by_segment[seg], sources[seg] = int(churn.threshold_by_segment[seg]), "setting"
            continue
        if seg is None or size.get(seg, 0) < churn.threshold_min_customers:
            by_segment[seg], sources[seg] = g_all, "overall"
            continue
        curve = return_curve(events[events["segment"] == seg], window)
        curves[seg] = curve.to_dict("records")
        g = _choose(curve, churn.return_share)
        by_segment[seg], sources[seg] = (g, "curve") if g is not None else (g_all, "overall")
    for seg, d in churn.threshold_by_segment.items():  # a named segment without customers yet
        by_segment.setdefault(seg, int(d))
        sources.setdefault(seg, "setting")
    return Thresholds("auto", g_all, by_segment, sources, {s: size.get(s, 0) for s in by_segment}, curves,
                      churn.return_share, window, as_of=as_of)


def _threshold_expr(thresholds: Thresholds, segment: ir.StringValue | None) -> ir.IntegerValue:
    if not thresholds.by_segment or segment is None:
        return ibis.literal(thresholds.default, "int64")
    branches = [
        (segment.isnull() if s is None else segment == s, ibis.literal(d, "int64"))
        for s, d in thresholds.by_segment.items()
    ]
    return ibis.cases(*branches, else_=ibis.literal(thresholds.default, "int64"))


def _plus_threshold(day: ir.DateValue, thresholds: Thresholds, segment: ir.StringValue | None) -> ir.DateValue:
    # a CASE over literal intervals: adding an integer column as days is not portable
    if not thresholds.by_segment or segment is None:
        return day + ibis.interval(days=thresholds.default)
    branches = [
        (segment.isnull() if s is None else segment == s, day + ibis.interval(days=d))
        for s, d in thresholds.by_segment.items()
    ]
    return ibis.cases(*branches, else_=day + ibis.interval(days=thresholds.default))


def noncontractual_spells(src: Records, thresholds: Thresholds, as_of: date) -> ir.Table:
    """Spells of non-contractual customers (see the module docstring)."""
    days = _purchase_days(src, as_of)
    segment = None
    if thresholds.by_segment:  # per segment ('auto', or a fallback with numbers per segment)
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


def effective_contracts(src: Records, as_of: date) -> ir.Table:
    """Contracts started by ``as_of`` with ``eff_end``: the end, or the known earlier cancellation."""
    c = src.contracts.filter(src.contracts.start_at <= as_of)
    cancelled = c.cancelled_at.notnull() & (c.cancelled_at <= as_of) & (c.cancelled_at < c.end_at)
    c = c.mutate(eff_end=ibis.ifelse(cancelled, c.cancelled_at, c.end_at))
    return c.filter(c.eff_end >= c.start_at)


def contractual_spells(src: Records, grace_days: int, as_of: date) -> ir.Table:
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


def customer_spells(src: Records, churn: ChurnSettings, as_of: date,
                    thresholds: Thresholds | None = None) -> ir.Table:
    """All spells as of ``as_of``: ``customer_id, relationship, spell_no, active_from, lost_at``.

    Parameters
    ----------
    src : Records
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


#: customer columns that ``--by`` accepts; ``relationship`` is derived (contractual or not)
GROUP_COLUMNS = ("segment", "region", "customer_type", "csm", "relationship")


def check_group(by: str | None) -> str | None:
    """Return ``by`` when it is a column ``--by`` accepts; else an error listing them."""
    if by is not None and by not in GROUP_COLUMNS:
        raise InputError(f"--by: unknown column {by!r}; allowed: {', '.join(GROUP_COLUMNS)}")
    return by


def with_group(spells: ir.Table, src: Records, by: str | None) -> ir.Table:
    """``spells`` with a ``grp`` column: the customer's ``by`` attribute (a constant when None)."""
    if by is None:
        return spells.mutate(grp=ibis.literal("all"))
    if by == "relationship":
        return spells.mutate(grp=spells.relationship)
    cust = src.customers.select("customer_id", grp=src.customers[by])
    return spells.left_join(cust, "customer_id").select(*SPELL_COLUMNS, "grp")


# -- the thresholds in force, stored with each run ------------------------------------------
THRESHOLD_SNAPSHOT = "thresholds"


def _settings_key(churn: ChurnSettings) -> str:
    """The settings a stored threshold was learned with (a change of them means learn again)."""
    return json.dumps({k: getattr(churn, k) for k in (
        "threshold_days", "return_share", "return_window_days", "threshold_min_customers",
        "threshold_by_segment", "auto_percentile", "auto_fallback_days")}, sort_keys=True)


def store_thresholds(store: Store, thresholds: Thresholds, churn: ChurnSettings, as_of: date) -> None:
    """Keep ``thresholds`` (learned as of ``as_of``) as the ones in force from ``as_of`` on.

    ``churnguard run`` calls this, so a past period's churn rate is judged with the threshold
    of the run that covered it and does not move when later imports move the return curve.
    """
    if thresholds.mode == "fixed":
        return
    frame = pd.DataFrame({"definition": [json.dumps(thresholds.to_dict(), sort_keys=True)],
                          "settings": [_settings_key(churn)]})
    write_snapshot(store, THRESHOLD_SNAPSHOT, as_of, frame)


def stored_thresholds(store: Store, churn: ChurnSettings, as_of: date) -> Thresholds | None:
    """The thresholds of the latest run dated on or before ``as_of`` learned with today's settings.

    None when there is no such run (nothing learned after ``as_of`` is ever used) or when
    ``threshold_days`` is a number (the number wins).
    """
    if churn.threshold_days != "auto":
        return None
    dates = [d for d in snapshot_dates(store, THRESHOLD_SNAPSHOT) if d <= as_of]
    if not dates:
        return None
    t = store.table(snapshot_table(THRESHOLD_SNAPSHOT))
    rows = t.filter(t.as_of == max(dates)).to_pandas()
    if rows.empty or rows["settings"].iloc[0] != _settings_key(churn):
        return None
    return Thresholds.from_dict(json.loads(rows["definition"].iloc[0]), origin="stored")
