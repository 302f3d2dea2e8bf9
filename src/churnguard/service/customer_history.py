"""A customer's history on its page: the records newest first (the timeline) and its monthly
spend against its own baseline (:func:`churnguard.service.customer.customer_view` shows both)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from churnguard.compute.detect import Records
from churnguard.compute.detect.trends import SeasonalIndex, seasonal_index, spend_against_baseline
from churnguard.compute.predict.features import index_days
from churnguard.service.context import Context
from churnguard.service.jsonable import jsonable, rows_of
from churnguard.store import Workspace, read_snapshot, snapshot_dates

#: at most this many records a page of the timeline
TIMELINE_LIMIT = 50
#: months of the spend chart
SPEND_MONTHS = 24
#: what the timeline lists: kind -> (table, date column)
TIMELINE = {
    "purchase": ("transactions", "occurred_at"),
    "contract": ("contracts", "start_at"),
    "interaction": ("interactions", "occurred_at"),
    "complaint": ("complaints", "opened_at"),
    "survey": ("surveys", "answered_at"),
}


def plain_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts; a date or time reads as its day (``2026-09-30``)."""
    return jsonable(rows_of(frame))


def timeline(records: dict[str, pd.DataFrame], offset: int, limit: int) -> dict[str, Any]:
    """Records of the customer (``records``: table -> its rows), newest first: purchases (one
    per day), contracts, interactions, complaints, survey answers. Each: ``{"date", "kind",
    "fields": {...}}``."""
    parts: list[dict[str, Any]] = []
    total = 0
    for kind, (table_name, col) in TIMELINE.items():
        t = records[table_name]
        if kind == "purchase":
            t = t.assign(quantity=pd.to_numeric(t["quantity"], errors="coerce"),
                         amount=pd.to_numeric(t["amount"], errors="coerce"))
            t = t.groupby(col, as_index=False, sort=False).agg(
                amount=("amount", lambda x: x.sum(min_count=1)),
                lines=("amount", "size"),
                quantity=("quantity", lambda x: x.sum(min_count=1)),
                categories=("category", lambda c: sorted({x for x in c if isinstance(x, str) and x})),
                orders=("order_id", "nunique"),
            )
        else:
            t = t.drop(columns=["record_key", "customer_id"])
        total += len(t)
        # the dated column is required in every one of these tables
        t = t.sort_values(col, ascending=False, kind="stable").head(offset + limit)
        for r in plain_rows(t):
            when = r.pop(col) if kind == "purchase" else r[col]
            parts.append({"date": when, "kind": kind, "fields": r})
    order = list(TIMELINE)
    parts.sort(key=lambda e: (e["date"] or "", -order.index(e["kind"])), reverse=True)
    page = parts[offset:offset + limit]
    return {"data": page, "count": len(page), "total": total, "offset": offset, "limit": limit}


_INDEXES: dict[tuple, Any] = {}  # (workspace, data version, as-of) -> SeasonalIndex, process-wide


def _seasonal_index(ws: Workspace, as_of: date):
    """The seasonal index `churnguard run` stored for ``as_of``; without one, measured once per data version.

    Measuring it reads the purchases of every customer over the index window (the company's
    seasonality, not the customer's): seconds at 1M customers, too much for a page.
    """
    from churnguard.service.results import data_version

    if as_of in snapshot_dates(ws.store, "seasonal_index"):
        return ws.store.memo(("seasonal_index", as_of), lambda: SeasonalIndex.from_frame(
            read_snapshot(ws.store, "seasonal_index", as_of).to_pandas()))
    key = (str(ws.path.resolve()), data_version(ws), as_of)
    if key not in _INDEXES:
        if len(_INDEXES) >= 8:
            _INDEXES.clear()
        _INDEXES[key] = seasonal_index(Records.from_store(ws.store), ws.settings.churn, as_of, index_days(ws.settings))
    return _INDEXES[key]


def spend(ctx: Context, lines: pd.DataFrame, when: date | None) -> dict[str, Any] | None:
    """Monthly spend against the customer's own baseline (see :func:`spend_against_baseline`);
    ``lines``: the customer's transaction lines; ``when``: the run's date (None: no run is
    stored, the last date in the data)."""
    try:
        as_of = when or ctx.with_as_of(None).as_of
    except Exception:  # no dated records at all: nothing to draw
        return None
    settings = ctx.settings
    index = _seasonal_index(ctx.workspace, as_of)
    det = settings.detect
    frame = spend_against_baseline(lines, as_of, index, det.partial_recent_days,
                                   det.partial_baseline_days, months=SPEND_MONTHS)
    a = frame.attrs
    return {
        "as_of": as_of.isoformat(),
        "months": [m.isoformat() for m in frame["month"]],
        "spend": jsonable(frame["spend"].round(2).tolist()),
        "baseline": jsonable(frame["baseline"].round(2).tolist()),
        "window": frame["window"].tolist(),
        "rate_per_month": jsonable(round(float(a["rate_per_month"]), 2)),
        "baseline_from": a["baseline_from"].isoformat(),
        "baseline_to": a["baseline_to"].isoformat(),
        "recent_from": a["recent_from"].isoformat(),
        "recent_days": det.partial_recent_days,
        "baseline_days": det.partial_baseline_days,
    }
