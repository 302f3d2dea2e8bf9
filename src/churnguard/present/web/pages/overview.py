"""The overview: what the workspace holds, the churn trend by customers and by value, revenue
retention and the warnings to read them by — the stored ``overview`` figure, never computed here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from churnguard.i18n import N_
from churnguard.present.server.deps import AnyUser, ContextDep, FiguresDep, translator_for
from churnguard.present.web.charts import rate_lines
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import render
from churnguard.present.web.warnings import describe

router = APIRouter()
NAV = NavItem("overview", N_("Overview"), order=10)


def _figures(status: dict[str, Any]) -> dict[str, Any]:
    tables = status["tables"]
    dates = [t["date_to"] for t in tables.values() if t["date_to"]]
    imports = [t["last_import"] for t in tables.values() if t["last_import"]]
    return {
        "customers": tables["customers"]["rows"],
        "transactions": tables["transactions"]["rows"],
        "contracts": tables["contracts"]["rows"],
        "date_from": tables["transactions"]["date_from"],
        "date_to": max(dates) if dates else None,
        "last_import": max(imports) if imports else None,
    }


def _change(new: float | None, old: float | None) -> dict[str, Any] | None:
    """Change of a rate in percentage points, and whether it got worse (churn up)."""
    if new is None or old is None:
        return None
    return {"points": new - old, "worse": new > old}


@router.get("/", name="overview")
def overview(request: Request, user: AnyUser, figures: FiguresDep, ctx: ContextDep) -> Response:
    """Headline figures, trends and warnings from the stored overview figure; the churn reasons of
    the last twelve months, read now (from the stored run's defectors)."""
    tr = translator_for(request)
    stored = figures.get("overview")
    d = stored.data
    period = d["period"]
    churn = d["churn"]
    x = [tr.format_period(r["period_start"], period) for r in churn]
    solid = [r["history_complete"] for r in churn]
    trend = rate_lines(x, {tr.gettext("By customers"): [r["churn_rate"] for r in churn],
                           tr.gettext("By value"): [r["value_churn_rate"] for r in churn]}, solid) if churn else None
    kept = [r for r in d["retention"] if r["value_at_start"]]
    retention = rate_lines([tr.format_period(r["period_start"], period) for r in kept],
                           {"GRR": [r["grr"] for r in kept], "NRR": [r["nrr"] for r in kept]},
                           [r["complete"] for r in kept]) if kept else None
    latest = {"churn": d["latest"].get("churn"), "retention": d["latest"].get("retention")}
    last = latest.get("churn")
    changes = {}
    if last:
        changes = {"churn": _change(last["churn_rate"], last["previous_churn_rate"]),
                   "value": _change(last["value_churn_rate"], last["previous_value_churn_rate"])}
    from churnguard.present.web.pages.reasons import reason_charts
    from churnguard.service.overview import reasons_summary

    reasons = reasons_summary(ctx) if d.get("as_of") else None
    reasons_chart = reason_charts(tr, reasons)["defectors"] if reasons else None
    return render(request, "overview.html", {
        "stored": stored, "d": d, "period": period, "status": d["status"], "figures": _figures(d["status"]),
        "empty": not any(t["rows"] for t in d["status"]["tables"].values()),
        "trend": trend, "retention_chart": retention, "latest": latest, "changes": changes,
        "warnings": [describe(tr, w, period) for w in d["warnings"]],
        "charts": bool(trend or retention or reasons_chart),
        "reasons": reasons, "reasons_chart": reasons_chart,
    })
