"""Defector investigations (跳槽客户调查): the list with the start form (managers), the review page of
one investigation (progress, due reviews, interviews, stated vs reviewed reasons, the reason table,
improvement actions with churn before and after), and the interview form posted from the customer
page. Every form checks login, role and CSRF (the router's dependency)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from churnguard.errors import ChurnguardError, NotFoundError, OptionError
from churnguard.i18n import N_, message_of, translate_message
from churnguard.present.server.deps import AnyUser, ContextDep, FormDep, ManagerUser, translator_for
from churnguard.present.server.errors import Forbidden
from churnguard.present.web.charts import hbar
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import flash, render
from churnguard.service import investigations as svc
from churnguard.service.audit import acting_as
from churnguard.service.context import Context

router = APIRouter()
NAV = NavItem("investigations", N_("Investigations"), order=54)  # 跳槽调查

InvestigationId = Annotated[str, Path(min_length=1, max_length=40)]
CustomerId = Annotated[str, Path(min_length=1, max_length=200)]


def _field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return str(value).strip() if value is not None and str(value).strip() else None


def _date(form: Any, name: str) -> date | None:
    from churnguard.bounds import check_date

    text = _field(form, name)
    if text is None:
        return None
    try:
        return check_date(date.fromisoformat(text), name)
    except ValueError:
        raise OptionError(name, f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def _problem(request: Request, exc: ChurnguardError) -> str:
    return translate_message(translator_for(request), message_of(exc))


def _list_page(request: Request, ctx: Context, **extra: Any) -> dict[str, Any]:
    from churnguard.act.investigation import last_full_quarter

    d = svc.list_investigations(ctx).to_dict()
    try:
        suggested = last_full_quarter(ctx.as_of).label
    except ChurnguardError:  # no dated records yet
        suggested = ""
    page = {"d": d, "form": {"period": suggested, "partial_sample": "", "seed": "0"}, "error": None,
            "default_share": ctx.settings.investigate.partial_sample}
    page.update(extra)
    return page


@router.get("/investigations", name="investigations")
def investigations_page(request: Request, user: AnyUser, ctx: ContextDep) -> Response:
    """Every investigation with its progress and next review; managers get the start form."""
    return render(request, "investigations.html", _list_page(request, ctx))


@router.post("/investigations", name="investigation_start")
def investigation_start(request: Request, user: ManagerUser, ctx: ContextDep, form: FormDep) -> Response:
    """Open an investigation of the period posted (managers and admins)."""
    tr = translator_for(request)
    values = {k: _field(form, k) or "" for k in ("period", "partial_sample", "seed")}
    try:
        share = float(values["partial_sample"]) if values["partial_sample"] else None
        seed = int(values["seed"]) if values["seed"] else 0
    except ValueError:
        error = tr.gettext("The share and the seed must be numbers.")
        return render(request, "investigations.html", _list_page(request, ctx, form=values, error=error), status=422)
    try:
        with acting_as(f"web:{user.user_id}", request.client.host if request.client else None):
            result = svc.start(ctx, svc.StartOptions(values["period"], share, seed))
    except ChurnguardError as exc:
        return render(request, "investigations.html",
                      _list_page(request, ctx, form=values, error=_problem(request, exc)), status=422)
    d = result.to_dict()
    flash(request, "success", tr.gettext("Investigation %(id)s opened: %(n)s interviews.", id=d["investigation_id"],
                                         n=tr.format_number(d["count"])))
    return RedirectResponse(str(request.app.url_path_for("investigation", investigation_id=d["investigation_id"])),
                            status_code=303)


def _review_page(request: Request, ctx: Context, investigation_id: str, **extra: Any) -> dict[str, Any]:
    tr = translator_for(request)
    d = svc.review(ctx, investigation_id).to_dict()
    names = dict(svc.reason_choices(tr.language))
    chart = None
    if d["data"]:
        chart = hbar([names.get(r["reason"], r["reason"]) for r in d["data"]], [r["interviews"] for r in d["data"]])
    page = {"d": d, "reasons": svc.reason_choices(tr.language), "reason_names": names, "chart": chart,
            "nav_current": "investigations", "action_form": {"reason": "", "action": "", "owner": "", "due": "",
                                                             "starts": ""}, "action_error": None}
    page.update(extra)
    return page


@router.get("/investigations/{investigation_id}", name="investigation")
def investigation_page(request: Request, user: AnyUser, ctx: ContextDep, investigation_id: InvestigationId) -> Response:
    """The review page of one investigation."""
    return render(request, "investigation.html", _review_page(request, ctx, investigation_id))


@router.post("/investigations/{investigation_id}/actions", name="investigation_action_add")
def action_add(request: Request, user: ManagerUser, ctx: ContextDep, investigation_id: InvestigationId,
               form: FormDep) -> Response:
    """Add an improvement action (managers and admins)."""
    tr = translator_for(request)
    values = {k: _field(form, k) or "" for k in ("reason", "action", "owner", "due", "starts")}
    try:
        due = _date(form, "due")
        if due is None:
            raise OptionError("due", "give a date (YYYY-MM-DD)")
        result = svc.add_action(ctx, svc.ActionOptions(investigation_id, values["reason"], values["action"],
                                                       values["owner"], due, _date(form, "starts")))
    except NotFoundError:
        raise
    except ChurnguardError as exc:
        page = _review_page(request, ctx, investigation_id, action_form=values, action_error=_problem(request, exc))
        return render(request, "investigation.html", page, status=422)
    flash(request, "success", tr.gettext("Action %(id)s added.", id=result.to_dict()["action_id"]))
    return RedirectResponse(str(request.app.url_path_for("investigation", investigation_id=investigation_id))
                            + "#actions", status_code=303)


@router.post("/investigations/{investigation_id}/review", name="investigation_review_done")
def review_done(request: Request, user: ManagerUser, ctx: ContextDep, investigation_id: InvestigationId,
                form: FormDep) -> Response:
    """Record the review due now (managers and admins)."""
    tr = translator_for(request)
    try:
        with acting_as(f"web:{user.user_id}", request.client.host if request.client else None):
            svc.record_review(ctx, investigation_id, _field(form, "notes"))
    except NotFoundError:
        raise
    except ChurnguardError as exc:
        flash(request, "error", _problem(request, exc))
    else:
        flash(request, "success", tr.gettext("Review recorded."))
    return RedirectResponse(str(request.app.url_path_for("investigation", investigation_id=investigation_id))
                            + "#progress", status_code=303)


@router.post("/investigations/{investigation_id}/interviews/{customer_id}", name="interview_record")
def interview_record(request: Request, user: AnyUser, ctx: ContextDep, investigation_id: InvestigationId,
                     customer_id: CustomerId, form: FormDep) -> Response:
    """Record an interview from its form (on the customer page); a CSM only for their own customers."""
    tr = translator_for(request)
    interview = svc.find_interview(ctx, customer_id, investigation_id)
    if not svc.may_record(user.role, user.csm_name, interview):
        raise Forbidden(role=user.role, roles="admin, manager")
    back = str(request.app.url_path_for("customer", customer_id=customer_id)) + "#interview"
    try:
        attempts = _field(form, "attempts")
        if attempts and not attempts.isdigit():
            raise OptionError("attempts", "must be a whole number")
        opts = svc.RecordOptions(customer_id, _field(form, "reason"), investigation_id, _field(form, "secondary"),
                                 _field(form, "competitor"), _field(form, "recoverable"), _field(form, "notes"),
                                 int(attempts) if attempts else None, _date(form, "on"))
        with acting_as(f"web:{user.user_id}", request.client.host if request.client else None):
            result = svc.record(ctx, opts)
    except NotFoundError:
        raise
    except ChurnguardError as exc:
        from churnguard.present.web.pages.customer import render_customer

        return render_customer(request, ctx, None if user.role != "csm" else (user.csm_name or ""), customer_id,
                               extra={"interview_error": _problem(request, exc), "interview_form": dict(form)},
                               status=422)
    msg = tr.gettext("Interview replaced.") if result.replaced else tr.gettext("Interview recorded.")
    flash(request, "success", msg)
    return RedirectResponse(back, status_code=303)


@router.post("/investigations/{investigation_id}/reclassify", name="investigation_reclassify")
def reclassify(request: Request, user: ManagerUser, ctx: ContextDep, investigation_id: InvestigationId,
               form: FormDep) -> Response:
    """Set the reason a review settled on for one interview (managers and admins)."""
    tr = translator_for(request)
    try:
        svc.reclassify(ctx, svc.ReclassifyOptions(investigation_id, _field(form, "customer_id") or "",
                                                  _field(form, "reason")))
    except NotFoundError:
        raise
    except ChurnguardError as exc:
        flash(request, "error", _problem(request, exc))
    else:
        flash(request, "success", tr.gettext("Reviewed reason saved."))
    return RedirectResponse(str(request.app.url_path_for("investigation", investigation_id=investigation_id))
                            + "#stated", status_code=303)


@router.post("/investigations/{investigation_id}/actions/{action_id}/done", name="investigation_action_done")
def action_done(request: Request, user: ManagerUser, ctx: ContextDep, investigation_id: InvestigationId,
                action_id: Annotated[str, Path(min_length=1, max_length=60)], form: FormDep) -> Response:
    """Mark an improvement action done today (the as-of date) (managers and admins)."""
    tr = translator_for(request)
    svc.action_done(ctx, action_id, _date(form, "on"))
    flash(request, "success", tr.gettext("Action %(id)s done.", id=action_id))
    return RedirectResponse(str(request.app.url_path_for("investigation", investigation_id=investigation_id))
                            + "#actions", status_code=303)
