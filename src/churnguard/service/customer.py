"""One customer on one page: profile, value, risk and reasons, signals, defection, history, spend.

:func:`customer_view` gathers what the stored run knows about a customer (the ``value``,
``scores``, ``signals`` and ``defectors`` snapshots of one date), its records newest first, and
its monthly spend against its own baseline, into one JSON-ready dict — the page, the API
(``/api/customers/{id}``) and ``churnguard customer ID --json`` show the same.

The customer id comes from a URL or a command line: it is only ever compared as a value by
the engine (an Ibis literal), never pasted into SQL text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from churnguard.compute.detect import Records
from churnguard.compute.detect.trends import SeasonalIndex, seasonal_index, spend_against_baseline
from churnguard.compute.detect.words import in_language
from churnguard.compute.predict.features import index_days
from churnguard.compute.predict.reasons import split_reasons
from churnguard.errors import InputError, NotComputedError, NotFoundError
from churnguard.i18n import N_, Message
from churnguard.service.common import resolve_as_of
from churnguard.service.jsonable import jsonable
from churnguard.service.value import explain_core
from churnguard.store import Workspace, read_snapshot, snapshot_dates
from churnguard.store.snapshots import snapshot_table

#: the snapshots a customer page reads, and what each is for
SNAPSHOTS = ("value", "scores", "signals", "defectors")
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

VALUE_FIELDS = ("rfm_segment", "rfm_segment_label", "r_score", "f_score", "m_score", "revenue", "revenue_rank",
                "revenue_share", "pareto_top", "margin", "total_spend", "purchase_count", "last_purchase_at",
                "tenure_days", "active_quarters", "on_time_share", "p_alive", "expected_purchases", "clv",
                "contract_status", "recurring_value", "renewal_probability", "contract_remaining_value", "core",
                "core_reason")
RISK_FIELDS = ("probability", "expected_value", "value_source", "value_at_risk", "expected_days_to_churn", "signals",
               "signal_count", "reasons", "changes", "causes")


@dataclass
class CustomerOptions:
    """``churnguard customer ID``: one customer as the stored run of ``as_of`` (default: the latest) sees it.

    ``csm``: only if the customer is this CSM's (else it is not found); ``language``: reasons and
    evidence in that language; ``offset``/``limit``: the page of the timeline.
    """

    customer_id: str
    workspace: Path | None = None
    as_of: date | None = None
    csm: str | None = None
    language: str | None = None
    offset: int = 0
    limit: int = TIMELINE_LIMIT


def _plain(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts; a date or time reads as its day (``2026-09-30``)."""
    from churnguard.service.jsonable import rows_of

    return jsonable(rows_of(frame))


def _one(store, table, customer_id: str) -> ibis.Table:
    return table.filter(table.customer_id == ibis.literal(customer_id, "string"))


def _run_date(dates: dict[str, list[date]], as_of: date | None) -> date | None:
    """The date of the stored run to read: ``as_of``, else the latest date any snapshot has."""
    if as_of is not None:
        if not any(as_of in d for d in dates.values()):
            known = sorted({x for d in dates.values() for x in d})
            raise NotComputedError(Message(N_("no run is stored for %(date)s; runs: %(dates)s"), date=as_of.isoformat(),
                                           dates=", ".join(x.isoformat() for x in known[-10:]) or "—"))
        return as_of
    latest = [d[-1] for d in dates.values() if d]
    return max(latest) if latest else None


def _snapshot(ws: Workspace, name: str, when: date) -> ibis.Table:
    """Snapshot ``name`` of ``when`` (known to exist: the dates were read once)."""
    t = ws.store.table(snapshot_table(name))
    return t.filter(t.as_of == ibis.literal(when, "date"))


