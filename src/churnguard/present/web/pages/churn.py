"""Churn rate: how much are we losing, per period, by customers, value or recurring value."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.errors import ChurnguardError
from churnguard.i18n import N_, message_of, translate_message
from churnguard.present.server.deps import AnyUser, server_state, translator_for
from churnguard.present.web import labels
from churnguard.present.web.charts import rate_lines
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import render
from churnguard.service.measure import ChurnRateOptions, churn_rate

router = APIRouter()
NAV = NavItem("churn", N_("Churn rate"), order=20)

Period = Literal["month", "quarter", "year"]
Basis = Literal["customers", "value", "recurring"]
Group = Literal["segment", "region", "customer_type", "csm", "relationship"]


@router.get("/churn", name="churn")
def churn_page(
    request: Request,
    user: AnyUser,
    period: Annotated[Period, Query()] = "quarter",
    basis: Annotated[Basis, Query()] = "customers",
    by: Annotated[Group | None, Query()] = None,
) -> Response:
    """The churn-rate trend and table (the figures of ``churnguard churn-rate``)."""
    tr = translator_for(request)
    form = {"period": period, "basis": basis, "by": by or ""}
    try:
        result = churn_rate(ChurnRateOptions(workspace=server_state(request).workspace_path, period=period,
                                             basis=basis, by=by))
    except ChurnguardError as exc:  # no dated records yet, or a basis the data cannot give
        return render(request, "churn.html", {"form": form, "rows": [], "chart": None, "definition": None,
                                              "problem": translate_message(tr, message_of(exc)), "value_basis": False})
    d = result.to_dict()
    rows: list[dict[str, Any]] = d["data"]
    starts = list(dict.fromkeys(r["period_start"] for r in rows))
    x_labels = [tr.format_period(s, period) for s in starts]
    series: dict[str, list[float | None]] = {}
    codes = labels.GROUP_VALUES.get(by or "", {})

    def group_label(value: object) -> str:
        if value is None:
            return "—"
        return tr.gettext(codes[value]) if value in codes else str(value)

    for r in rows:
        name = group_label(r.get(by)) if by else ""
        series.setdefault(name, [None] * len(starts))[starts.index(r["period_start"])] = r["churn_rate"]
    solid = [all(r["history_complete"] for r in rows if r["period_start"] == s) for s in starts]
    return render(request, "churn.html", {
        "form": form, "rows": rows, "definition": d["definition"], "problem": None,
        "chart": rate_lines(x_labels, series, solid) if rows else None,
        "incomplete": not all(solid), "value_basis": basis != "customers", "group_label": group_label,
    })
