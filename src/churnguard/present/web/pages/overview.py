"""The overview: what the workspace holds now; the churn charts once they are computed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from churnguard.i18n import N_
from churnguard.present.server.deps import AnyUser, WorkspaceDep
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import render
from churnguard.service.workspace import status_of

router = APIRouter()
NAV = NavItem("overview", N_("Overview"), order=10)


@router.get("/", name="overview")
def overview(request: Request, ws: WorkspaceDep, user: AnyUser) -> Response:
    """Status figures now; churn rate, retention and value charts when their services exist."""
    status = status_of(ws).to_dict()
    tables = status["tables"]
    dates = [t["date_to"] for t in tables.values() if t["date_to"]]
    imports = [t["last_import"] for t in tables.values() if t["last_import"]]
    figures = {
        "customers": tables["customers"]["rows"],
        "transactions": tables["transactions"]["rows"],
        "contracts": tables["contracts"]["rows"],
        "date_from": tables["transactions"]["date_from"],
        "date_to": max(dates) if dates else None,
        "last_import": max(imports) if imports else None,
    }
    return render(request, "overview.html", {"status": status, "figures": figures,
                                             "empty": not any(t["rows"] for t in tables.values())})