def _snapshot_row(ws: Workspace, name: str, when: date | None, customer_id: str,
                  dates: dict[str, list[date]]) -> dict[str, Any] | None:
    if when is None or when not in dates[name]:
        return None
    # every run's row of the customer (a few), the date picked here: DuckDB answers the lone
    # customer filter from the snapshot's index, but scans all runs' rows when the date joins it
    frame = ws.store.customer_rows(snapshot_table(name), customer_id)
    frame = frame[pd.to_datetime(frame["as_of"]).dt.date == when]
    rows = _plain(frame.drop(columns=["as_of"]))
    return rows[0] if rows else None


def _items(text: Any, language: str | None) -> list[dict[str, Any]]:
    items = json.loads(text) if isinstance(text, str) and text else []
    return in_language(items, language)


def _timeline(records: dict[str, pd.DataFrame], offset: int, limit: int) -> dict[str, Any]:
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
        for r in _plain(t):
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


def _spend(ws: Workspace, lines: pd.DataFrame, when: date | None) -> dict[str, Any] | None:
    """Monthly spend against the customer's own baseline (see :func:`spend_against_baseline`);
    ``lines``: the customer's transaction lines."""
    try:
        as_of = when or resolve_as_of(ws.store, None)[0]
    except Exception:  # no dated records at all: nothing to draw
        return None
    settings = ws.settings
    index = _seasonal_index(ws, as_of)
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


def customer_view(opts: CustomerOptions) -> dict[str, Any]:
    """Everything the stored run and the records say about one customer, as JSON-ready data.

    ``{"customer_id", "as_of", "computed": {snapshot: bool}, "profile", "value", "risk",
    "signals", "defector", "timeline": {"data", "count", "total", "offset", "limit"}, "spend",
    "data": [profile], "count": 1}``.
    ``value``, ``risk``, ``signals`` and ``defector`` are None where the run did not store the
    customer (a lost customer is not scored; one without a warning has no signals);
    ``computed`` says which snapshots exist for ``as_of`` at all.

    Raises
    ------
    NotFoundError
        No such customer, or (with ``csm``) not that CSM's customer.
    InputError
        A bad page of the timeline.
    NotComputedError
        No run stored for ``as_of``.
    """
    cid = opts.customer_id
    if opts.offset < 0 or not 1 <= opts.limit <= 500:
        raise InputError(f"timeline: offset must be at least 0 and limit 1 to 500; got {opts.offset}, {opts.limit}")
    with Workspace.open(opts.workspace) as ws:
        profile = _plain(ws.store.customer_rows("customers", cid).drop(columns=["record_key"]))
        if not profile or (opts.csm is not None and profile[0].get("csm") != opts.csm):
            raise NotFoundError(Message(N_("There is no customer %(customer)s among the customers you may see."),
                                        customer=cid))
        dates = {n: snapshot_dates(ws.store, n) for n in SNAPSHOTS}
        when = _run_date(dates, opts.as_of)
        computed = {n: when is not None and when in dates[n] for n in SNAPSHOTS}
        value = _snapshot_row(ws, "value", when, cid, dates)
        if value is not None:
            lang = opts.language
            if lang and lang != ws.settings.language and value.get("core_reason"):
                snap = _snapshot(ws, "value", when)
                n_all = ws.store.memo(("value_count", when), lambda: int(snap.count().execute()))
                row = _one(ws.store, ws.store.table(snapshot_table("value")), cid).to_pandas()  # one filter: the index
                row = row[pd.to_datetime(row["as_of"]).dt.date == when]
                value["core_reason"] = str(explain_core(row, ws.settings, n_all, lang).iloc[0])
            value = {k: value.get(k) for k in VALUE_FIELDS}
        risk = _snapshot_row(ws, "scores", when, cid, dates)
        if risk is not None:
            scored = _snapshot(ws, "scores", when)
            rank = risk.get("rank")  # the worklist's place, stored by the run
            if rank is None:  # a run stored before ranks were
                ahead = scored.filter(scored.value_at_risk > ibis.literal(float(risk["value_at_risk"] or 0.0)))
                rank = int(ahead.count().execute()) + 1
            risk = {k: risk.get(k) for k in RISK_FIELDS}
            risk["reasons"] = _items(risk["reasons"], opts.language)
            if risk.get("changes") is None:  # a run stored before reasons came in two lists
                risk["changes"], risk["causes"] = split_reasons(risk["reasons"], opts.language or ws.settings.language)
            else:
                risk["changes"] = _items(risk["changes"], opts.language)
                risk["causes"] = _items(risk["causes"], opts.language)
            risk["rank"] = int(rank)
            risk["scored"] = ws.store.memo(("scored", when), lambda: int(scored.count().execute()))
        signals = _snapshot_row(ws, "signals", when, cid, dates)
        if signals is not None:
            signals = {"signals": [s for s in (signals["signals"] or "").split(",") if s],
                       "evidence": _items(signals["evidence"], opts.language)}
        defector = _snapshot_row(ws, "defectors", when, cid, dates)
        if defector is not None:
            defector = {"kind": defector["kind"], "rules": [r for r in (defector["rules"] or "").split(",") if r],
                        "lost_at": defector["lost_at"], "last_purchase_at": defector["last_purchase_at"],
                        "evidence": _items(defector["evidence"], opts.language)}
        records = {table: ws.store.customer_rows(table, cid) for table, _ in TIMELINE.values()}
        timeline = _timeline(records, opts.offset, opts.limit)
        spend = _spend(ws, records["transactions"], when)
    return {
        "customer_id": cid,
        "as_of": when.isoformat() if when else None,
        "computed": computed,
        "profile": profile[0],
        "value": value,
        "risk": risk,
        "signals": signals,
        "defector": defector,
        "timeline": timeline,
        "spend": spend,
        # the list every --json has: the customer's own row (its profile); the rest as named above
        "data": [profile[0]],
        "count": 1,
    }


