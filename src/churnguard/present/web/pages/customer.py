"""One customer: profile, value, risk and its reasons, warning signals, defection with evidence,
monthly spend against its own baseline, and its records newest first (``churnguard customer ID``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from churnguard.present.server.deps import AnyUser, ContextDep, OwnCustomersDep, translator_for
from churnguard.present.web.charts import spend_against_baseline
from churnguard.present.web.paging import PER_PAGE, Pager
from churnguard.present.web.render import render
from churnguard.service import customer, investigations
from churnguard.service.context import Context

router = APIRouter()
NAV = None  # opened from the lists

CustomerId = Annotated[str, Path(min_length=1, max_length=200)]
PageQ = Annotated[int, Query(ge=1, le=1_000_000)]


@router.get("/customers/{customer_id}", name="customer")
def customer_page(request: Request, user: AnyUser, ctx: ContextDep, own: OwnCustomersDep, customer_id: CustomerId,
                  page: PageQ = 1) -> Response:
    """The customer page; a CSM opens only their own customers (any other is not found)."""
    return render_customer(request, ctx, own, customer_id, page)


def render_customer(request: Request, ctx: Context, own: str | None, customer_id: str, page: int = 1, *,
                    extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    """The customer page of ``customer_id`` (``own``: the CSM whose customers may be opened; None:
    any), with ``extra`` in its context (a form's error)."""
    tr = translator_for(request)
    opts = customer.CustomerOptions(customer_id, csm=own, language=tr.language,
                                    offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    d = customer.customer_view(ctx, opts)
    pager = Pager(page, d["timeline"]["total"])
    if pager.current != page:  # past the last page of the timeline: show the last one
        opts.offset = pager.offset
        d = customer.customer_view(ctx, opts)
    chart = None
    s = d["spend"]
    if s and any(s["spend"]):
        chart = spend_against_baseline(
            [tr.format_period(m, "month") for m in s["months"]], s["spend"], s["baseline"],
            [w == "recent" for w in s["window"]],
            {"spend": tr.gettext("Spend"), "recent": tr.gettext("Spend, recent window"),
             "baseline": tr.gettext("Own baseline")})
    interview = investigations.interview_of(ctx, customer_id)
    page_ctx = {"d": d, "p": d["profile"], "pager": pager, "chart": chart, "nav_current": "customers",
                "interview": interview, "interview_reasons": investigations.reason_choices(tr.language),
                "interview_form": {}, "interview_error": None}
    page_ctx.update(extra or {})
    return render(request, "customer.html", page_ctx, status=status)
