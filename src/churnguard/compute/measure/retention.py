"""Gross and net revenue retention (GRR, NRR) per period, with expansion and contraction.

For the customers active at a period's start (its *start base*; customers acquired or
reactivated during the period are left out), with ``V0`` a customer's value on
``period_start`` and ``V1`` its value on the day after ``period_end`` (see
:mod:`~churnguard.compute.measure.value`):

- ``value_lost`` = sum of ``V0`` over customers lost during the period;
- ``contraction`` = sum of ``max(V0 - V1, 0)`` and ``expansion`` = sum of ``max(V1 - V0, 0)``
  over the customers not lost;
- ``grr = (value_at_start - value_lost - contraction) / value_at_start``;
- ``nrr = (value_at_start - value_lost - contraction + expansion) / value_at_start``.

Ratios are None when ``value_at_start`` is zero.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import pandas as pd

from churnguard.compute.measure.churn_rate import _rate
from churnguard.compute.measure.periods import memtable, period_index, periods_frame
from churnguard.compute.measure.status import CONTRACTUAL, Thresholds, customer_spells
from churnguard.compute.measure.value import value_on
from churnguard.errors import InputError
from churnguard.settings import ChurnSettings
from churnguard.store.records import Records

RETENTION_BASES = ("value", "recurring")


def retention(src: Records, churn: ChurnSettings, *, as_of: date, period: str = "quarter",
              basis: str = "value", start: date | None = None,
              thresholds: Thresholds | None = None) -> pd.DataFrame:
    """GRR and NRR per period from the period holding ``start`` to the one holding ``as_of``.

    Parameters
    ----------
    basis : {"value", "recurring"}
        ``value``: recurring value of contractual and trailing revenue of non-contractual
        customers; ``recurring``: contractual customers only.

    Returns
    -------
    pandas.DataFrame
        ``period_start, period_end, complete, customers_at_start, value_at_start, value_lost,
        contraction, expansion, value_at_end, grr, nrr`` (``value_at_end`` is the start base's
        value after the period: ``value_at_start - value_lost - contraction + expansion``).

    Examples
    --------
    >>> retention(src, settings.churn, as_of=date(2024, 12, 31))  # doctest: +SKIP
    """
    if basis not in RETENTION_BASES:
        raise InputError(f"--basis: {basis!r} is not one of: {', '.join(RETENTION_BASES)}")
    spells = customer_spells(src, churn, as_of, thresholds)
    if basis == "recurring":
        spells = spells.filter(spells.relationship == CONTRACTUAL)
    if start is not None and start > as_of:  # no period to show (as churn_rate says)
        raise InputError(f"--from {start} is after --to {as_of}")
    k_last = period_index(as_of, period)
    if start is not None:
        k_first = period_index(start, period)
    else:
        first = spells.active_from.min().to_pandas()
        k_first = k_last if first is None or pd.isna(first) else period_index(pd.Timestamp(first).date(), period)
    periods = periods_frame(k_first, k_last, period, as_of)
    periods["next_day"] = [d + timedelta(days=1) for d in periods["period_end"]]
    p = memtable(periods, {"k": "int64", "period_start": "date", "period_end": "date", "next_day": "date"})
    base = spells.join(p, [spells.active_from < p.period_start,
                           spells.lost_at.isnull() | (spells.lost_at >= p.period_start)])
    base = base.select("customer_id", "k", "period_start", "next_day",
                       lost=base.lost_at.notnull() & (base.lost_at <= base.period_end))
    days = list(periods["period_start"]) + list(periods["next_day"])
    vals = value_on(src, days, as_of, value_window_days=churn.value_window_days,
                    recurring_only=basis == "recurring").select("customer_id", "at", "value")
    v0 = vals.rename(v0_at="at", v0="value", c0="customer_id")
    v1 = vals.rename(v1_at="at", v1="value", c1="customer_id")
    j = base.left_join(v0, [base.customer_id == v0.c0, base.period_start == v0.v0_at])
    j = j.left_join(v1, [j.customer_id == v1.c1, j.next_day == v1.v1_at])
    a = j.v0.fill_null(0.0)
    b = j.v1.fill_null(0.0)
    out = j.group_by("k").aggregate(
        customers_at_start=j.count(),
        value_at_start=a.sum(),
        value_lost=ibis.ifelse(j.lost, a, 0.0).sum(),
        contraction=ibis.ifelse(~j.lost & (a > b), a - b, 0.0).sum(),
        expansion=ibis.ifelse(~j.lost & (b > a), b - a, 0.0).sum(),
    ).to_pandas()
    frame = periods.drop(columns="next_day").merge(out, on="k", how="left")
    frame["customers_at_start"] = frame["customers_at_start"].fillna(0).astype("int64")
    for c in ("value_at_start", "value_lost", "contraction", "expansion"):
        frame[c] = frame[c].fillna(0.0).astype(float)
    frame["value_at_end"] = frame["value_at_start"] - frame["value_lost"] - frame["contraction"] + frame["expansion"]
    frame["grr"] = _rate(frame["value_at_start"] - frame["value_lost"] - frame["contraction"], frame["value_at_start"])
    frame["nrr"] = _rate(frame["value_at_end"], frame["value_at_start"])
    return frame.sort_values("k").drop(columns="k").reset_index(drop=True)
