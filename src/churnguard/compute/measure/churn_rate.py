"""Churn rate per calendar period, by customer count, value or recurring value.

For a period ``[period_start, period_end]``:

- ``customers_at_start``: customers acquired (or reactivated) before ``period_start`` and not
  lost before it;
- ``customers_lost``: of those, the ones lost during the period (a customer acquired during
  the period is neither in the denominator nor in the numerator);
- ``customers_acquired``: first spells starting in the period; ``reactivated``: later spells
  starting in it (a lost customer buying again is a reactivation, not an un-churn);
- ``customers_at_end``: customers active after the period's last day;
- ``churn_rate = customers_lost / customers_at_start`` (None when nobody was active at the
  start). With a value basis: ``value_lost / value_at_start``, where ``value_at_start`` sums
  the customers' value on ``period_start`` (see :mod:`~churnguard.compute.measure.value`) and
  ``value_lost`` the value of those lost during the period.

The engine only returns counts per (group, period); the running totals are summed here.
"""

from __future__ import annotations

from datetime import date

import ibis
import pandas as pd

from churnguard.compute.measure.periods import memtable, period_index, period_index_expr, periods_frame
from churnguard.compute.measure.status import (
    CONTRACTUAL,
    Thresholds,
    check_group,
    customer_spells,
    purchase_thresholds,
    with_group,
)
from churnguard.compute.measure.value import value_on
from churnguard.errors import InputError
from churnguard.settings import ChurnSettings
from churnguard.store.records import Records

COUNT_COLUMNS = ("customers_at_start", "customers_lost", "customers_acquired", "reactivated", "customers_at_end")


def _rate(num: pd.Series, den: pd.Series) -> pd.Series:
    out = num.astype(float) / den.where(den != 0).astype(float)
    return out.astype(object).where(out.notna(), None)


def spell_flows(src: Records, churn: ChurnSettings, *, as_of: date, period: str, by: str | None,
                contractual_only: bool = False, thresholds: Thresholds | None = None):
    """The spells with group and period indexes, and their per-(group, period) flows.

    Returns ``(spells, starts, losts)``: the Ibis spells table (with ``grp``, ``ks``, ``kl``)
    and two small pandas frames of counts per group and period of start / of loss.
    """
    spells = customer_spells(src, churn, as_of, thresholds)
    if contractual_only:
        spells = spells.filter(spells.relationship == CONTRACTUAL)
    g = with_group(spells, src, by)
    g = g.mutate(ks=period_index_expr(g.active_from, period), kl=period_index_expr(g.lost_at, period))
    one = ibis.literal(1, "int64")
    zero = ibis.literal(0, "int64")
    # one query: a start event per spell and a loss event per lost spell, summed per period
    begin = g.select(
        "grp", k=g.ks, starts=one,
        acquired=ibis.ifelse(g.spell_no == 1, one, zero),
        reactivated=ibis.ifelse(g.spell_no > 1, one, zero),
        losts=zero, lost_from_start=zero,
    )
    lost = g.filter(g.lost_at.notnull())
    end = lost.select(
        "grp", k=lost.kl, starts=zero, acquired=zero, reactivated=zero,
        losts=one, lost_from_start=ibis.ifelse(lost.ks < lost.kl, one, zero),
    )
    events = begin.union(end)
    flows = events.group_by(["grp", "k"]).aggregate(
        **{c: events[c].sum() for c in ("starts", "acquired", "reactivated", "losts", "lost_from_start")}
    ).to_pandas()
    starts = flows[flows["starts"] > 0].rename(columns={"k": "ks"})
    losts = flows[flows["losts"] > 0].rename(columns={"k": "kl"})
    return g, starts, losts


def _grid(starts: pd.DataFrame, losts: pd.DataFrame, k_first: int, k_last: int) -> pd.DataFrame:
    """Per group and period k_first..k_last: the counts of the module docstring."""
    groups = pd.concat([starts["grp"], losts["grp"]]).astype(object)
    groups = list(dict.fromkeys(None if pd.isna(x) else x for x in groups)) or ["all"]
    k_min = min([k_first, *starts["ks"].tolist(), *losts["kl"].tolist()])
    out = []
    for grp in groups:
        s = starts[starts["grp"].isna()] if grp is None else starts[starts["grp"] == grp]
        lo = losts[losts["grp"].isna()] if grp is None else losts[losts["grp"] == grp]
        ks = range(k_min, k_last + 1)
        f = pd.DataFrame(index=pd.Index(ks, name="k"))
        f["starts"] = s.groupby("ks")[["starts"]].sum().reindex(ks, fill_value=0)["starts"]
        f["customers_acquired"] = s.groupby("ks")["acquired"].sum().reindex(ks, fill_value=0)
        f["reactivated"] = s.groupby("ks")["reactivated"].sum().reindex(ks, fill_value=0)
        f["losts"] = lo.groupby("kl")["losts"].sum().reindex(ks, fill_value=0)
        f["customers_lost"] = lo.groupby("kl")["lost_from_start"].sum().reindex(ks, fill_value=0)
        f = f.fillna(0).astype("int64")
        f["customers_at_end"] = (f["starts"] - f["losts"]).cumsum()
        f["customers_at_start"] = f["customers_at_end"].shift(1, fill_value=0)
        f = f.loc[k_first:k_last].reset_index()
        f.insert(0, "grp", grp)
        out.append(f)
    return pd.concat(out, ignore_index=True)


