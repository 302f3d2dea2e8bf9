"""Core customers (核心客户): the most valuable, loyal, timely-paying, long-standing ones, each with
why — from the value table the last run stored (``churnguard core-customers --stored``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.i18n import N_
from churnguard.present.server.deps import AnyUser, ContextDep, OwnCustomersDep, ScopeDep, translator_for
from churnguard.present.web.lists import one_page
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import render
from churnguard.service import core_customers as core

router = APIRouter()
NAV = NavItem("core", N_("Core customers"), order=40)

PageQ = Annotated[int, Query(ge=1, le=1_000_000)]


@router.get("/core", name="core")
def core_page(request: Request, user: AnyUser, ctx: ContextDep, scope: ScopeDep, own: OwnCustomersDep,
              page: PageQ = 1) -> Response:
    """Core customers, largest revenue first; a CSM sees their own unless they ask for all."""
    tr = translator_for(request)

    def fetch(offset: int, limit: int):
        r = core.stored_core_customers(ctx, core.CoreOptions(top=limit, offset=offset, csm=scope.csm,
                                                              language=tr.language))
        return r, r.core_customers

    shown = one_page(fetch, page)
    if shown is None:
        return render(request, "core.html", {"computed": False, "scope": scope})
    result, pager = shown
    # the value table has no CSM: a CSM looking at everyone's may open only their own
    mine = None
    if own is not None:
        mine = {r["customer_id"] for r in core.stored_core_customers(ctx, core.CoreOptions(top=None, csm=own)).to_dict()["data"]}
    return render(request, "core.html", {
        "computed": True, "scope": scope, "d": result.to_dict(), "pager": pager,
        "can_open": (lambda row: mine is None or row["customer_id"] in mine), "names": {},
    })
