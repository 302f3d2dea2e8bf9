"""Churn rate: how much are we losing, per period, by customers, value or recurring value;
and the same broken down by segment, region, customer type or CSM."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.errors import ChurnguardError
from churnguard.i18n import N_
from churnguard.present.server.deps import AnyUser, FiguresDep, translator_for
from churnguard.present.web.charts import hbar, rate_lines, return_curve
from churnguard.present.web.nav import NavItem
from churnguard.present.web.paging import Pager
from churnguard.present.web.render import render, render_problem
from churnguard.present.web.tables import group_labeller, pivot_groups

router = APIRouter()
NAV = NavItem("churn", N_("Churn rate"), order=20)

Period = Literal["month", "quarter", "year"]
Basis = Literal["customers", "value", "recurring"]
Group = Literal["segment", "region", "customer_type", "csm", "relationship"]
PageQ = Annotated[int, Query(ge=1, le=1_000_000)]


@router.get("/churn", name="churn")
def churn_page(
    request: Request,
    user: AnyUser,
    figures: FiguresDep,
    period: Annotated[Period, Query()] = "quarter",
    basis: Annotated[Basis, Query()] = "customers",
    by: Annotated[Group | None, Query()] = None,
    page: PageQ = 1,
) -> Response:
    """The churn-rate trend and table (the figures of ``churnguard churn-rate``)."""
    tr = translator_for(request)
    form = {"period": period, "basis": basis, "by": by or ""}
    try:
        stored = figures.get("churn-rate", period=period, basis=basis, by=by)
    except ChurnguardError as exc:  # no dated records yet, or a basis the data cannot give
        return render_problem(request, "churn.html", form, exc)
    d = stored.data
    rows: list[dict[str, Any]] = d["data"]
    starts = list(dict.fromkeys(r["period_start"] for r in rows))
    x_labels = [tr.format_period(s, period) for s in starts]
    series: dict[str, list[float | None]] = {}
    group_label = group_labeller(tr, by)
    for r in rows:
        name = group_label(r.get(by)) if by else ""
        series.setdefault(name, [None] * len(starts))[starts.index(r["period_start"])] = r["churn_rate"]
    solid = [all(r["history_complete"] for r in rows if r["period_start"] == s) for s in starts]
    pager = Pager(page, len(rows))
    curve_chart, threshold = None, None
    try:  # the return curve behind the 'auto' threshold (the figures of 'churnguard threshold')
        th = figures.get("threshold").data
        pts = [r for r in th["data"] if r["segment"] == "(overall)"]
        chosen = next((r["gap_days"] for r in pts if r["chosen"]), None)
        limit = float(th["definition"]["non_contractual"].get("return_share") or 0.10)
        if pts:
            curve_chart = return_curve([r["gap_days"] for r in pts], [r["return_share"] for r in pts], limit,
                                       chosen, [bool(r["judged"]) for r in pts])
        threshold = th["threshold_overall_days"]
    except ChurnguardError:
        pass
    warning = d.get("reactivation_warning")
    return render(request, "churn.html", {
        "curve_chart": curve_chart, "threshold": threshold,
        "reactivation_share": d.get("reactivation_share"),
        # said in the reader's language (the result carries the warning in both)
        "reactivation_warning": (warning or {}).get(tr.language) if warning else None,
        "form": form, "rows": pager.rows(rows), "pager": pager, "definition": d["definition"], "problem": None,
        "stored": stored, "chart": rate_lines(x_labels, series, solid) if rows else None,
        "incomplete": not all(solid), "value_basis": basis != "customers", "group_label": group_label,
    })


@router.get("/churn/groups", name="churn_groups")
def churn_groups_page(
    request: Request,
    user: AnyUser,
    figures: FiguresDep,
    by: Annotated[Group, Query()] = "segment",
    period: Annotated[Period, Query()] = "quarter",
    basis: Annotated[Basis, Query()] = "customers",
    page: PageQ = 1,
) -> Response:
    """Churn rate by segment, region, customer type or CSM: the last complete period compared,
    and each group's recent periods side by side (``churnguard churn-rate --by …``)."""
    tr = translator_for(request)
    form = {"period": period, "basis": basis, "by": by}
    try:
        stored = figures.get("churn-rate", period=period, basis=basis, by=by)
    except ChurnguardError as exc:
        return render_problem(request, "churn_groups.html", form, exc)
    d = stored.data
    table, shown, last = pivot_groups(d["data"], by, group_labeller(tr, by))
    ranked = [g for g in table if g["last"] and g["last"]["churn_rate"] is not None]
    chart = hbar([g["label"] for g in ranked[:25]], [g["last"]["churn_rate"] for g in ranked[:25]],
                 number_format=".1%") if ranked else None
    pager = Pager(page, len(table))
    return render(request, "churn_groups.html", {
        "form": form, "problem": None, "stored": stored, "definition": d["definition"], "groups": pager.rows(table),
        "pager": pager, "periods": shown, "last": last, "chart": chart, "value_basis": basis != "customers",
        "more_groups": max(0, len(ranked) - 25),
    })