def churn_rate(src: Records, churn: ChurnSettings, *, as_of: date, period: str = "quarter",
               basis: str = "customers", by: str | None = None, start: date | None = None,
               value_window_days: int | None = None, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Churn rate per period from the period holding ``start`` to the one holding ``as_of``.

    Parameters
    ----------
    src : Records
        The tables to read.
    churn : ChurnSettings
        The churn definition (threshold, grace period, value window).
    as_of : date
        The last day read; the last period ends here (``complete`` False when cut short).
    period : {"month", "quarter", "year"}
    basis : {"customers", "value", "recurring"}
        ``recurring`` counts contractual customers only.
    by : str, optional
        A customer column (:data:`~churnguard.compute.measure.status.GROUP_COLUMNS`).
    start : date, optional
        First day of interest; default: the first acquisition.

    Returns
    -------
    pandas.DataFrame
        One row per (group, period): ``[by,] period_start, period_end, complete,
        customers_at_start, customers_lost, customers_acquired, reactivated,
        customers_at_end, churn_rate`` and with a value basis ``value_at_start, value_lost``.

    Examples
    --------
    >>> churn_rate(src, settings.churn, as_of=date(2024, 12, 31), period="quarter")  # doctest: +SKIP
    """
    if basis not in ("customers", "value", "recurring"):
        raise InputError(f"--basis: {basis!r} is not one of: customers, value, recurring")
    check_group(by)
    if start is not None and start > as_of:
        raise InputError(f"--from {start} is after --to {as_of}")
    thresholds = thresholds or purchase_thresholds(src, churn, as_of)
    g, starts, losts = spell_flows(
        src, churn, as_of=as_of, period=period, by=by,
        contractual_only=basis == "recurring", thresholds=thresholds,
    )
    k_last = period_index(as_of, period)
    if start is not None:
        k_first = period_index(start, period)
    elif len(starts):
        k_first = int(starts["ks"].min())
    else:
        k_first = k_last
    grid = _grid(starts, losts, k_first, k_last)
    periods = periods_frame(k_first, k_last, period, as_of)
    frame = grid.merge(periods, on="k")
    cols = ["grp", "k", "period_start", "period_end", "complete", *COUNT_COLUMNS]
    frame = frame[cols]
    if basis == "customers":
        frame["churn_rate"] = _rate(frame["customers_lost"], frame["customers_at_start"])
    else:
        values = _values_at_start(
            g, src, periods, as_of, value_window_days or churn.value_window_days, basis == "recurring"
        )
        frame = frame.merge(values, on=["grp", "k"], how="left")
        for c in ("value_at_start", "value_lost"):
            frame[c] = frame[c].fillna(0.0).astype(float)
        frame["churn_rate"] = _rate(frame["value_lost"], frame["value_at_start"])
    frame = frame.sort_values(["grp", "k"], key=lambda s: s.astype(str) if s.name == "grp" else s)
    frame = frame.drop(columns="k").rename(columns={"grp": by} if by else {})
    if not by:
        frame = frame.drop(columns="grp")
    return frame.reset_index(drop=True)


def _values_at_start(g, src: Records, periods: pd.DataFrame, as_of: date, window: int,
                     recurring_only: bool) -> pd.DataFrame:
    p = memtable(periods, {"k": "int64", "period_start": "date", "period_end": "date"})
    base = g.join(p, [g.active_from < p.period_start, g.lost_at.isnull() | (g.lost_at >= p.period_start)])
    base = base.select("customer_id", "grp", "k", "period_start", "period_end", "lost_at")
    vals = value_on(src, list(periods["period_start"]), as_of, value_window_days=window,
                    recurring_only=recurring_only)
    j = base.left_join(vals, [base.customer_id == vals.customer_id, base.period_start == vals["at"]])
    v = j.value.fill_null(0.0)
    lost = j.lost_at.notnull() & (j.lost_at <= j.period_end)
    out = j.group_by(["grp", "k"]).aggregate(
        value_at_start=v.sum(), value_lost=ibis.ifelse(lost, v, 0.0).sum()
    )
    frame = out.to_pandas()
    frame["grp"] = frame["grp"].astype(object).where(frame["grp"].notna(), None)
    return frame
