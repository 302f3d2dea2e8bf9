"""Customers: find one by id or name and open its page (a CSM's own by default)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.i18n import N_
from churnguard.present.server.deps import AnyUser, ContextDep, OwnCustomersDep, ScopeDep
from churnguard.present.web.lists import can_open, one_page
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import render
from churnguard.service import customer

router = APIRouter()
NAV = NavItem("customers", N_("Customers"), order=60)

PageQ = Annotated[int, Query(ge=1, le=1_000_000)]


@router.get("/customers", name="customers")
def customers_page(request: Request, user: AnyUser, ctx: ContextDep, scope: ScopeDep, own: OwnCustomersDep,
                   q: Annotated[str | None, Query(max_length=200)] = None, page: PageQ = 1) -> Response:
    """Every customer in scope, or those whose id or name holds ``q``, in id order."""

    def fetch(offset: int, limit: int):
        r = customer.find_customers(ctx, customer.FindOptions(q, scope.csm, offset, limit))
        return r, r.matching

    result, pager = one_page(fetch, page)  # a list of records: never "not computed"
    return render(request, "customers.html", {
        "q": q or "", "scope": scope, "d": result.to_dict(), "pager": pager, "can_open": can_open(own), "names": {},
    })
