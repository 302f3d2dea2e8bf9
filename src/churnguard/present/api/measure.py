"""Measure figures under ``/api``: the JSON of ``churnguard churn-rate | cohorts | retention |
price-volume --json``, read from the store of figures (:mod:`churnguard.service.results`); and
``churnguard reasons --json``, computed when asked (reasons are recorded between imports)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from churnguard.bounds import EARLIEST_DATE, LATEST_DATE
from churnguard.present.api.common import AUTH_ERRORS, errors, json_result, stored_result
from churnguard.present.server.deps import AnyUser, ContextDep, FiguresDep

router = APIRouter(tags=["measure"])

Period = Literal["month", "quarter", "year"]
PeriodQ = Annotated[Period, Query(description="Length of each period.")]
#: dates the engines handle (churnguard.bounds); others are refused with a 422 naming the parameter
DATE_RANGE = {"ge": EARLIEST_DATE, "le": LATEST_DATE}
FromQ = Annotated[date | None, Query(alias="from", description="First period: the one holding this date.", **DATE_RANGE)]
ToQ = Annotated[date | None, Query(alias="to", description="Last day of the window shown: periods starting "
                                  "after it are left out (what is known is as_of's).", **DATE_RANGE)]
AsOfQ = Annotated[date | None, Query(description="Date of knowledge: nothing dated later is read (default: the last "
                                     "date in the data).", **DATE_RANGE)]
Group = Literal["segment", "region", "customer_type", "csm", "relationship"]
ERRORS = {**AUTH_ERRORS, **errors(409, 422)}


@router.get("/churn-rate", name="api_churn_rate", responses=ERRORS)
def get_churn_rate(
    user: AnyUser,
    figures: FiguresDep,
    period: PeriodQ = "quarter",
    basis: Annotated[Literal["customers", "value", "recurring"],
                     Query(description="customers, value (recurring or trailing revenue) or recurring.")] = "customers",
    by: Annotated[Group | None, Query(description="One churn rate per value of this customer column.")] = None,
    start: FromQ = None,
    to: ToQ = None,
    as_of: AsOfQ = None,
) -> Response:
    """Churn rate per period: `{"data": [{period_start, customers_at_start, customers_lost, churn_rate, …}],
    "count", "definition", "warnings"}`, as `churnguard churn-rate --json` prints it."""
    return stored_result(figures.get("churn-rate", period=period, basis=basis, by=by, start=start, to=to, as_of=as_of))


@router.get("/threshold", name="api_threshold", responses=ERRORS)
def get_threshold(
    user: AnyUser,
    figures: FiguresDep,
    by: Annotated[Literal["segment"] | None, Query(description="segment: each segment's own return curve too.")] = None,
    as_of: AsOfQ = None,
) -> Response:
    """The return curve and the churn threshold: `{"data": [{segment, gap_days, customers_reached,
    customers_observed, return_share, judged, chosen}], "count", "thresholds", "definition"}`, as
    `churnguard threshold --json` prints it."""
    return stored_result(figures.get("threshold", by=by, as_of=as_of))


@router.get("/cohorts", name="api_cohorts", responses=ERRORS)
def get_cohorts(
    user: AnyUser,
    figures: FiguresDep,
    period: Annotated[Literal["month", "quarter"], Query(description="Length of each period.")] = "month",
    basis: Annotated[Literal["customers", "revenue"],
                     Query(description="customers (still active) or revenue of the cohort.")] = "customers",
    start: Annotated[date | None, Query(alias="from", description="Earliest cohort.", **DATE_RANGE)] = None,
    to: ToQ = None,
    as_of: AsOfQ = None,
) -> Response:
    """The cohort retention triangle, long form: `{"data": [{cohort_start, cohort_size, period_offset,
    period_start, retained, retention}], "count", "definition"}`, as `churnguard cohorts --json`."""
    return stored_result(figures.get("cohorts", period=period, basis=basis, start=start, to=to, as_of=as_of))


@router.get("/retention", name="api_retention", responses=ERRORS)
def get_retention(
    user: AnyUser,
    figures: FiguresDep,
    period: PeriodQ = "quarter",
    basis: Annotated[Literal["value", "recurring"], Query(description="value or recurring (contracts only).")] = "value",
    start: FromQ = None,
    to: ToQ = None,
    as_of: AsOfQ = None,
) -> Response:
    """Gross and net revenue retention per period: `{"data": [{period_start, value_at_start, value_lost,
    contraction, expansion, grr, nrr}], "count", "definition"}`, as `churnguard retention --json`."""
    return stored_result(figures.get("retention", period=period, basis=basis, start=start, to=to, as_of=as_of))


@router.get("/price-volume", name="api_price_volume", responses=ERRORS)
def get_price_volume(
    user: AnyUser,
    figures: FiguresDep,
    period: PeriodQ = "quarter",
    start: FromQ = None,
    to: ToQ = None,
    as_of: AsOfQ = None,
    tolerance: Annotated[float, Query(
        ge=0, lt=1, description="Units or buying customers count as fallen only when they fall by more than this.")] = 0.0,
) -> Response:
    """Revenue change split into customer, volume and price effects, with false-growth warnings:
    `{"data": [{period_start, revenue, units, customers, …, comparison, compared_with, revenue_growth, units_growth,
    customers_growth, warning}], "count", "definition", "seasonality", "warnings"}`,
    as `churnguard price-volume --json`."""
    return stored_result(figures.get("price-volume", period=period, start=start, to=to, as_of=as_of, tolerance=tolerance))


@router.get("/overview", name="api_overview", responses=ERRORS)
def get_overview(
    user: AnyUser,
    figures: FiguresDep,
    period: PeriodQ = "quarter",
    as_of: AsOfQ = None,
) -> Response:
    """The overview's figures: `{"as_of", "status", "churn": [rows], "retention": [rows], "latest",
    "warnings": [{code, message, …}], "snapshots"}`, as `churnguard overview --json`."""
    return stored_result(figures.get("overview", period=period, as_of=as_of))


@router.get("/reasons", name="api_reasons", responses=ERRORS)
def get_reasons(
    user: AnyUser,
    ctx: ContextDep,
    start: Annotated[date | None, Query(alias="from", description="First day of the period (default: a year "
                                        "before 'to').", **DATE_RANGE)] = None,
    to: Annotated[date | None, Query(alias="to", description="Last day of the period (default: the as-of date).",
                                     **DATE_RANGE)] = None,
    by: Annotated[Literal["segment", "region", "csm", "customer_type"] | None,
                  Query(description="Also break the table down by this customer column.")] = None,
    as_of: AsOfQ = None,
) -> Response:
    """Why defectors left: `{"data": [{reason, label, controllable, defectors, complete, partial, inferred,
    lost_value, share, lost_value_share}], "count", "from", "to", "totals": {controllable, uncontrollable,
    unknown}, "trend": [{quarter, reason, defectors, complete, partial}], "by", "defectors_source",
    "definition"}`, as `churnguard reasons --json` prints it. Read when asked (a reason recorded a moment
    ago counts); the defectors are the stored run's of 'to', else detected afresh."""
    from churnguard.service import reasons as rsvc

    return json_result(rsvc.reasons(ctx.with_as_of(as_of), rsvc.ReasonOptions(start, to, by)))
