"""Price and volume: revenue change per period split into customer, volume and price effects,
with a warning when revenue holds but units or customers fall (``churnguard price-volume``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.errors import ChurnguardError
from churnguard.present.server.deps import AnyUser, FiguresDep, translator_for
from churnguard.present.web.charts import effect_bars
from churnguard.present.web.render import render, render_problem
from churnguard.present.web.warnings import describe
from churnguard.service.overview import false_growth_warnings

router = APIRouter()
NAV = None  # a tab of the churn pages


@router.get("/churn/price-volume", name="churn_price_volume")
def price_volume_page(
    request: Request,
    user: AnyUser,
    figures: FiguresDep,
    period: Annotated[Literal["month", "quarter", "year"], Query()] = "quarter",
) -> Response:
    """The price–volume split as stacked bars, the false-growth warnings, and the table."""
    tr = translator_for(request)
    form = {"period": period}
    try:
        stored = figures.get("price-volume", period=period)
    except ChurnguardError as exc:
        return render_problem(request, "price_volume.html", form, exc)
    d = stored.data
    rows = d["data"][1:] if len(d["data"]) > 1 else d["data"]  # the first period has nothing to compare with
    warnings = [describe(tr, w, period) for w in false_growth_warnings(d["data"])]
    x = [tr.format_period(r["period_start"], period) for r in rows]
    effects = {tr.gettext("Customers"): [r["customer_effect"] for r in rows],
               tr.gettext("Volume per customer"): [r["volume_effect"] for r in rows],
               tr.gettext("Price"): [r["price_effect"] for r in rows],
               tr.gettext("Other"): [r["other_effect"] for r in rows]}
    chart = effect_bars(x, effects, [r["revenue_change"] for r in rows], tr.gettext("Revenue change"),
                        [bool(r["warning"]) for r in rows]) if rows else None
    return render(request, "price_volume.html", {"form": form, "problem": None, "stored": stored,
                                                 "definition": d["definition"], "rows": d["data"], "chart": chart,
                                                 "warnings": warnings})
