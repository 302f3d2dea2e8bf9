"""The complaint register (投诉登记): complaints with resolution times, open ones ageing into risk,
complainers' churn against the others, and the silent-majority and word-of-mouth estimates,
marked as estimates from settings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.errors import ChurnguardError
from churnguard.i18n import N_
from churnguard.present.server.deps import AnyUser, ContextDep, translator_for
from churnguard.present.web.listen_charts import rates_with_intervals
from churnguard.present.web.pages.listen import problem_page
from churnguard.present.web.render import render
from churnguard.service import complaints as complaints_svc

router = APIRouter()
NAV = None  # a tab of the customer-voice pages (under "Surveys")
DateQ = Annotated[date | None, Query()]


@router.get("/complaints", name="complaints")
def complaints_page(request: Request, user: AnyUser, ctx: ContextDep,
                    status: Annotated[Literal["all", "open"], Query()] = "all",
                    start: Annotated[date | None, Query(alias="from")] = None, to: DateQ = None) -> Response:
    """The register (all or open), its summary, complainers' churn and the estimates."""
    tr = translator_for(request)
    try:
        d = complaints_svc.complaints(ctx, complaints_svc.ComplaintOptions(open=status == "open", start=start,
                                                                            to=to)).to_dict()
    except ChurnguardError as exc:
        return problem_page(request, "complaints.html", exc, nav_current="surveys", status=status)
    c = d["complainer_churn"]
    groups = [(tr.gettext(N_("Complainers")), c["complainers"]), (tr.gettext(N_("Others")), c["others"])]
    chart = rates_with_intervals([g for g, _x in groups], [x["churn_rate"] for _g, x in groups],
                                 [x["ci"][0] for _g, x in groups], [x["ci"][1] for _g, x in groups],
                                 ["#d73027", "#2f6db5"])
    return render(request, "complaints.html", {"nav_current": "surveys", "problem": None, "d": d, "status": status, "chart": chart, "rows": d["data"][:500],
                                               "form": {"from": start, "to": to}})
