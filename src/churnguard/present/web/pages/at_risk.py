"""The worklist: living customers ranked by value at risk (churn probability × expected value),
with the reasons in words, narrowed by segment, CSM or warning signal (``churnguard at-risk``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.errors import NotComputedError
from churnguard.i18n import N_
from churnguard.present.server.deps import AnyUser, ContextDep, OwnCustomersDep, ScopeDep, translator_for
from churnguard.present.web import labels
from churnguard.present.web.lists import can_open, one_page
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import render
from churnguard.service import at_risk as risk
from churnguard.service import customer
from churnguard.service.context import Context

router = APIRouter()
NAV = NavItem("at_risk", N_("At risk"), order=30)

PageQ = Annotated[int, Query(ge=1, le=1_000_000)]
TextQ = Annotated[str | None, Query(max_length=200)]
SignalQ = Annotated[str | None, Query(max_length=50, pattern=r"^[a-z_]*$")]
WarningQ = Annotated[str | None, Query(max_length=10, pattern=r"^(early)?$")]


@router.get("/at-risk", name="at_risk")
def at_risk_page(
    request: Request,
    user: AnyUser,
    ctx: ContextDep,
    scope: ScopeDep,
    own: OwnCustomersDep,
    segment: TextQ = None,
    csm: TextQ = None,
    signal: SignalQ = None,
    warning: WarningQ = None,
    page: PageQ = 1,
) -> Response:
    """Customers at risk, riskiest value first; a CSM sees their own unless they ask for all.
    ``warning=early`` lists the early warnings only (customers not yet overdue)."""
    tr = translator_for(request)
    early = warning == "early"
    form = {"segment": segment or "", "csm": csm or "", "signal": signal or "", "scope": "mine" if scope.mine else "all",
            "warning": "early" if early else ""}
    who = scope.csm if scope.csm is not None else (csm or None)

    def fetch(offset: int, limit: int):
        r = risk.at_risk(ctx, risk.AtRiskOptions(top=limit, offset=offset, segment=segment or None, csm=who,
                                                 signal=signal or None, language=tr.language, early=early))
        return r, r.matching

    shown = one_page(fetch, page)
    if shown is None:
        return render(request, "at_risk.html", {"computed": False, "form": form, "scope": scope})
    result, pager = shown
    d = result.to_dict()
    try:
        choices = risk.at_risk_choices(ctx, risk.ChoicesOptions(csm=scope.csm))
    except NotComputedError:  # pragma: no cover - the scores were just read
        choices = {"segments": [], "csms": [], "signals": []}
    return render(request, "at_risk.html", {
        "computed": True, "form": form, "scope": scope, "d": d, "pager": pager, "choices": choices,
        "can_open": can_open(own), "names": _names(ctx, d["data"]),
        "left_out_text": left_out_text(tr, d["features_left_out"]),
    })


def left_out_text(tr, left_out: list[dict]) -> str:
    """``联系（需要 接触记录）; …``: each family the model went without and the records it needs,
    in the reader's language (a column as ``table.column``: the name an import maps to)."""
    def need(source: str) -> str:
        table, _, column = source.partition(".")
        name = tr.gettext(labels.TABLES[table]) if table in labels.TABLES else table
        return f"{name} · {column}" if column else name

    items = []
    for item in left_out:
        family = item.get("family", "")
        name = tr.gettext(labels.FEATURE_FAMILIES[family]) if family in labels.FEATURE_FAMILIES else family
        items.append(tr.gettext("%(family)s (needs %(records)s)") % {
            "family": name, "records": " + ".join(need(n) for n in item.get("needs", []))})
    return "; ".join(items)


def _names(ctx: Context, rows: list[dict]) -> dict[str, str]:
    """The customers' names: stored with the scores by a run; looked up for a run before that."""
    if rows and "name" in rows[0]:
        return {r["customer_id"]: r["name"] for r in rows if isinstance(r.get("name"), str) and r["name"]}
    return customer.names_of(ctx, [r["customer_id"] for r in rows])
