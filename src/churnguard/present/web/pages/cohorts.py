"""Cohorts: of the customers acquired in each month or quarter, how many (or how much of their
revenue) remain in each later period — a heat map of the triangle (``churnguard cohorts``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.errors import ChurnguardError
from churnguard.present.server.deps import AnyUser, FiguresDep, translator_for
from churnguard.present.web.charts import heatmap
from churnguard.present.web.render import render, render_problem

router = APIRouter()
NAV = None  # a tab of the churn pages

#: At most this many cohorts are drawn (the latest); the JSON twin has them all.
MAX_COHORTS = 36


@router.get("/churn/cohorts", name="churn_cohorts")
def cohorts_page(
    request: Request,
    user: AnyUser,
    figures: FiguresDep,
    period: Annotated[Literal["month", "quarter"], Query()] = "month",
    basis: Annotated[Literal["customers", "revenue"], Query()] = "customers",
) -> Response:
    """The cohort retention triangle as a heat map and a table."""
    tr = translator_for(request)
    form = {"period": period, "basis": basis}
    try:
        stored = figures.get("cohorts", period=period, basis=basis)
    except ChurnguardError as exc:
        return render_problem(request, "cohorts.html", form, exc)
    d = stored.data
    cohorts: dict[str, dict] = {}
    for r in d["data"]:
        c = cohorts.setdefault(r["cohort_start"], {"start": r["cohort_start"], "size": r["cohort_size"], "cells": {}})
        c["cells"][r["period_offset"]] = r
    shown = list(cohorts.values())[-MAX_COHORTS:]
    width = max((max(c["cells"]) for c in shown if c["cells"]), default=-1) + 1
    offsets = list(range(width))
    z = [[c["cells"][k]["retention"] if k in c["cells"] else None for k in offsets] for c in shown]
    y = [f"{tr.format_period(c['start'], period)} ({tr.format_number(c['size'])})" for c in shown]
    chart = heatmap([f"+{k}" for k in offsets], y, z, x_title=tr.gettext("Periods after acquisition"),
                    y_title="") if shown else None
    # the cells as text here, not in the template: a monthly triangle has hundreds of them
    rows = [
        (tr.format_period(c["start"], period), tr.format_number(c["size"]),
         [(tr.format_percent(cell["retention"], 0) + ("" if cell["complete"] else "*")) if cell else ""
          for cell in (c["cells"].get(k) for k in offsets)])
        for c in shown
    ]
    return render(request, "cohorts.html", {
        "form": form, "problem": None, "stored": stored, "definition": d["definition"], "rows": rows,
        "offsets": offsets, "chart": chart, "hidden": max(0, len(cohorts) - len(shown)),
    })
