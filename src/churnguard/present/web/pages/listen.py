"""Listening pages: satisfaction surveys (the report, and a sample form for managers) and what
defectors have in common (the complaint register is :mod:`.complaints_page`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from churnguard.errors import ChurnguardError, InputError
from churnguard.i18n import N_, message_of, translate_message
from churnguard.present.server.deps import AnyUser, ContextDep, FormDep, ManagerUser, translator_for
from churnguard.present.web.listen_charts import rates_with_intervals, stacked_shares
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import render
from churnguard.service import profile_defectors as profile_svc
from churnguard.service import surveys as surveys_svc

router = APIRouter()
NAV = NavItem("surveys", N_("Customer voice"), order=56)

DateQ = Annotated[date | None, Query()]
GroupQ = Annotated[Literal["segment", "region", "customer_type", "csm"] | None, Query()]


def _report_context(request: Request, ctx, by: str | None, start: date | None, to: date | None) -> dict[str, Any]:
    tr = translator_for(request)
    d = surveys_svc.survey_report(ctx, surveys_svc.SurveyReportOptions(start, to, by)).to_dict()
    levels = surveys_svc.calc.LEVELS
    whole = [r for r in d["data"]] if not by else []
    chart = None
    if whole:
        x = [r["period"] for r in whole]
        chart = stacked_shares(x, {tr.gettext(_level(k)): [r[f"share_{k}"] for r in whole] for k in levels})
    rows = d["churn_by_level"]
    churn_chart = rates_with_intervals([tr.gettext(_level(r["level"])) for r in rows], [r["churn_rate"] for r in rows],
                                       [r["ci"][0] for r in rows], [r["ci"][1] for r in rows],
                                       ["#1a9850", "#91cf60", "#bdbdbd", "#fc8d59", "#d73027"])
    return {"d": d, "chart": chart, "churn_chart": churn_chart, "levels": levels,
            "form": {"by": by, "from": start, "to": to}}


def _level(k: int) -> str:
    from churnguard.present.web.labels import SATISFACTION

    return SATISFACTION[k]


def problem_page(request: Request, template: str, exc: ChurnguardError, **extra: Any) -> Response:
    """The page with the reason it has no figures (no dated records yet, a window the data cannot
    give) where its figures would be: 422 for a bad parameter, else 200 (a state, not a fault)."""
    tr = translator_for(request)
    return render(request, template, {"problem": translate_message(tr, message_of(exc)), **extra},
                  status=422 if isinstance(exc, InputError) else 200)


@router.get("/surveys", name="surveys")
def surveys_page(request: Request, user: AnyUser, ctx: ContextDep, by: GroupQ = None,
                 start: Annotated[date | None, Query(alias="from")] = None, to: DateQ = None) -> Response:
    """The survey report; managers also get the sample form."""
    try:
        page = _report_context(request, ctx, by, start, to)
    except ChurnguardError as exc:
        return problem_page(request, "surveys.html", exc)
    return render(request, "surveys.html", {**page, "problem": None, "sample": None, "sample_problem": None,
                                            "sample_form": {"size": "", "stratify": "", "seed": "0"}})


@router.post("/surveys/sample", name="survey_sample")
def survey_sample_post(request: Request, user: ManagerUser, ctx: ContextDep, form: FormDep) -> Response:
    """Draw and record a sample (managers and admins); the page shows who was drawn."""
    values = {k: str(form.get(k, "")).strip() for k in ("size", "stratify", "seed")}
    tr = translator_for(request)
    problem, sample = None, None
    try:
        size = _whole(values["size"], "size", tr)
        seed = _whole(values["seed"] or "0", "seed", tr)
        opts = surveys_svc.SurveySampleOptions(size, values["stratify"] or None, seed,
                                                dry_run=bool(form.get("dry_run")))
        sample = surveys_svc.survey_sample(ctx, opts).to_dict()
    except InputError as exc:
        problem = translate_message(tr, message_of(exc))
    try:
        page = _report_context(request, ctx, None, None, None)
    except ChurnguardError as exc:
        return problem_page(request, "surveys.html", exc)
    return render(request, "surveys.html", {**page, "problem": None, "sample": sample, "sample_problem": problem,
                                            "sample_form": values}, status=422 if problem else 200)


def _whole(text: str, field: str, tr) -> int:
    from churnguard.errors import OptionError

    try:
        return int(text)
    except ValueError:
        raise OptionError(field, tr.gettext("must be a whole number (got %(value)s)", value=text or "—")) from None


@router.get("/defectors/profile", name="defectors_profile")
def defectors_profile_page(request: Request, user: AnyUser, ctx: ContextDep,
                           start: Annotated[date | None, Query(alias="from")] = None, to: DateQ = None) -> Response:
    """What the period's defectors have in common, against the customers who stayed."""
    from churnguard.compute.learn.profile_defectors import ATTRIBUTE_LABELS

    form = {"from": start, "to": to}
    try:
        d = profile_svc.profile_defectors(ctx, profile_svc.ProfileDefectorsOptions(start, to)).to_dict()
    except ChurnguardError as exc:
        return problem_page(request, "defectors_profile.html", exc, nav_current="surveys", form=form)
    return render(request, "defectors_profile.html", {"nav_current": "surveys", "problem": None, "d": d, "attribute_labels": ATTRIBUTE_LABELS,
                                                      "form": {"from": start, "to": to}})
