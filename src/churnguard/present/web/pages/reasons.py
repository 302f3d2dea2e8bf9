"""Churn reasons (流失原因): why the defectors of a period left, whether the company controls the
reason, the value each reason took away, the trend by quarter and a breakdown — the figures of
``churnguard reasons``, read when asked (a reason recorded a moment ago counts)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.act.investigation import parse_period
from churnguard.errors import ChurnguardError, NotComputedError
from churnguard.i18n import N_
from churnguard.present.server.deps import AnyUser, ContextDep, translator_for
from churnguard.present.web import labels
from churnguard.present.web.charts import COLOURS, CONTROL_COLOURS, reason_bars, stacked_bars
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import render, render_problem
from churnguard.service import reasons as rsvc

router = APIRouter()
NAV = NavItem("reasons", N_("Churn reasons"), order=52)

#: a date field of the form: empty when not filled in (a browser sends ``from=``)
DateText = Annotated[str | None, Query(max_length=10)]
By = Literal["segment", "region", "csm", "customer_type"]


def reason_charts(tr: Any, d: dict[str, Any]) -> dict[str, Any]:
    """The charts of a reasons result: defectors and lost value by reason (coloured by whether the
    company controls the reason), and defectors by reason per quarter."""
    rows = d["data"]
    if not rows:
        return {"defectors": None, "value": None, "trend": None}
    names = {k: tr.gettext(v) for k, v in labels.CONTROL_CLASSES.items()}
    text = [tr.gettext(labels.CHURN_REASONS.get(r["reason"], r["reason"])) for r in rows]
    classes = ["unknown" if r["controllable"] is None else ("controllable" if r["controllable"] else "uncontrollable")
               for r in rows]
    by_value = sorted(range(len(rows)), key=lambda i: -(rows[i]["lost_value"] or 0))
    quarters = sorted({t["quarter"] for t in d["trend"]})
    series: dict[str, list[float]] = {}
    colours = []
    palette = iter(COLOURS)
    for r in rows:  # the reasons in the table's order, each a colour; none recorded in grey
        name = tr.gettext(labels.CHURN_REASONS.get(r["reason"], r["reason"]))
        counts = {t["quarter"]: t["defectors"] for t in d["trend"] if t["reason"] == r["reason"]}
        series[name] = [counts.get(q, 0) for q in quarters]
        colours.append(CONTROL_COLOURS["unknown"] if r["reason"] == "not_recorded" else next(palette))
    return {
        "defectors": reason_bars(text, [r["defectors"] for r in rows], classes, names),
        "value": reason_bars([text[i] for i in by_value], [rows[i]["lost_value"] for i in by_value],
                             [classes[i] for i in by_value], names, number_format=",.0f"),
        "trend": stacked_bars([tr.format_period(parse_period(q).start.isoformat(), "quarter") for q in quarters], series,
                              colours)
        if quarters else None,
    }


def _date(text: str | None, name: str) -> date | None:
    """A date field of the form (None when empty), within the dates the engines handle."""
    from churnguard.bounds import check_date
    from churnguard.errors import OptionError

    if not text:
        return None
    try:
        return check_date(date.fromisoformat(text), name)
    except ValueError:
        raise OptionError(name, f"{text!r} is not a date; write it as YYYY-MM-DD") from None


@router.get("/reasons", name="reasons")
def reasons_page(
    request: Request,
    user: AnyUser,
    ctx: ContextDep,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    to: DateText = None,
    by: Annotated[By | Literal[""] | None, Query()] = None,
) -> Response:
    """The reason table of the period with its charts; defectors from the stored run of its last day."""
    tr = translator_for(request)
    form = {"from": start or "", "to": to or "", "by": by or ""}
    try:
        first, last = _date(start, "from"), _date(to, "to")
        result = rsvc.reasons(ctx, rsvc.ReasonOptions(first, last, by or None, compute=False))
    except NotComputedError:
        return render(request, "reasons.html", {"computed": False, "form": form, "problem": None})
    except ChurnguardError as exc:  # no dated records yet, a window the data cannot give
        return render_problem(request, "reasons.html", form, exc)
    d = result.to_dict()
    groups: dict[Any, list[dict[str, Any]]] = {}
    if d["by"] is not None:
        for r in d["by"]["data"]:
            groups.setdefault(r["group"], []).append(r)
    return render(request, "reasons.html", {
        "computed": True, "form": form, "problem": None, "d": d, "charts": reason_charts(tr, d), "groups": groups,
        "by_label": {"segment": N_("Segment"), "region": N_("Region"), "csm": N_("Customer success manager"),
                     "customer_type": N_("Customer type")},
    })
