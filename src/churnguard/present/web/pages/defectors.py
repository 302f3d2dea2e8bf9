"""Defectors: complete (完全跳槽, stopped buying) and partial (部分跳槽, buying clearly less than their
own baseline), each with its evidence in words — from the run's ``defectors`` snapshot."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.i18n import N_
from churnguard.present.server.deps import AnyUser, ContextDep, OwnCustomersDep, ScopeDep, translator_for
from churnguard.present.web.lists import can_open, one_page
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import render
from churnguard.service import detect

router = APIRouter()
NAV = NavItem("defectors", N_("Defectors"), order=50)

PageQ = Annotated[int, Query(ge=1, le=1_000_000)]


@router.get("/defectors", name="defectors")
def defectors_page(
    request: Request,
    user: AnyUser,
    ctx: ContextDep,
    scope: ScopeDep,
    own: OwnCustomersDep,
    kind: Annotated[Literal["complete", "partial"], Query()] = "complete",
    page: PageQ = 1,
) -> Response:
    """One tab per kind of defector, the most recently lost (or the biggest spenders) first."""
    tr = translator_for(request)

    def fetch(offset: int, limit: int):
        r = detect.stored_defectors(ctx, detect.DefectorOptions(kind=kind, limit=limit, offset=offset,
                                                                csm=scope.csm, language=tr.language))
        return r, r.counts[kind]

    shown = one_page(fetch, page)
    if shown is None:
        return render(request, "defectors.html", {"computed": False, "scope": scope, "kind": kind})
    result, pager = shown
    d = result.to_dict()
    return render(request, "defectors.html", {
        "computed": True, "scope": scope, "kind": kind, "d": d, "pager": pager, "can_open": can_open(own),
        "names": {r["customer_id"]: r["name"] for r in d["data"] if isinstance(r.get("name"), str) and r["name"]},
    })
