"""Revenue retention: gross (GRR) and net (NRR) per period, with value lost, contraction and
expansion of the customers active at each period's start (``churnguard retention``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.errors import ChurnguardError
from churnguard.present.server.deps import AnyUser, FiguresDep, translator_for
from churnguard.present.web.charts import rate_lines
from churnguard.present.web.render import render, render_problem

router = APIRouter()
NAV = None  # a tab of the churn pages


@router.get("/churn/retention", name="churn_retention")
def retention_page(
    request: Request,
    user: AnyUser,
    figures: FiguresDep,
    period: Annotated[Literal["month", "quarter", "year"], Query()] = "quarter",
    basis: Annotated[Literal["value", "recurring"], Query()] = "value",
) -> Response:
    """GRR and NRR per period: a chart and the table of their parts."""
    tr = translator_for(request)
    form = {"period": period, "basis": basis}
    try:
        stored = figures.get("retention", period=period, basis=basis)
    except ChurnguardError as exc:
        return render_problem(request, "retention.html", form, exc)
    d = stored.data
    rows = [r for r in d["data"] if r["value_at_start"]]  # periods before any value add nothing
    x = [tr.format_period(r["period_start"], period) for r in rows]
    chart = rate_lines(x, {tr.gettext("Gross revenue retention (GRR)"): [r["grr"] for r in rows],
                           tr.gettext("Net revenue retention (NRR)"): [r["nrr"] for r in rows]},
                       [r["complete"] for r in rows]) if rows else None
    return render(request, "retention.html", {"form": form, "problem": None, "stored": stored,
                                              "definition": d["definition"], "rows": rows, "chart": chart})
