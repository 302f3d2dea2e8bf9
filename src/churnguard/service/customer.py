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
from typing import Any

import ibis
import pandas as pd

from churnguard.compute.detect.words import in_language
from churnguard.compute.predict.reasons import split_reasons
from churnguard.errors import NotComputedError, NotFoundError, OptionError
from churnguard.i18n import N_, Message
from churnguard.service import customer_history as history
from churnguard.service.context import Context
from churnguard.service.core_customers import explain_core
from churnguard.store import Store, Workspace, snapshot_dates
from churnguard.store.snapshots import customer_snapshot_rows, snapshot_of

#: the snapshots a customer page reads, and what each is for
SNAPSHOTS = ("value", "scores", "signals", "defectors")

VALUE_FIELDS = ("rfm_segment", "rfm_segment_label", "r_score", "f_score", "m_score", "revenue", "revenue_rank",
                "revenue_share", "pareto_top", "margin", "total_spend", "purchase_count", "last_purchase_at",
                "tenure_days", "active_quarters", "on_time_share", "p_alive", "expected_purchases", "clv",
                "contract_status", "recurring_value", "renewal_probability", "contract_remaining_value", "core",
                "core_reason")
RISK_FIELDS = ("probability", "expected_value", "value_source", "value_at_risk", "expected_days_to_churn", "signals",
               "signal_count", "reasons", "changes", "causes")


@dataclass
class CustomerOptions:
    """``churnguard customer ID``: one customer as the stored run of the context's as-of date
    (default: the latest run) sees it.

    ``csm``: only if the customer is this CSM's (else it is not found); ``language``: reasons and
    evidence in that language; ``offset``/``limit``: the page of the timeline.
    """

    customer_id: str
    csm: str | None = None
    language: str | None = None
    offset: int = 0
    limit: int = history.TIMELINE_LIMIT

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise OptionError("offset", f"must be at least 0 (got {self.offset})")
        if not 1 <= self.limit <= 500:
            raise OptionError("limit", f"must be from 1 to 500 (got {self.limit})")



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
    return snapshot_of(ws.store, name, when)


def _snapshot_row(ws: Workspace, name: str, when: date | None, customer_id: str,
                  dates: dict[str, list[date]]) -> dict[str, Any] | None:
    if when is None or when not in dates[name]:
        return None
    frame = customer_snapshot_rows(ws.store, name, customer_id, when)
    rows = history.plain_rows(frame.drop(columns=["as_of"]))
    return rows[0] if rows else None


def _items(text: Any, language: str | None) -> list[dict[str, Any]]:
    items = json.loads(text) if isinstance(text, str) and text else []
    return in_language(items, language)




def customer_view(ctx: Context, opts: CustomerOptions) -> dict[str, Any]:
    """Everything the stored run and the records say about one customer, as JSON-ready data.

    ``{"customer_id", "as_of", "computed": {snapshot: bool}, "profile", "value", "risk",
    "signals", "defector", "timeline": {"data", "count", "total", "offset", "limit"}, "spend",
    "churn_reasons": [rows], "data": [profile], "count": 1}``.
    ``churn_reasons`` is every churn-reason row of the customer recorded by the date given
    (all without one), newest first, recorded or inferred, and which one counts.
    ``value``, ``risk``, ``signals`` and ``defector`` are None where the run did not store the
    customer (a lost customer is not scored; one without a warning has no signals);
    ``computed`` says which snapshots exist for ``as_of`` at all.

    Raises
    ------
    NotFoundError
        No such customer, or (with ``csm``) not that CSM's customer.
    NotComputedError
        No run stored for ``ctx.as_of_given``.
    """
    cid = opts.customer_id
    ws = ctx.workspace
    profile = history.plain_rows(ws.store.customer_rows("customers", cid).drop(columns=["record_key"]))
    if not profile or (opts.csm is not None and profile[0].get("csm") != opts.csm):
        raise NotFoundError(Message(N_("There is no customer %(customer)s among the customers you may see."),
                                    customer=cid))
    dates = {n: snapshot_dates(ws.store, n) for n in SNAPSHOTS}
    when = _run_date(dates, ctx.as_of_given)
    computed = {n: when is not None and when in dates[n] for n in SNAPSHOTS}
    value = _snapshot_row(ws, "value", when, cid, dates)
    if value is not None:
        lang = opts.language
        if lang and lang != ws.settings.language and value.get("core_reason"):
            snap = _snapshot(ws, "value", when)
            n_all = ws.store.memo(("value_count", when), lambda: int(snap.count().execute()))
            row = customer_snapshot_rows(ws.store, "value", cid, when, typed=True)
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
    records = {table: ws.store.customer_rows(table, cid) for table, _ in history.TIMELINE.values()}
    timeline = history.timeline(records, opts.offset, opts.limit)
    spend = history.spend(ctx, records["transactions"], when)
    from churnguard.service.reasons import reason_history

    churn_reasons = reason_history(ctx, cid, ctx.as_of_given)
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
        "churn_reasons": churn_reasons,
        # the list every --json has: the customer's own row (its profile); the rest as named above
        "data": [profile[0]],
        "count": 1,
    }


def names_of(ctx: Context, customer_ids: list[str]) -> dict[str, str]:
    """The names of some customers (those that have one), for lists that show ids."""
    return names_in(ctx.store, customer_ids)


def names_in(store: Store, customer_ids: list[str]) -> dict[str, str]:
    """:func:`names_of` in a store (for a use case that holds the store, not a context)."""
    ids = sorted({str(c) for c in customer_ids if c is not None})
    if not ids:
        return {}
    t = store.table("customers")
    frame = t.filter(t.customer_id.isin(ids)).select("customer_id", "name").to_pandas()
    return {r.customer_id: r.name for r in frame.itertuples() if isinstance(r.name, str) and r.name}


@dataclass
class FindOptions:
    """``churnguard customers``: customers whose id or name holds ``query`` (all without one),
    those of ``csm`` only when given; ``offset``/``limit`` for pages."""

    query: str | None = None
    csm: str | None = None
    offset: int = 0
    limit: int = 50

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise OptionError("offset", f"must be at least 0 (got {self.offset})")
        if not 1 <= self.limit <= 10_000:
            raise OptionError("limit", f"must be from 1 to 10,000 (got {self.limit})")


@dataclass
class FindResult:
    """``{"data": [{customer_id, name, segment, region, customer_type, csm}], "count", "matching", "offset"}``."""

    frame: pd.DataFrame
    matching: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (see the class docstring)."""
        rows = history.plain_rows(self.frame)
        return {"data": rows, "count": len(rows), "matching": self.matching, "offset": self.offset}


def find_customers(ctx: Context, opts: FindOptions) -> FindResult:
    """Customers by id or name (case-insensitive, any part), in id order.

    The text is compared as a value by the engine, never pasted into SQL.
    """
    t = ctx.store.table("customers")
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
