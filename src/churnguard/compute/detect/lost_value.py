"""What a defector took with it: the value lost, one figure per defector.

Complete defector
    The annual recurring value of its last contract that started on or before the loss, when
    it had one; otherwise its revenue in the 365 days up to the loss date (``lost_at``), its
    trailing-12-month revenue at the loss.
Partial defector
    Still buying, so the loss is the drop: revenue in the 365 days before the as-of date
    below the 365 days before those, at least 0.

Reads the records cut at the as-of date (nothing after it); one grouped query per kind.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd

from churnguard.store.records import Records

YEAR = 365


def lost_value(records: Records, defectors: pd.DataFrame, as_of: date) -> pd.Series:
    """The value each defector took with it, indexed like ``defectors``.

    Parameters
    ----------
    records : Records
        The stored records (cut at ``as_of`` or not: nothing after it is read).
    defectors : pandas.DataFrame
        ``customer_id``, ``kind`` (complete or partial) and ``lost_at`` (the loss date of a
        complete defector), as :func:`~churnguard.compute.detect.find_defectors` gives them.
    as_of : date
        The date the defectors were found as of.

    Returns
    -------
    pandas.Series
        Float values, 0 where nothing was bought in the windows.
    """
    out = pd.Series(0.0, index=defectors.index, name="lost_value")
    if defectors.empty:
        return out
    r = records.known_at(as_of)
    complete = defectors[defectors["kind"] == "complete"]
    partial = defectors[defectors["kind"] == "partial"]
    if len(complete):
        out.loc[complete.index] = _complete(r, complete, as_of).to_numpy()
    if len(partial):
        out.loc[partial.index] = _partial(r, partial, as_of).to_numpy()
    return out


def _memtable(frame: pd.DataFrame) -> ibis.Table:
    return ibis.memtable(frame.reset_index(drop=True))


def _complete(r: Records, complete: pd.DataFrame, as_of: date) -> pd.Series:
    lost = pd.to_datetime(complete["lost_at"]).fillna(pd.Timestamp(as_of)).dt.date
    keys = pd.DataFrame({"customer_id": complete["customer_id"].astype(str).to_numpy(), "lost_on": lost.to_numpy()})
    k = _memtable(keys).cast({"lost_on": "date"})
    t = r.transactions
    j = t.join(k, t.customer_id == k.customer_id)
    revenue = (j.filter([j.occurred_at <= j.lost_on, j.occurred_at > j.lost_on - ibis.interval(days=YEAR)])
               .group_by(j.customer_id).aggregate(revenue=j.amount.sum())).to_pandas()
    c = r.contracts
    jc = c.join(k, c.customer_id == k.customer_id)
    last = (jc.filter(jc.start_at <= jc.lost_on)
            .select(jc.customer_id, jc.start_at, jc.contract_id, jc.recurring_value)).to_pandas()
    revenue = revenue.set_index("customer_id")["revenue"]
    value = keys["customer_id"].map(revenue).fillna(0.0).astype(float)
    if len(last):
        newest = last.sort_values(["customer_id", "start_at", "contract_id"]).groupby("customer_id").tail(1)
        recurring = keys["customer_id"].map(newest.set_index("customer_id")["recurring_value"])
        value = recurring.where(recurring.notna(), value).astype(float)
    return pd.Series(np.maximum(value.to_numpy(), 0.0), index=complete.index)


def _partial(r: Records, partial: pd.DataFrame, as_of: date) -> pd.Series:
    ids = pd.DataFrame({"customer_id": partial["customer_id"].astype(str).to_numpy()})
    k = _memtable(ids)
    t = r.transactions
    j = t.join(k, t.customer_id == k.customer_id)
    start, middle = as_of - timedelta(days=2 * YEAR), as_of - timedelta(days=YEAR)
    j = j.filter([j.occurred_at > start, j.occurred_at <= as_of])
    sums = (j.group_by(j.customer_id)
            .aggregate(before=j.amount.sum(where=j.occurred_at <= middle), recent=j.amount.sum(where=j.occurred_at > middle))
            ).to_pandas().set_index("customer_id")
    before = ids["customer_id"].map(sums["before"]).fillna(0.0).astype(float)
    recent = ids["customer_id"].map(sums["recent"]).fillna(0.0).astype(float)
    return pd.Series(np.maximum(before.to_numpy() - recent.to_numpy(), 0.0), index=partial.index)