def names_of(workspace: Path | None, customer_ids: list[str]) -> dict[str, str]:
    """The names of some customers (those that have one), for lists that show ids."""
    ids = sorted({str(c) for c in customer_ids if c is not None})
    if not ids:
        return {}
    with Workspace.open(workspace) as ws:
        t = ws.store.table("customers")
        frame = t.filter(t.customer_id.isin(ids)).select("customer_id", "name").to_pandas()
    return {r.customer_id: r.name for r in frame.itertuples() if isinstance(r.name, str) and r.name}


@dataclass
class FindOptions:
    """``churnguard customers``: customers whose id or name holds ``query`` (all without one),
    those of ``csm`` only when given; ``offset``/``limit`` for pages."""

    workspace: Path | None = None
    query: str | None = None
    csm: str | None = None
    offset: int = 0
    limit: int = 50


@dataclass
class FindResult:
    """``{"data": [{customer_id, name, segment, region, customer_type, csm}], "count", "matching", "offset"}``."""

    frame: pd.DataFrame
    matching: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (see the class docstring)."""
        rows = _plain(self.frame)
        return {"data": rows, "count": len(rows), "matching": self.matching, "offset": self.offset}


def find_customers(opts: FindOptions) -> FindResult:
    """Customers by id or name (case-insensitive, any part), in id order.

    The text is compared as a value by the engine, never pasted into SQL.
    """
    if opts.offset < 0 or not 1 <= opts.limit <= 10_000:
        raise InputError(f"offset must be at least 0 and limit 1 to 10,000; got {opts.offset}, {opts.limit}")
    with Workspace.open(opts.workspace) as ws:
        t = ws.store.table("customers")
        if opts.csm is not None:
            t = t.filter(t.csm == ibis.literal(opts.csm, "string"))
        q = (opts.query or "").strip().lower()
        if q:
            needle = ibis.literal(q, "string")
            t = t.filter(t.customer_id.lower().contains(needle) | t.name.fill_null("").lower().contains(needle))
        matching = int(t.count().execute())
        cols = ["customer_id", "name", "segment", "region", "customer_type", "csm"]
        frame = t.select(*cols).order_by("customer_id").limit(opts.limit, offset=opts.offset).to_pandas()
    return FindResult(frame, matching, opts.offset)
