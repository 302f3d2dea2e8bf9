"""``GET /api/churn-rate``: churn rate per period (the JSON of ``churnguard churn-rate --json``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from churnguard.present.api.common import AUTH_ERRORS, errors, json_result
from churnguard.present.server.deps import AnyUser, server_state
from churnguard.service.measure import ChurnRateOptions, churn_rate

router = APIRouter(tags=["measure"])


@router.get("/churn-rate", name="api_churn_rate", responses={**AUTH_ERRORS, **errors(409, 422)})
def get_churn_rate(
    request: Request,
    user: AnyUser,
    period: Annotated[Literal["month", "quarter", "year"], Query(description="Length of each period.")] = "quarter",
    basis: Annotated[Literal["customers", "value", "recurring"],
                     Query(description="customers, value (recurring or trailing revenue) or recurring.")] = "customers",
    by: Annotated[Literal["segment", "region", "customer_type", "csm", "relationship"] | None,
                  Query(description="One churn rate per value of this customer column.")] = None,
    start: Annotated[date | None, Query(alias="from", description="First period: the one holding this date.")] = None,
    end: Annotated[date | None, Query(alias="to", description="As-of date; nothing later is read.")] = None,
) -> JSONResponse:
    """Churn rate per period: `{"data": [{period_start, customers_at_start, customers_lost, churn_rate, …}],
    "count", "definition", "warnings"}`, as `churnguard churn-rate --json` prints it."""
    opts = ChurnRateOptions(workspace=server_state(request).workspace_path, period=period, basis=basis, by=by,
                            start=start, end=end)
    return json_result(churn_rate(opts))
