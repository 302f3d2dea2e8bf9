"""Customers under ``/api``: the worklist, defectors, core customers and one customer — the JSON of
``churnguard at-risk | defectors --stored | core-customers --stored | customer ID --json``, read
from what the last ``churnguard run`` stored. A CSM's token sees their own customers unless it
asks for ``scope=all``, and opens only their own customers one by one."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from churnguard.bounds import EARLIEST_DATE, LATEST_DATE
from churnguard.present.api.common import AUTH_ERRORS, errors, json_result
from churnguard.present.server.deps import AnyUser, ContextDep, OwnCustomersDep, ScopeDep
from churnguard.service import at_risk as risk
from churnguard.service import core_customers as core
from churnguard.service import customer, detect

router = APIRouter(tags=["customers"])
ERRORS = {**AUTH_ERRORS, **errors(409, 422)}

AsOfQ = Annotated[date | None, Query(description="The run date to read (default: the latest run).",
                                     ge=EARLIEST_DATE, le=LATEST_DATE)]
OffsetQ = Annotated[int, Query(ge=0, le=100_000_000, description="Skip this many rows.")]
CsmQ = Annotated[str | None, Query(max_length=200, description="Only this CSM's customers (managers; a CSM's "
                                                              "own scope wins).")]


LangQ = Annotated[Literal["zh", "en"] | None, Query(
    description="Say reasons and evidence in this language (default: as stored, in the workspace's language).")]


def _csm(scope, csm: str | None) -> str | None:
    return scope.csm if scope.csm is not None else csm


@router.get("/at-risk", name="api_at_risk", responses=ERRORS)
def get_at_risk(
    user: AnyUser,
    ctx: ContextDep,
    scope: ScopeDep,
    top: Annotated[int, Query(ge=1, le=100_000, description="How many customers.")] = 20,
    offset: OffsetQ = 0,
    min_value: Annotated[float | None, Query(ge=0, description="Only customers whose expected value is at least this.")] = None,
    segment: Annotated[str | None, Query(max_length=200, description="Only customers of this segment.")] = None,
    csm: CsmQ = None,
    signal: Annotated[str | None, Query(max_length=50, description="Only customers where this warning signal fired.")] = None,
    as_of: AsOfQ = None,
    lang: LangQ = None,
    early: Annotated[bool, Query(description="Only early warnings: customers not yet overdue, by their own risk.")] = False,
) -> Response:
    """Living customers ranked by value at risk, with reasons: `{"as_of", "data": [{rank, customer_id,
    probability, expected_value, value_at_risk, warning ("early" or "overdue"), early_probability,
    early_value_at_risk, reasons: [{code, text, values}], changes: […], causes: […], signals, segment, csm,
    …}], "count", "matching", "offset", "total_value_at_risk", "customers_scored"}`, as `churnguard at-risk
    --json`; `early=true` lists the early warnings only (as `--early`)."""
    opts = risk.AtRiskOptions(top, min_value, segment, _csm(scope, csm), signal, offset, lang, early=early)
    return json_result(risk.at_risk(ctx.with_as_of(as_of), opts))


@router.get("/defectors", name="api_defectors", responses=ERRORS)
def get_defectors(
    user: AnyUser,
    ctx: ContextDep,
    scope: ScopeDep,
    kind: Annotated[Literal["complete", "partial"] | None, Query(description="complete or partial; default both.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000, description="At most this many rows.")] = None,
    offset: OffsetQ = 0,
    csm: CsmQ = None,
    as_of: AsOfQ = None,
    lang: LangQ = None,
) -> Response:
    """Complete and partial defectors of the stored run, with evidence: `{"as_of", "as_of_source", "data":
    [{customer_id, kind, rules, lost_at, evidence: [{code, text, values}], evidence_text, …}], "count",
    "counts": {complete, partial}, "offset", "definition"}`, as `churnguard defectors --stored --json`."""
    opts = detect.DefectorOptions(kind, limit, _csm(scope, csm), offset, lang)
    return json_result(detect.stored_defectors(ctx.with_as_of(as_of), opts))


@router.get("/core-customers", name="api_core_customers", responses=ERRORS)
def get_core_customers(
    user: AnyUser,
    ctx: ContextDep,
    scope: ScopeDep,
    top: Annotated[int, Query(ge=1, le=100_000, description="How many, largest revenue first.")] = 20,
    offset: OffsetQ = 0,
    csm: CsmQ = None,
    as_of: AsOfQ = None,
    lang: LangQ = None,
) -> Response:
    """Core customers of the stored value table: `{"as_of", "as_of_source", "time_unit", "data": [{customer_id,
    name, revenue, …, core_reason}], "count", "core_customers", "customers", "offset"}`, as
    `churnguard core-customers --stored --json`."""
    opts = core.CoreOptions(top=top, offset=offset, csm=_csm(scope, csm), language=lang)
    return json_result(core.stored_core_customers(ctx.with_as_of(as_of), opts))


@router.get("/customers", name="api_customers", responses=ERRORS)
def get_customers(
    user: AnyUser,
    ctx: ContextDep,
    scope: ScopeDep,
    q: Annotated[str | None, Query(max_length=200, description="Part of a customer id or name.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many.")] = 50,
    offset: OffsetQ = 0,
) -> Response:
    """Customers whose id or name holds `q` (all without it), in id order: `{"data": [{customer_id, name,
    segment, region, customer_type, csm}], "count", "matching", "offset"}`, as `churnguard customers --json`."""
    return json_result(customer.find_customers(ctx, customer.FindOptions(q, scope.csm, offset, limit)))


@router.get("/customers/{customer_id}", name="api_customer", responses={**ERRORS, **errors(404)})
def get_customer(
    user: AnyUser,
    ctx: ContextDep,
    own: OwnCustomersDep,
    customer_id: Annotated[str, Path(min_length=1, max_length=200)],
    offset: Annotated[int, Query(ge=0, le=100_000_000, description="Skip this many timeline records.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Timeline records.")] = 50,
    as_of: AsOfQ = None,
    lang: LangQ = None,
) -> Response:
    """One customer: `{"customer_id", "as_of", "computed", "profile", "value", "risk", "signals", "defector",
    "timeline": {"data": [{date, kind, fields}], "count", "total", "offset", "limit"}, "spend": {months, spend,
    baseline, …}}`, as `churnguard customer ID --json`. 404 for an unknown customer (or, for a CSM, one
    that is not theirs)."""
    opts = customer.CustomerOptions(customer_id, csm=own, language=lang, offset=offset, limit=limit)
    return json_result(customer.customer_view(ctx.with_as_of(as_of), opts))
